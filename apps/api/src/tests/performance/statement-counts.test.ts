/**
 * No N+1, proven: each main operation sends the same number of SQL statements for a page of 5 as for a page of
 * 100, and no more than its stated bound. The count includes reading the session, and recording the views of
 * the students a page shows (one INSERT for a page's first views of the day; none for a page seen again).
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, seedClock, startApiHarness } from '../../testing/api-harness.ts';

interface Operation {
  name: string;
  account: string;
  /** The most statements the operation may send, session included. */
  bound: number;
  query: string;
  variables?: (api: ApiHarness) => Promise<Record<string, unknown>>;
}

const OPERATIONS: Operation[] = [
  {
    name: 'dashboard',
    account: 'district.admin@pastoral.example',
    // The figures are one statement over the schools' summary rows, after listing the schools (it was six
    // counting statements over the tables, 13 in all). The students it names are viewed: one INSERT of the
    // day's first views (request-reads.ts), as on every page of students.
    bound: 8,
    query: `query ($n: Int!) { dashboard {
      newAlerts overdueReviews openCasesByStatus { status count } studentsByRiskLevel { level count } computedAt
      newlyAtRisk(first: $n) { totalCount nodes { fullName classroom { name } riskProfile { level reasons } } }
    } }`,
  },
  {
    name: 'case list',
    account: 'pastoral.lead@s01.pastoral.example',
    bound: 11,
    query: `query ($n: Int!) { cases(first: $n, filter: {}) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node {
      title status priority isOverdue nextReviewAt assignedTo { fullName } openedBy { fullName }
      student { fullName classroom { name } riskProfile { level reasons } }
      timeline(first: 3) { totalCount nodes { kind author { fullName } } }
    } } } }`,
  },
  {
    name: 'alert list',
    account: 'school.admin@s01.pastoral.example',
    bound: 8,
    query: `query ($n: Int!) { alerts(first: $n, filter: { status: [NEW, ACKNOWLEDGED] }) { totalCount nodes {
      type severity status alertDate reason assignedTo { fullName } raisedBy { fullName }
      student { fullName classroom { name } riskProfile { level } }
    } } }`,
  },
  {
    name: 'roster',
    account: 'form.master@s01.pastoral.example',
    bound: 12,
    query: `query ($n: Int!) { students(first: $n, orderBy: { field: RISK, direction: DESC }) { totalCount nodes {
      fullName classroom { name formMasters { fullName } } riskProfile { level reasons attendanceRate }
      alerts(first: 3) { totalCount nodes { type status } } cases(first: 3) { nodes { status } }
    } } }`,
  },
  {
    name: 'student profile',
    account: 'pastoral.lead@s01.pastoral.example',
    bound: 18,
    query: `query ($id: ID!, $n: Int!) { node(id: $id) { ... on Student {
      fullName classroom { name school { name } } riskProfile { level reasons attendanceRate computedAt }
      attendance(first: $n) { totalCount nodes { date status } }
      behaviourIncidents(first: $n) { totalCount nodes { occurredOn category severity } }
      assessmentResults { subject score passing }
      alerts(first: $n) { totalCount nodes { reason status assignedTo { fullName } } }
      cases(first: $n) { totalCount nodes { title status timeline(first: $n) { nodes { kind body author { fullName } } } } }
    } } }`,
    variables: async (api) => {
      const busiest = await api.database.handle.db
        .selectFrom('intervention_cases')
        .select(['student_id', (eb) => eb.fn.countAll<number>().as('cases')])
        .where('school_id', '=', 1)
        .groupBy('student_id')
        .orderBy('cases', 'desc')
        .orderBy('student_id')
        .limit(1)
        .executeTakeFirstOrThrow();
      return { id: toGlobalId('Student', { schoolId: 1, id: busiest.student_id }) };
    },
  },
  {
    name: 'audit log across live log and archive',
    account: 'district.admin@pastoral.example',
    // A page and a count in each of the two tables, then users and schools in one batch each.
    bound: 7,
    query: `query ($n: Int!) { auditLog(first: $n, filter: { from: "2026-09-01T00:00:00Z", to: "2026-12-01T00:00:00Z" }) {
      totalCount nodes { action occurredAt actorType actor { fullName } school { name } sequence }
    } }`,
  },
];

