/**
 * A student's disclosure record: every read of their data by an integrator's token, from the live log and the
 * archive alike, shown to those who may read the school's audit log and to nobody else.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { districtWide } from '../../school-scope.ts';
import { archiveOlderThan } from './audit.maintenance.ts';

const CREATE_TOKEN = `mutation ($input: CreateApiTokenInput!) {
  createApiToken(input: $input) { token userErrors { message } }
}`;
const TOKEN_READS_STUDENTS = 'query ($first: Int!) { students(first: $first) { nodes { id } } }';
const DISCLOSURES_OF = `query ($id: ID!, $first: Int, $after: String) {
  node(id: $id) {
    ... on Student {
      disclosures(first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { action sequence details actorType apiToken { name } }
      }
    }
  }
}`;

interface DisclosurePage {
  totalCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  nodes: { action: string; sequence: number; details: string; actorType: string; apiToken: { name: string } | null }[];
}

for (const engine of testEngines()) {
  describe(`Student.disclosures on ${engine.name}`, () => {
    let api: ApiHarness;
    let schoolAdmin: string;
    let readerToken: string;
    /** Read twice by the token: once before the archival, once after. */
    let readTwice: string;
    let readOnce: string;

    const createToken = async (name: string, scopes: string[]) => {
      const created = await api.graphql<{ createApiToken: { token: string } }>(
        CREATE_TOKEN,
        { input: { name, scopes } },
        schoolAdmin,
      );
      return created.body.data!.createApiToken.token;
    };
    const disclosuresOf = async (id: string, cookie: string, page: { first?: number; after?: string } = {}) => {
      const response = await api.graphql<{ node: { disclosures: DisclosurePage | null } | null }>(
        DISCLOSURES_OF,
        { id, ...page },
        cookie,
      );
      expect(response.body.errors).toBeUndefined();
      return response.body.data!.node;
    };

    beforeAll(async () => {
      api = await startApiHarness(engine);
      schoolAdmin = await api.signIn('school.admin@s01.pastoral.example');
      readerToken = await createToken('Analytics', ['STUDENTS_READ']);
      const first = await api.graphqlWithToken<{ students: { nodes: { id: string }[] } }>(
        TOKEN_READS_STUDENTS,
        { first: 3 },
        readerToken,
      );
      [readTwice, readOnce] = first.body.data!.students.nodes.map((node) => node.id) as [string, string];
      // Everything so far moves to the archive; the second read stays in the live log.
      await archiveOlderThan(api.database.handle.db, new Date(Date.now() + 1_000), {
        batchSize: 1_000,
        now: new Date(),
      });
      await api.graphqlWithToken(TOKEN_READS_STUDENTS, { first: 1 }, readerToken);
    });
    afterAll(() => api.close());

    /** The student's disclosures as stored, read straight from both tables. */
    const storedDisclosures = async (globalId: string) => {
      const studentId = fromGlobalId(globalId)!.key.id;
      const { db } = api.database.handle;
      const seqs = async (table: 'audit_log' | 'audit_log_archive') =>
        (
          await db
            .selectFrom(table)
            .select('seq')
            .where('student_id', '=', studentId)
            .where('action', '=', 'student.disclosed')
            .execute()
        ).map((row) => Number(row.seq));
      return { live: await seqs('audit_log'), archived: await seqs('audit_log_archive') };
    };

    it("lists every token read of the student, live and archived, newest first, to the school's admin", async () => {
      const stored = await storedDisclosures(readTwice);
      expect(stored.live).toHaveLength(1);
      const all = [...stored.live, ...stored.archived].sort((a, b) => b - a);
      const disclosures = (await disclosuresOf(readTwice, schoolAdmin, { first: 100 }))!.disclosures!;
      expect(disclosures.totalCount).toBe(all.length);
      expect(disclosures.nodes.map((entry) => entry.sequence)).toEqual(all);
      // The newest two are this test's token reads: after the archival, then before it.
      for (const entry of disclosures.nodes.slice(0, 2)) {
        expect(entry).toMatchObject({
          action: 'student.disclosed',
          actorType: 'TOKEN',
          apiToken: { name: 'Analytics' },
        });
        expect(JSON.parse(entry.details)).toEqual({ via: 'students' });
      }
      expect(disclosures.nodes[0]!.sequence).toBe(stored.live[0]);
      expect(stored.archived).toContain(disclosures.nodes[1]!.sequence);
      const storedOnce = await storedDisclosures(readOnce);
      expect((await disclosuresOf(readOnce, schoolAdmin))!.disclosures!.totalCount).toBe(
        storedOnce.live.length + storedOnce.archived.length,
      );
    });

    it('pages with a cursor from the live log into the archive', async () => {
      const stored = await storedDisclosures(readTwice);
      const seen: number[] = [];
      let after: string | undefined;
      for (;;) {
        const page = (await disclosuresOf(readTwice, schoolAdmin, { first: 1, after }))!.disclosures!;
        seen.push(...page.nodes.map((entry) => entry.sequence));
        if (!page.pageInfo.hasNextPage) break;
        after = page.pageInfo.endCursor!;
      }
      expect(seen).toEqual([...stored.live, ...stored.archived].sort((a, b) => b - a));
    });

    it("is shown to a district admin, hidden from another school's staff, and null for staff who do not read the audit log", async () => {
      const districtAdmin = await api.signIn('district.admin@pastoral.example');
      const stored = await storedDisclosures(readTwice);
      expect((await disclosuresOf(readTwice, districtAdmin))!.disclosures!.totalCount).toBe(
        stored.live.length + stored.archived.length,
      );
      // The student does not exist for another school's staff, disclosures and all.
      expect(await disclosuresOf(readTwice, await api.signIn('form.master@s02.pastoral.example'))).toBeNull();

      const formMaster = await api.signIn('form.master@s01.pastoral.example');
      const ownStudents = await api.graphql<{ students: { nodes: { disclosures: DisclosurePage | null }[] } }>(
        'query { students(first: 5) { nodes { disclosures { totalCount } } } }',
        {},
        formMaster,
      );
      expect(ownStudents.body.data!.students.nodes.length).toBeGreaterThan(0);
      for (const student of ownStudents.body.data!.students.nodes) expect(student.disclosures).toBeNull();
    });

    it('reads every student of a page in one statement from both tables, however long the page', async () => {
      const page = (first: number) =>
        api.graphql<{ students: { nodes: { disclosures: DisclosurePage }[] } }>(
          'query ($first: Int!) { students(first: $first) { nodes { disclosures(first: 5) { nodes { sequence apiToken { name } } } } } }',
          { first },
          schoolAdmin,
        );
      const short = await page(3);
      const long = await page(40);
      expect(long.body.data!.students.nodes).toHaveLength(40);
      expect(long.statements.length).toBe(short.statements.length);
      const disclosureReads = long.statements.filter((statement) => statement.includes('audit_log_archive'));
      expect(disclosureReads).toHaveLength(1);
      expect(disclosureReads[0]).toMatch(/union all/i);
    });

    it('is open to a token with audit:read, and refused to a token without it', async () => {
      const auditor = await createToken('Auditor', ['STUDENTS_READ', 'AUDIT_READ']);
      const query = 'query { students(first: 1) { nodes { disclosures { totalCount } } } }';
      const withScope = await api.graphqlWithToken<{ students: { nodes: { disclosures: DisclosurePage | null }[] } }>(
        query,
        {},
        auditor,
      );
      expect(withScope.body.data!.students.nodes[0]!.disclosures!.totalCount).toBeGreaterThanOrEqual(2);
      const withoutScope = await api.graphqlWithToken(query, {}, readerToken);
      expect(withoutScope.status).toBe(403);
      expect(withoutScope.body.data ?? null).toBeNull();
      expect(withoutScope.body.errors?.[0]?.message).toContain(
        'AuditLogEntryConnection.totalCount needs the audit:read scope (at students.nodes.disclosures.totalCount)',
      );
    });

    /** The disclosure entries written after sequence `after`, as (student, via) pairs. */
    const disclosedSince = async (after: number) =>
      (
        await api.database.handle.db
          .selectFrom('audit_log')
          .select(['student_id', 'details', 'actor_type'])
          .where('seq', '>', after)
          .where('action', '=', 'student.disclosed')
          .orderBy('seq')
          .execute()
      ).map((row) => ({ student: row.student_id, via: (JSON.parse(row.details!) as { via: string }).via }));
    /** The last entry's number, whichever chain it is on. */
    const headSeq = async () =>
      Number(
        (
          await api.database.handle.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .where(districtWide('audit-chain'))
            .executeTakeFirstOrThrow()
        ).seq ?? 0,
      );

    it('lets a token read 100 of everything in one request, its disclosures written in one batch', async () => {
      const token = await createToken('Full reader', ['STUDENTS_READ', 'CASES_READ', 'ALERTS_READ']);
      const query = `{
        students(first: 100) { nodes { id fullName riskProfile { level } cases(first: 100) { totalCount } } }
        cases(first: 100, filter: {}) { nodes { id student { id fullName } } }
        alerts(first: 100, filter: {}) { nodes { id student { id } } }
      }`;
      const before = await headSeq();
      const response = await api.graphqlWithToken<{
        students: { nodes: { id: string }[] };
        cases: { nodes: { student: { id: string } }[] };
        alerts: { nodes: { student: { id: string } }[] };
      }>(query, {}, token);
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      const data = response.body.data!;
      expect(data.students.nodes).toHaveLength(100);
      expect(data.cases.nodes).toHaveLength(100);
      expect(data.alerts.nodes).toHaveLength(100);

      // One entry per student read and request, naming a root it was read under (root fields resolve at once:
      // whichever read the student first).
      const roots = new Map<number, Set<string>>();
      const readUnder = (root: string, ids: string[]) => {
        for (const id of ids) {
          const student = fromGlobalId(id)!.key.id;
          if (!roots.has(student)) roots.set(student, new Set());
          roots.get(student)!.add(root);
        }
      };
      readUnder(
        'students',
        data.students.nodes.map((node) => node.id),
      );
      readUnder(
        'cases',
        data.cases.nodes.map((node) => node.student.id),
      );
      readUnder(
        'alerts',
        data.alerts.nodes.map((node) => node.student.id),
      );
      const disclosed = await disclosedSince(before);
      expect(disclosed).toHaveLength(roots.size);
      expect(new Set(disclosed.map((entry) => entry.student))).toEqual(new Set(roots.keys()));
      for (const entry of disclosed) expect(roots.get(entry.student!)).toContain(entry.via);
      // All of them in one batch: a statement on MySQL, a transaction on SQLite, after the query's own.
      const writes = response.statements.filter((statement) =>
        /^insert into "?audit_log"? |append_audit_entries/i.test(statement),
      );
      expect(writes).toEqual(
        engine.name === 'mysql'
          ? ['call append_audit_entries(?)']
          : [expect.stringMatching(/^insert into "audit_log"/)],
      );
    });

    it('writes a page of 100 with at most three statements more than the same page read by a school admin', async () => {
      const token = await createToken('Page reader', ['STUDENTS_READ']);
      const query = '{ students(first: 100, orderBy: { field: NAME, direction: DESC }) { nodes { id fullName } } }';
      const byToken = await api.graphqlWithToken(query, {}, token);
      const byAdmin = await api.graphql(query, {}, schoolAdmin);
      expect(byToken.body.errors).toBeUndefined();
      expect(byAdmin.body.errors).toBeUndefined();
      // MySQL: the token's lookup, and the batch's one statement, against the admin's insert of the day's views.
      // SQLite, in process, has no round trip to save: its batch is a transaction of six (begin, lock the head,
      // read it, insert, advance it, commit).
      expect(byToken.statements.length).toBeLessThanOrEqual(
        byAdmin.statements.length + (engine.name === 'mysql' ? 3 : 7),
      );
    });

    it('records nothing for a refused or failed request', async () => {
      const studentsOnly = await createToken('Students only', ['STUDENTS_READ']);
      const before = await headSeq();
      // Asks for students and for what the token may not read: refused whole, nothing read, no disclosure (the
      // refusal itself is on the record: access-refusals.test.ts).
      const refused = await api.graphqlWithToken(
        '{ students(first: 5) { nodes { id alerts { nodes { id } } } } }',
        {},
        studentsOnly,
      );
      expect(refused.status).toBe(403);
      // A page too large fails before anything is read.
      const failed = await api.graphqlWithToken('{ students(first: 101) { nodes { id } } }', {}, studentsOnly);
      expect(failed.status).toBe(400);
      expect(await disclosedSince(before)).toEqual([]);
    });
  });
}
