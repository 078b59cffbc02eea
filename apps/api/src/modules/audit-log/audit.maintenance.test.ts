import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_PROFILES } from '../../seed/profiles.ts';
import { seedDatabase } from '../../seed/seed.ts';
import { addYearPartitions, archiveOlderThan, verifyChain } from './audit.maintenance.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const CUTOFF = new Date('2026-09-01T00:00:00Z');

for (const engine of testEngines()) {
  describe(`the audit log's maintenance on ${engine.name}`, () => {
    let database: TestDatabase;
    let total: number;
    beforeAll(async () => {
      database = await engine.createDatabase();
      await seedDatabase(database.handle, {
        profile: SEED_PROFILES.demo,
        seed: 6,
        asOf: new Date('2026-11-30T00:00:00Z'),
        password: 'pastoral-demo',
      });
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
      expect(await verifyChain(db)).toEqual({ ok: true, entries: total });
    });

    it('reports an edited, a deleted and a swapped entry by its sequence number', async () => {
      const { db } = database.handle;
      const live = await db.selectFrom('audit_log').selectAll().orderBy('seq').limit(3).offset(10).execute();
      const [a, b, c] = live as [(typeof live)[number], (typeof live)[number], (typeof live)[number]];

      await db.updateTable('audit_log').set({ action: 'case.closed' }).where('id', '=', a.id).execute();
      expect(await verifyChain(db)).toMatchObject({ ok: false, brokenAt: Number(a.seq) });
      await db.updateTable('audit_log').set({ action: a.action }).where('id', '=', a.id).execute();

      await db.deleteFrom('audit_log').where('id', '=', b.id).execute();
      expect(await verifyChain(db)).toMatchObject({ ok: false, brokenAt: Number(b.seq) });
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
          })
          .where('id', '=', from.id)
          .execute();
      await swap(b, c);
      await swap(c, b);
      expect(await verifyChain(db)).toMatchObject({ ok: false, brokenAt: Number(b.seq) });
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
