/**
 * A student's disclosure record: every read of their data by an integrator's token, from the live log and the
 * archive alike, shown to those who may read the school's audit log and to nobody else.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
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

    it('is open to a token with audit:read and null for a token without it', async () => {
      const auditor = await createToken('Auditor', ['STUDENTS_READ', 'AUDIT_READ']);
      const query = 'query { students(first: 1) { nodes { disclosures { totalCount } } } }';
      const withScope = await api.graphqlWithToken<{ students: { nodes: { disclosures: DisclosurePage | null }[] } }>(
        query,
        {},
        auditor,
      );
      expect(withScope.body.data!.students.nodes[0]!.disclosures!.totalCount).toBeGreaterThanOrEqual(2);
      const withoutScope = await api.graphqlWithToken<{
        students: { nodes: { disclosures: DisclosurePage | null }[] };
      }>(query, {}, readerToken);
      expect(withoutScope.body.data!.students.nodes[0]!.disclosures).toBeNull();
    });
  });
}
