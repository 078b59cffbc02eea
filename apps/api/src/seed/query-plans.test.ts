/**
 * The hot queries of the later issues, EXPLAINed on seeded data: each must read through its index, never scan
 * the table. (On MariaDB the plan depends on statistics, which the seed refreshes with ANALYZE TABLE.)
 */
import { type SelectQueryBuilder, sql } from 'kysely';
import type { AuditEntry, Database } from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSeededDatabase, SEED_AS_OF } from '../testing/seeded-database.ts';
import { archiveOlderThan } from '../modules/audit-log/audit.maintenance.ts';
import { keysetCondition } from '../paging/keyset.ts';
import { schoolKeyOf } from '../school-scope.ts';
import type { SortKey } from '../paging/cursor.ts';
import { disclosuresOf } from '../modules/audit-log/audit-log.repository.ts';
import { HOT_QUERIES } from '../modules/maintenance/hot-queries.ts';
import type { Viewer } from '../modules/auth/viewer.ts';

type AuditPageQuery = SelectQueryBuilder<Database, 'audit_log', AuditEntry>;
const AUDIT_PAGE_KEYS: SortKey<AuditEntry>[] = [
  { expression: sql.ref('occurred_at'), direction: 'desc', value: (row) => row.occurred_at },
  { expression: sql.ref('id'), direction: 'desc', value: (row) => Number(row.id) },
];

for (const engine of testEngines()) {
  describe(`query plans on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createSeededDatabase(engine, 3);
    });
    afterAll(() => database.drop());

    it("a student's disclosure record reads the live log and the archive through their student-time indexes", async () => {
      // Its own database, with most of the log archived: on an empty archive any index is as good as another,
      // and the plan would say nothing.
      const archived = await createSeededDatabase(engine, 4);
      try {
        const { db } = archived.handle;
        const moved = await archiveOlderThan(db, new Date(SEED_AS_OF.getTime() - 20 * 86_400_000), {
          batchSize: 1_000,
          now: SEED_AS_OF,
        });
        expect(moved.moved).toBeGreaterThan(1_000);
        if (engine.name === 'mysql') await sql`analyze table audit_log_archive`.execute(db);
        else await sql`analyze`.execute(db);
        const districtWide = { role: 'DISTRICT_ADMIN', schoolId: null } as Viewer;
        const student = await db
          .selectFrom('students')
          .select(['id', 'school_id'])
          .where('id', '=', 5)
          .executeTakeFirstOrThrow();
        const query = disclosuresOf(db, districtWide, [schoolKeyOf(student)])
          .orderBy(sql.ref('disclosures.occurred_at'), 'desc')
          .limit(26);
        const plan = await archived.handle.dialect.explain(query as never);
        const indexes = plan.map((step) => step.index);
        expect(indexes).toContain('audit_log_student_time_idx');
        expect(indexes).toContain('audit_log_archive_student_time_idx');
        // No step reads either table without an index.
        const baseTables = plan.filter((step) => step.table === 'audit_log' || step.table === 'audit_log_archive');
        expect(baseTables.length).toBeGreaterThanOrEqual(2);
        expect(baseTables.every((step) => step.index !== null)).toBe(true);
      } finally {
        await archived.drop();
      }
    });

    // A page of the audit log is read in index order and stops after its rows: on the partitioned MySQL table
    // that needs `id` in the index itself (see the audit_index_tie_breakers migration).
    for (const [scope, index, narrow] of [
      ['the district', 'audit_log_time_idx', (query: AuditPageQuery) => query],
      ['a school', 'audit_log_school_time_idx', (query: AuditPageQuery) => query.where('school_id', '=', 1)],
      ['a user', 'audit_log_user_time_idx', (query: AuditPageQuery) => query.where('user_id', '=', 4)],
    ] as const) {
      for (const after of [null, ['2026-11-20 10:00:00.000', 1_000_000]] as const) {
        it(`the ${after ? 'next page' : 'first page'} of ${scope}'s audit log reads ${index} in order, with no sort`, async () => {
          let page = narrow(
            database.handle.db
              .selectFrom('audit_log')
              .selectAll()
              .where('occurred_at', '>=', '2026-10-31 00:00:00.000')
              .where('occurred_at', '<', '2026-11-30 00:00:00.000'),
          );
          // The keyset the API pages with, after a cursor.
          if (after) page = page.where(keysetCondition(AUDIT_PAGE_KEYS, [...after], false));
          const plan = await database.handle.dialect.explain(
            page.orderBy('occurred_at', 'desc').orderBy('id', 'desc').limit(26) as never,
          );
          expect(plan.map((step) => step.index)).toContain(index);
          expect(plan.map((step) => step.detail).join('; ')).not.toMatch(/filesort|TEMP B-TREE/i);
        });
      }
    }

    for (const { name, index, query } of HOT_QUERIES) {
      it(`${name} reads through ${index}`, async () => {
        const plan = await database.handle.dialect.explain(query(database.handle.db));
        expect(plan.map((step) => step.index)).toContain(index);
        expect(plan.every((step) => step.index !== null)).toBe(true);
      });
    }
  });
}
