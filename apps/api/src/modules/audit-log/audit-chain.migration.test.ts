import { readdirSync } from 'node:fs';
import { migrateDown, migrateToLatest, toTimestamp } from '@pastoral/db';
import { MIGRATIONS_FOLDER, type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainHash, GENESIS_HASH } from './audit-chain.ts';
import { LEGACY_CHAIN } from './audit-chains.ts';
import { verifyChain } from './audit.maintenance.ts';
import { type AuditActor, appendAuditEntries, recordAuditEvent } from './audit.writer.ts';

const ACTOR: AuditActor = { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null };
/**
 * Back to before the two migrations that moved the single chain to a chain per school: them, and every migration
 * after them (counted from the folder, so that a later migration does not stop the walk back one short).
 */
const PER_SCHOOL_CHAIN_MIGRATIONS = readdirSync(MIGRATIONS_FOLDER).filter(
  (file) => /^\d{14}_.+\.ts$/.test(file) && file >= '20261216090000',
).length;

for (const engine of testEngines()) {
  describe(`moving the district's single audit chain to a chain per school on ${engine.name}`, () => {
    let database: TestDatabase;
    const legacy: { id: number; seq: number }[] = [];
    beforeAll(async () => {
      database = await engine.createDatabase();
      const { db } = database.handle;
      await migrateDown(db, MIGRATIONS_FOLDER, PER_SCHOOL_CHAIN_MIGRATIONS);
      // Thirty entries of three schools and the district, written as the single chain wrote them: linked by seq.
      let hash = GENESIS_HASH;
      for (let seq = 1; seq <= 30; seq++) {
        const fields = {
          seq,
          occurred_at: toTimestamp(new Date(Date.UTC(2026, 10, 1, 9, seq))),
          school_id: [1, 2, null][seq % 3] ?? null,
          actor_type: 'USER',
          user_id: seq,
          api_token_id: null,
          action: 'session.signed_in',
          entity_type: 'user',
          entity_id: seq,
          student_id: null,
          request_id: `legacy-${seq}`,
          ip: null,
          details: null,
        };
        hash = chainHash(hash, fields);
        await db
          .insertInto('audit_log')
          .values({ ...fields, hash })
          .execute();
      }
      await db.updateTable('audit_chain_head').set({ seq: 30, hash }).where('id', '=', 1).execute();
      await migrateToLatest(db, MIGRATIONS_FOLDER);
      legacy.push(
        ...(await db.selectFrom('audit_log').select(['id', 'seq']).orderBy('seq').execute()).map((row) => ({
          id: Number(row.id),
          seq: Number(row.seq),
        })),
      );
    });
    afterAll(() => database.drop());

    it('keeps the entries written before as the legacy chain, which verifies as it did', async () => {
      const result = await verifyChain(database.handle.db);
      expect(result).toMatchObject({ ok: true, entries: 30 });
      expect(result.chains).toEqual([{ chain: LEGACY_CHAIN, ok: true, entries: 30 }]);
    });

    it('starts each new chain from the legacy head, numbers new entries after the old ones, and verifies all', async () => {
      const { db, dialect } = database.handle;
      await recordAuditEvent(db, dialect, ACTOR, { action: 'session.signed_in', schoolId: 1, userId: 1 });
      await recordAuditEvent(db, dialect, ACTOR, { action: 'session.signed_out', schoolId: null, userId: 2 });
      await appendAuditEntries(
        db,
        dialect,
        ACTOR,
        [1, 2].map((studentId) => ({ action: 'student.disclosed', schoolId: 2, studentId, via: 'students' })),
        new Date(),
      );
      const written = await db
        .selectFrom('audit_log')
        .select(['seq', 'chain_seq', 'school_id'])
        .where('chain_seq', 'is not', null)
        .orderBy('seq')
        .execute();
      expect(written.map((row) => [Number(row.seq) > 30, row.school_id, Number(row.chain_seq)])).toEqual([
        [true, 1, 1],
        [true, null, 1],
        [true, 2, 1],
        [true, 2, 2],
      ]);
      const result = await verifyChain(db);
      expect(result).toMatchObject({ ok: true, entries: 34 });
      expect(result.chains.map((report) => [report.chain, report.entries])).toEqual([
        [LEGACY_CHAIN, 30],
        [0, 1],
        [1, 1],
        [2, 2],
      ]);
    });

    it('still catches an edited legacy entry, by its seq, while the new chains verify', async () => {
      const { db } = database.handle;
      const victim = legacy[11]!;
      await db.updateTable('audit_log').set({ action: 'case.closed' }).where('id', '=', victim.id).execute();
      const result = await verifyChain(db);
      expect(result).toMatchObject({ ok: false, chain: LEGACY_CHAIN, brokenAt: victim.seq });
      expect(result.chains.filter((report) => report.ok).map((report) => report.chain)).toEqual([0, 1, 2]);
    });
  });
}
