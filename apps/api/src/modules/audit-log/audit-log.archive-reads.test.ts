/** auditLog reads across the live log and the archive as one list with one cursor. */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, type GraphQLResponse, startApiHarness } from '../../testing/api-harness.ts';
import { archiveOlderThan } from './audit.maintenance.ts';

const CUTOFF = new Date('2026-09-01T00:00:00Z');
const FROM = '2026-08-01T00:00:00Z';
const TO = '2026-10-01T00:00:00Z';

interface AuditPage {
  auditLog: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
    nodes: { sequence: number; occurredAt: string }[];
  };
}

const QUERY = `query ($after: String, $filter: AuditLogFilter) {
  auditLog(first: 100, after: $after, filter: $filter) {
    totalCount pageInfo { hasNextPage endCursor } nodes { sequence occurredAt }
  }
}`;

for (const engine of testEngines()) {
  describe(`auditLog over the live log and the archive on ${engine.name}`, () => {
    let api: ApiHarness;
    let cookie: string;
    beforeAll(async () => {
      api = await startApiHarness(engine);
      cookie = await api.signIn('district.admin@pastoral.example');
      await archiveOlderThan(api.database.handle.db, CUTOFF, { batchSize: 1000, now: new Date() });
    });
    afterAll(() => api.close());

    const countIn = async (table: 'audit_log' | 'audit_log_archive', schoolId?: number) =>
      Number(
        (
          await api.database.handle.db
            .selectFrom(table)
            .select((eb) => eb.fn.countAll().as('n'))
            .where('occurred_at', '>=', '2026-08-01 00:00:00.000')
            .where('occurred_at', '<', '2026-10-01 00:00:00.000')
            .$if(schoolId !== undefined, (query) => query.where('school_id', '=', schoolId!))
            .executeTakeFirstOrThrow()
        ).n,
      );

    async function readAll(filter: Record<string, unknown>, as = cookie) {
      const entries: { sequence: number; occurredAt: string }[] = [];
      let after: string | null = null;
      for (;;) {
        const response: GraphQLResponse<AuditPage> = await api.graphql<AuditPage>(QUERY, { after, filter }, as);
        expect(response.body.errors).toBeUndefined();
        const page = response.body.data!.auditLog;
        entries.push(...page.nodes);
        if (!page.pageInfo.hasNextPage) return { entries, totalCount: page.totalCount };
        after = page.pageInfo.endCursor;
      }
    }

    it('pages through a range across the cut-off, newest first, every entry once', async () => {
      const archived = await countIn('audit_log_archive');
      const live = await countIn('audit_log');
      expect(archived).toBeGreaterThan(100);
      expect(live).toBeGreaterThan(100);

      const { entries, totalCount } = await readAll({ from: FROM, to: TO });
      expect(totalCount).toBe(archived + live);
      expect(entries).toHaveLength(archived + live);
      expect(new Set(entries.map((entry) => entry.sequence)).size).toBe(entries.length);
      const times = entries.map((entry) => entry.occurredAt);
      expect(times).toEqual([...times].sort().reverse());
      expect(times.at(-1)! < CUTOFF.toISOString()).toBe(true);
    });

    it("keeps a school admin to their own school's entries in the archive too", async () => {
      const admin = await api.database.handle.db
        .selectFrom('users')
        .select(['email', 'school_id'])
        .where('role', '=', 'SCHOOL_ADMIN')
        .orderBy('id')
        .executeTakeFirstOrThrow();
      const schoolId = admin.school_id!;
      const archived = await countIn('audit_log_archive', schoolId);
      expect(archived).toBeGreaterThan(0);
      expect(await countIn('audit_log_archive')).toBeGreaterThan(archived);
      const { entries, totalCount } = await readAll({ from: FROM, to: TO }, await api.signIn(admin.email));
      expect(totalCount).toBe(archived + (await countIn('audit_log', schoolId)));
      expect(entries).toHaveLength(totalCount);
    });

    it("finds an archived entry by its id through node, within the reader's scope", async () => {
      const archived = await api.database.handle.db
        .selectFrom('audit_log_archive')
        .select(['id', 'seq', 'school_id'])
        .where('school_id', 'is not', null)
        .orderBy('id')
        .limit(1)
        .executeTakeFirstOrThrow();
      const otherSchool = await api.database.handle.db
        .selectFrom('users')
        .select('email')
        .where('role', '=', 'SCHOOL_ADMIN')
        .where('school_id', '!=', archived.school_id)
        .executeTakeFirstOrThrow();
      const query = `query ($id: ID!) { node(id: $id) { ... on AuditLogEntry { sequence } } }`;
      const id = toGlobalId('AuditLogEntry', { schoolId: archived.school_id, id: Number(archived.id) });
      const found = await api.graphql<{ node: { sequence: number } | null }>(query, { id }, cookie);
      expect(found.body.data?.node).toEqual({ sequence: Number(archived.seq) });
      const outsider = await api.signIn(otherSchool.email);
      const hidden = await api.graphql<{ node: { sequence: number } | null }>(query, { id }, outsider);
      expect(hidden.body.data?.node).toBeNull();
    });

    it('reads only the live log when asked to leave the archive out', async () => {
      const { entries } = await readAll({ from: FROM, to: TO, includeArchived: false });
      expect(entries).toHaveLength(await countIn('audit_log'));
      expect(entries.every((entry) => entry.occurredAt >= CUTOFF.toISOString())).toBe(true);
    });
  });
}