/** Activity writes (at most one a minute) are not part of an operation's shape. */
const countOf = (statements: string[]) => statements.filter((s) => !/^update [`"]sessions[`"]/i.test(s)).length;

for (const engine of testEngines()) {
  describe(`SQL statements per operation on ${engine.name}`, () => {
    let api: ApiHarness;
    const cookies = new Map<string, string>();
    beforeAll(async () => {
      // The SQL each operation sends when nothing is cached: the dashboard's figures would be a cache hit the
      // second time, the session is cached from sign-in on, and classrooms and terms once read. (The tests of
      // dashboard.cache, session-cache and reference-cache count what each sends once it holds its data.)
      // At the seed's date: the dashboard lists who became at risk in the seed's last week.
      api = await startApiHarness(engine, {
        environment: { DASHBOARD_CACHE_TTL_S: '0', SESSION_CACHE_TTL_S: '0', REFERENCE_CACHE_TTL_S: '0' },
        clock: seedClock(),
      });
      for (const account of new Set(OPERATIONS.map((o) => o.account))) cookies.set(account, await api.signIn(account));
    });
    afterAll(() => api.close());

    it('learns who a form master is, and their classrooms, in one statement, as for everyone else', async () => {
      for (const account of ['form.master@s01.pastoral.example', 'district.admin@pastoral.example']) {
        const cookie = cookies.get(account) ?? (await api.signIn(account));
        const response = await api.graphql('{ viewer { role } }', {}, cookie);
        expect(response.body.errors).toBeUndefined();
        expect({ account, statements: countOf(response.statements) }).toEqual({ account, statements: 1 });
      }
    });

    it("reads a dashboard's figures from the summary rows alone, in one statement", async () => {
      for (const account of [
        'district.admin@pastoral.example',
        'pastoral.lead@s01.pastoral.example',
        'form.master@s01.pastoral.example',
      ]) {
        const response = await api.graphql(
          '{ dashboard { newAlerts overdueReviews openCasesByStatus { status count } studentsByRiskLevel { level count } } }',
          {},
          cookies.get(account) ?? (await api.signIn(account)),
        );
        expect(response.body.errors).toBeUndefined();
        const counting = response.statements.filter((statement) =>
          /\b(alerts|intervention_cases|students|risk_profiles|summary_counts)\b/.test(statement),
        );
        expect({ account, counting: counting.map((statement) => /from [`"](\w+)[`"]/.exec(statement)?.[1]) }).toEqual({
          account,
          counting: ['summary_counts'],
        });
      }
    });

    for (const operation of OPERATIONS) {
      it(`${operation.name}: the same count for 5 and 100 rows, at most ${operation.bound}`, async () => {
        const variables = (await operation.variables?.(api)) ?? {};
        const cookie = cookies.get(operation.account)!;
        const small = await api.graphql(operation.query, { ...variables, n: 5 }, cookie);
        const large = await api.graphql(operation.query, { ...variables, n: 100 }, cookie);
        expect(small.body.errors).toBeUndefined();
        expect(large.body.errors).toBeUndefined();
        // The large page really is larger, or the comparison would prove nothing.
        expect(JSON.stringify(large.body).length).toBeGreaterThan(JSON.stringify(small.body).length);
        expect({ operation: operation.name, statements: countOf(large.statements) }).toEqual({
          operation: operation.name,
          statements: countOf(small.statements),
        });
        expect(countOf(large.statements)).toBeLessThanOrEqual(operation.bound);
      });
    }
  });
}
