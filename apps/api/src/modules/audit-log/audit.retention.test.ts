import { toTimestamp } from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildStudentRecordView } from '../../testing/factories.ts';
import { createSeededDatabase } from '../../testing/seeded-database.ts';
import { archiveOlderThan, chainAnchor, verifyChain } from './audit.maintenance.ts';
import { chainOf, DISTRICT_CHAIN, describeChain, LEGACY_CHAIN } from './audit-chains.ts';
import { PurgeRefusedError, purgeBefore } from './audit.retention.ts';

const NOW = new Date('2026-11-30T12:00:00Z');
const ARCHIVED_BEFORE = new Date('2026-09-01T00:00:00Z');
const PURGE_BEFORE = new Date('2026-03-01T00:00:00Z');

for (const engine of testEngines()) {
  describe(`purging the audit log for retention on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createSeededDatabase(engine, 8);
    });
    afterAll(() => database.drop());

    const entries = async () => {
      const { db } = database.handle;
      const columns = ['seq', 'chain_seq', 'school_id', 'occurred_at', 'action', 'student_id'] as const;
      return [
        ...(await db.selectFrom('audit_log').select(columns).execute()),
        ...(await db.selectFrom('audit_log_archive').select(columns).execute()),
      ].map((row) => ({ ...row, seq: Number(row.seq), chain_seq: Number(row.chain_seq) }));
    };
    /** What the latest purge wrote about itself in the audit log. */
    const lastPurgeDetails = async () => {
      const entry = await database.handle.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'audit.purged')
        .orderBy('seq', 'desc')
        .executeTakeFirstOrThrow();
      return JSON.parse(entry.details!) as Record<string, unknown>;
    };
    const purge = (before: Date, options: { force?: boolean; batchSize?: number; onBatch?: () => void } = {}) =>
      purgeBefore(database.handle, before, { force: false, batchSize: 400, now: NOW, ...options });

    it('refuses to cut into the live log or the future, and changes nothing', async () => {
      const before = await entries();
      await expect(purge(PURGE_BEFORE)).rejects.toThrow(PurgeRefusedError);
      await expect(purge(PURGE_BEFORE)).rejects.toThrow(/still in the live log .* archive them first/);
      await expect(purge(new Date('2027-01-01T00:00:00Z'))).rejects.toThrow('--before is in the future');
      expect(await entries()).toEqual(before);
      // No chain has been cut: the legacy chain's anchor is still its genesis, and no other chain has one.
      expect(await database.handle.db.selectFrom('audit_chain_anchor').select(['id', 'seq', 'hash']).execute()).toEqual(
        [{ id: LEGACY_CHAIN, seq: 0, hash: '0'.repeat(64) }],
      );
    });

    it('refuses to purge a range whose chain does not verify', async () => {
      const { db } = database.handle;
      await archiveOlderThan(db, ARCHIVED_BEFORE, { batchSize: 1_000, now: NOW });
      const victim = await db
        .selectFrom('audit_log_archive')
        .select(['id', 'chain_seq', 'school_id', 'action'])
        .where('occurred_at', '<', toTimestamp(PURGE_BEFORE))
        .orderBy('seq')
        .offset(50)
        .limit(1)
        .executeTakeFirstOrThrow();
      await db.updateTable('audit_log_archive').set({ action: 'case.closed' }).where('id', '=', victim.id).execute();
      await expect(purge(PURGE_BEFORE)).rejects.toThrow(
        `The chain does not verify at entry ${Number(victim.chain_seq).toLocaleString('en-GB')} of ${describeChain(chainOf(victim.school_id))}, inside the range to purge`,
      );
      await db.updateTable('audit_log_archive').set({ action: victim.action }).where('id', '=', victim.id).execute();
    });

    it('purges in batches, survives being stopped midway, keeps disclosures, audits itself and leaves a verifiable chain', async () => {
      const { db } = database.handle;
      const before = await entries();
      const cut = toTimestamp(PURGE_BEFORE);
      const students = new Set(
        (await db.selectFrom('students').select('id').execute()).map((student) => Number(student.id)),
      );
      const isKeptDisclosure = (entry: (typeof before)[number]) =>
        entry.action === 'student.disclosed' && entry.student_id !== null && students.has(entry.student_id);
      const due = before.filter((entry) => entry.occurred_at < cut);
      expect(due.length).toBeGreaterThan(800);
      expect(due.some(isKeptDisclosure)).toBe(true);

      // Stopped after its first batch, as a killed process would be.
      await expect(
        purge(PURGE_BEFORE, {
          onBatch: () => {
            throw new Error('killed');
          },
        }),
      ).rejects.toThrow('killed');
      expect(await verifyChain(db)).toMatchObject({ ok: true });
      const rerun = await purge(PURGE_BEFORE);
      // Every chain with entries before the cut is cut after its last one.
      const lastDue = new Map<number, number>();
      for (const entry of due) {
        const chain = chainOf(entry.school_id);
        lastDue.set(chain, Math.max(lastDue.get(chain) ?? 0, entry.chain_seq));
      }
      expect(lastDue.size).toBeGreaterThan(2);
      // The stopped run finished the first chain it cut (the district's, whose due entries fit one batch); the rerun
      // cut the others.
      expect(rerun.cuts.map((cut) => [cut.chain, cut.throughSeq])).toEqual(
        [...lastDue].filter(([chain]) => chain !== DISTRICT_CHAIN).sort(([a], [b]) => a - b),
      );

      const after = await entries();
      const purgeEntries = after.filter((entry) => entry.action === 'audit.purged');
      // One entry per run that deleted anything, each written with its first deletion.
      expect(purgeEntries).toHaveLength(2);
      const kept = due.filter(isKeptDisclosure);
      expect(rerun.keptDisclosures).toBe(kept.length);
      expect(
        after
          .filter((entry) => entry.occurred_at < cut)
          .map((entry) => entry.seq)
          .sort(),
      ).toEqual(kept.map((entry) => entry.seq).sort());
      expect(after.length).toBe(before.length - due.length + kept.length + purgeEntries.length);

      for (const [chain, throughSeq] of lastDue) expect((await chainAnchor(db, chain)).seq).toBe(throughSeq);
      expect(await verifyChain(db)).toMatchObject({
        ok: true,
        entries: before.length - due.length + purgeEntries.length,
      });
      expect(await lastPurgeDetails()).toMatchObject({ before: cut, chains: rerun.cuts, forced: false });

      // Nothing is left before the cut but the kept disclosures: a third run purges nothing and audits nothing.
      expect(await purge(PURGE_BEFORE)).toMatchObject({ cuts: [], purged: 0 });
      expect((await entries()).filter((entry) => entry.action === 'audit.purged')).toHaveLength(2);
    });

    it('still reports an entry edited after the purge, counting from the anchor', async () => {
      const { db } = database.handle;
      const anchor = await chainAnchor(db, 1);
      expect(anchor.seq).toBeGreaterThan(0);
      const next = await db
        .selectFrom('audit_log_archive')
        .select(['id', 'action'])
        .where('school_id', '=', 1)
        .where('chain_seq', '>', anchor.seq)
        .orderBy('chain_seq')
        .limit(1)
        .executeTakeFirstOrThrow();
      await db.updateTable('audit_log_archive').set({ action: 'case.closed' }).where('id', '=', next.id).execute();
      expect(await verifyChain(db)).toMatchObject({ ok: false, chain: 1, brokenAt: anchor.seq + 1 });
      await db.updateTable('audit_log_archive').set({ action: next.action }).where('id', '=', next.id).execute();
      expect(await verifyChain(db)).toMatchObject({ ok: true });
    });

    it('purges a broken range when forced, says so in its entry, and the rest still verifies', async () => {
      const { db } = database.handle;
      const later = new Date('2026-05-01T00:00:00Z');
      const victim = await db
        .selectFrom('audit_log_archive')
        .select(['id', 'chain_seq'])
        .where('school_id', '=', 1)
        .where('chain_seq', '>', (await chainAnchor(db, 1)).seq)
        .where('occurred_at', '<', toTimestamp(later))
        .orderBy('chain_seq')
        .limit(1)
        .executeTakeFirstOrThrow();
      await db.updateTable('audit_log_archive').set({ ip: '203.0.113.9' }).where('id', '=', victim.id).execute();
      await expect(purge(later)).rejects.toThrow(
        `does not verify at entry ${Number(victim.chain_seq).toLocaleString('en-GB')} of school 1's chain`,
      );

      const forced = await purge(later, { force: true });
      expect(forced.purged).toBeGreaterThan(0);
      expect(await db.selectFrom('audit_log_archive').select('id').where('id', '=', victim.id).execute()).toEqual([]);
      expect(await lastPurgeDetails()).toMatchObject({ forced: true, before: toTimestamp(later) });
      expect(await verifyChain(db)).toMatchObject({ ok: true });
    });

    it("deletes staff views of students' records of days before the cut, in every school, and keeps the rest", async () => {
      const { db } = database.handle;
      const user = await db.selectFrom('users').select('id').orderBy('id').executeTakeFirstOrThrow();
      const studentOf = (schoolId: number) =>
        db
          .selectFrom('students')
          .select('id')
          .where('school_id', '=', schoolId)
          .orderBy('id')
          .executeTakeFirstOrThrow();
      const days = ['2026-02-26', '2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02'];
      for (const schoolId of [1, 2]) {
        const student = await studentOf(schoolId);
        for (const day of days) {
          await buildStudentRecordView(db, {
            student_id: student.id,
            user_id: user.id,
            viewed_on: day,
            first_viewed_at: `${day} 09:00:00.000`,
          });
        }
      }
      // The chain has nothing left to purge before the cut; the views are purged all the same.
      const outcome = await purge(PURGE_BEFORE);
      expect(outcome).toMatchObject({ cuts: [], purgedViews: 6 });
      const left = await db.selectFrom('student_record_views').select(['school_id', 'viewed_on']).execute();
      expect(left.map((view) => `${view.school_id} ${view.viewed_on}`).sort()).toEqual([
        '1 2026-03-01',
        '1 2026-03-02',
        '2 2026-03-01',
        '2 2026-03-02',
      ]);
    });
  });
}
