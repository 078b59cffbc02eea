import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { builtProcessScript } from '../../testing/built-api.global-setup.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_PROFILES } from '../../seed/profiles.ts';
import { addYearPartitions, archiveOlderThan, exportEntries, verifyChain } from './audit.maintenance.ts';
import { createSeededDatabase } from '../../testing/seeded-database.ts';
import { DISTRICT_CHAIN, describeChain, onChain } from './audit-chains.ts';

const run = promisify(execFile);
/** Another API process, bundled by the suite's global setup: it starts at once, where tsx took seconds. */
const WRITER = builtProcessScript('modules/audit-log/testing/append-entries.ts');
const NOW = new Date('2026-11-30T12:00:00Z');
const CUTOFF = new Date('2026-09-01T00:00:00Z');

for (const engine of testEngines()) {
  describe(`the audit log's maintenance on ${engine.name}`, () => {
    let database: TestDatabase;
    let total: number;
    beforeAll(async () => {
      database = await createSeededDatabase(engine, 6);
      total = SEED_PROFILES.demo.auditEntries;
    });
    afterAll(() => database.drop());

    const ids = async (table: 'audit_log' | 'audit_log_archive') =>
      (await database.handle.db.selectFrom(table).select('id').execute()).map((row) => Number(row.id));

    it('archives in batches, survives being stopped midway, and ends with every entry exactly once', async () => {
      const { db } = database.handle;
      // Stopped after two batches, as a killed process would be.
      await expect(
        archiveOlderThan(db, CUTOFF, {
          batchSize: 500,
          now: NOW,
          onBatch: (progress) => {
            if (progress.batches === 2) throw new Error('killed');
          },
        }),
      ).rejects.toThrow('killed');
      expect(await ids('audit_log_archive')).toHaveLength(1000);
      const rerun = await archiveOlderThan(db, CUTOFF, { batchSize: 500, now: NOW });
      expect(rerun.moved).toBeGreaterThan(0);

      const live = await ids('audit_log');
      const archived = await ids('audit_log_archive');
      expect(live.length + archived.length).toBe(total);
      expect(new Set([...live, ...archived]).size).toBe(total);
      const oldestLive = await db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.min('occurred_at').as('min'))
        .executeTakeFirstOrThrow();
      expect(String(oldestLive.min) >= '2026-09-01').toBe(true);
      expect(await verifyChain(db)).toMatchObject({ ok: true, entries: total });
    });

    it('exports a date range from archive and live log, oldest first, each entry once', async () => {
      const { db } = database.handle;
      const exportLines = async (range: Parameters<typeof exportEntries>[1]) => {
        const chunks: string[] = [];
        const written = await exportEntries(db, range, async (chunk) => {
          chunks.push(chunk);
        });
        const lines = chunks
          .join('')
          .trimEnd()
          .split('\n')
          .map((line) => JSON.parse(line) as { id: number; occurredAt: string; schoolId: number; archived: boolean });
        expect(lines).toHaveLength(written);
        return lines;
      };

      const everything = await exportLines({ from: new Date('2000-01-01'), to: new Date('2100-01-01') });
      expect(everything).toHaveLength(total);
      expect(new Set(everything.map((line) => line.id)).size).toBe(total);
      const times = everything.map((line) => line.occurredAt);
      expect(times).toEqual([...times].sort());
      expect(everything.filter((line) => line.archived).every((line) => line.occurredAt < CUTOFF.toISOString())).toBe(
        true,
      );

      // A range across the cut-off, one school: exactly the rows SQL counts in both tables.
      const range = { from: new Date('2026-08-01T00:00:00Z'), to: new Date('2026-10-01T00:00:00Z'), schoolId: 1 };
      const count = async (table: 'audit_log' | 'audit_log_archive') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll().as('n'))
              .where('school_id', '=', range.schoolId)
              .where('occurred_at', '>=', '2026-08-01 00:00:00.000')
              .where('occurred_at', '<', '2026-10-01 00:00:00.000')
              .executeTakeFirstOrThrow()
          ).n,
        );
      const archivedCount = await count('audit_log_archive');
      const liveCount = await count('audit_log');
      expect(archivedCount).toBeGreaterThan(0);
      expect(liveCount).toBeGreaterThan(0);
      const slice = await exportLines(range);
      expect(slice).toHaveLength(archivedCount + liveCount);
      expect(slice.every((line) => line.schoolId === 1)).toBe(true);
    });

    it('keeps one unforked chain when several processes write at once', async () => {
      const { db } = database.handle;
      const before = await verifyChain(db);
      expect(before.ok).toBe(true);
      const writers = 4;
      const perWriter = 40;
      await Promise.all(
        Array.from({ length: writers }, (_, writer) =>
          run(process.execPath, [WRITER, database.url, String(perWriter), String(writer)], { timeout: 60_000 }),
        ),
      );
      const written = await db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('request_id', 'like', 'writer-%')
        .executeTakeFirstOrThrow();
      expect(Number(written.n)).toBe(writers * perWriter);
      expect(await verifyChain(db)).toMatchObject({ ok: true, entries: before.entries + writers * perWriter });
    });

    // The district's chain, and two schools' chains: a tamper is caught on any chain, at its position there.
    for (const chain of [DISTRICT_CHAIN, 1, 2]) {
      it(`reports an edited, a deleted and a swapped entry of ${describeChain(chain)} by its place in it`, async () => {
        const { db } = database.handle;
        const live = await db
          .selectFrom('audit_log')
          .selectAll()
          .where(onChain(chain))
          .orderBy('chain_seq')
          .limit(3)
          .offset(10)
          .execute();
        const [a, b, c] = live as [(typeof live)[number], (typeof live)[number], (typeof live)[number]];
        const brokenAt = (entry: typeof a) => ({ ok: false, chain, brokenAt: Number(entry.chain_seq) });

        await db.updateTable('audit_log').set({ action: 'case.closed' }).where('id', '=', a.id).execute();
        expect(await verifyChain(db)).toMatchObject(brokenAt(a));
        await db.updateTable('audit_log').set({ action: a.action }).where('id', '=', a.id).execute();

        await db.deleteFrom('audit_log').where('id', '=', b.id).execute();
        expect(await verifyChain(db)).toMatchObject(brokenAt(b));
        await db.insertInto('audit_log').values(b).execute();

        // Two entries' contents swapped (their places in the chain kept).
        const swap = (from: typeof b, to: typeof c) =>
          db
            .updateTable('audit_log')
            .set({
              action: to.action,
              details: to.details,
              occurred_at: to.occurred_at,
              user_id: to.user_id,
              entity_id: to.entity_id,
              // Entries the writer processes wrote in the same millisecond differ only by their request.
              request_id: to.request_id,
            })
            .where('id', '=', from.id)
            .execute();
        await swap(b, c);
        await swap(c, b);
        expect(await verifyChain(db)).toMatchObject(brokenAt(b));
        await swap(b, b);
        await swap(c, c);
        expect(await verifyChain(db)).toMatchObject({ ok: true });
      });
    }

    it("catches an entry tampered with in school 2's chain while school 1's chain verifies", async () => {
      const { db } = database.handle;
      const victim = await db
        .selectFrom('audit_log')
        .select(['id', 'chain_seq', 'details'])
        .where(onChain(2))
        .orderBy('chain_seq')
        .offset(5)
        .limit(1)
        .executeTakeFirstOrThrow();
      await db.updateTable('audit_log').set({ details: '{"edited":true}' }).where('id', '=', victim.id).execute();
      try {
        const result = await verifyChain(db);
        expect(result).toMatchObject({ ok: false, chain: 2, brokenAt: Number(victim.chain_seq) });
        const reportOf = (chain: number) => result.chains.find((report) => report.chain === chain);
        expect(reportOf(2)).toMatchObject({ ok: false });
        expect(reportOf(1)).toMatchObject({ ok: true });
        expect(reportOf(1)!.entries).toBeGreaterThan(0);
        expect(result.chains.filter((report) => !report.ok)).toHaveLength(1);
      } finally {
        await db.updateTable('audit_log').set({ details: victim.details }).where('id', '=', victim.id).execute();
      }
      expect(await verifyChain(db)).toMatchObject({ ok: true });
    });

    if (engine.name === 'mysql') {
      it('adds the coming years of partitions ahead of time, once', async () => {
        const added = await addYearPartitions(database.handle, new Date('2027-06-01T00:00:00Z'));
        expect(added).toEqual(['p2028', 'p2029']);
        expect(await addYearPartitions(database.handle, new Date('2027-06-01T00:00:00Z'))).toEqual([]);
        const names = (await database.handle.dialect.listPartitions('audit_log')).map((p) => p.name);
        expect(names.slice(-3)).toEqual(['p2028', 'p2029', 'p_future']);
      });
    }
  });
}
