/**
 * graphql-jit answers exactly as graphql-js does. Every operation the web app sends (its generated documents in
 * apps/web/src/gql) runs, in the same order and with the same variables, against two servers: one executing
 * with graphql-jit (the default), one with graphql-js, each on its own database seeded alike. Every response
 * must be the same, errors included; only what the clock or chance decides (a new token's secret, the time a
 * write happened) is set aside. An operation the web app gains without a step here fails the test.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, type GraphQLResponse, startApiHarness } from '../testing/api-harness.ts';
import { WEB_OPERATIONS, webOperation } from '../testing/web-operations.ts';
import { compiledExecutor } from './compiled-executor.ts';
import { buildSchema } from './schema.ts';

const FORM_MASTER = 'form.master@s01.pastoral.example';
const PASTORAL_LEAD = 'pastoral.lead@s01.pastoral.example';
const SCHOOL_ADMIN = 'school.admin@s01.pastoral.example';
const DISTRICT_ADMIN = 'district.admin@pastoral.example';

type Body = GraphQLResponse['body'];

describe.each(testEngines())('graphql-jit against graphql-js on $name', (engine) => {
  let compiled: ApiHarness;
  let reference: ApiHarness;
  const cookies = new Map<string, { compiled: string; reference: string }>();
  const operationsRun = new Set<string>();
  let startedAt: Date;

  beforeAll(async () => {
    startedAt = new Date();
    [compiled, reference] = await Promise.all([
      startApiHarness(engine, { environment: { GRAPHQL_EXECUTOR: 'jit' } }),
      startApiHarness(engine, { environment: { GRAPHQL_EXECUTOR: 'graphql-js' } }),
    ]);
  });
  afterAll(async () => {
    await compiled?.close();
    await reference?.close();
  });

  async function signInOnBoth(account: string) {
    const both = { compiled: await compiled.signIn(account), reference: await reference.signIn(account) };
    cookies.set(account, both);
    return both;
  }

  /** Sends a web operation to both servers as `account`, expects the same answer, and returns graphql-js's. */
  async function send(name: string, account: string | null, variables: Record<string, unknown> = {}) {
    const query = webOperation(name);
    operationsRun.add(name);
    const session = account ? (cookies.get(account) ?? (await signInOnBoth(account))) : null;
    const fromCompiled = await compiled.graphql(query, variables, session?.compiled);
    const fromReference = await reference.graphql(query, variables, session?.reference);
    expect(
      { status: fromCompiled.status, body: setAsideChance(fromCompiled.body, startedAt) },
      `${name} as ${account ?? 'nobody'}`,
    ).toEqual({ status: fromReference.status, body: setAsideChance(fromReference.body, startedAt) });
    return fromReference.body as { data: Record<string, any>; errors?: Body['errors'] }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  it('gives the same answer to every operation the web app sends, errors included', async () => {
    expect((await send('SignInMutation', null, { input: { email: FORM_MASTER, password: 'wrong' } })).data).toEqual({
      signIn: { viewer: null, userErrors: [{ message: expect.any(String) }] },
    });
    await send('ViewerQuery', null);
    await send('ViewerQuery', FORM_MASTER);
    await send('DashboardPageQuery', FORM_MASTER);
    await send('DashboardPageQuery', DISTRICT_ADMIN);

    const roster = await send('StudentsPageQuery', FORM_MASTER);
    expect(roster.data.students.edges.length).toBeGreaterThan(0);
    await send('StudentsPageQuery', FORM_MASTER, { after: roster.data.students.pageInfo.endCursor });
    await send('StudentsPageQuery', FORM_MASTER, { after: 'not-a-cursor' });
    const studentId = roster.data.students.edges[0].node.id as string;
    await send('StudentPageQuery', FORM_MASTER, { id: studentId });
    await send('StudentPageQuery', FORM_MASTER, { id: 'nope' });
    await send('StudentDisclosuresQuery', SCHOOL_ADMIN, { id: studentId });
    await send('StudentDisclosuresQuery', FORM_MASTER, { id: studentId });
    await send('StudentViewedByQuery', SCHOOL_ADMIN, { id: studentId });
    await send('StudentViewedByQuery', FORM_MASTER, { id: studentId });

    const alerts = await send('AlertsPageQuery', PASTORAL_LEAD, { filter: { status: ['NEW'] } });
    const alertIds = alerts.data.alerts.edges.map((edge: { node: { id: string } }) => edge.node.id) as string[];
    expect(alertIds.length).toBeGreaterThanOrEqual(4);
    await send('AlertsPageQuery', PASTORAL_LEAD, {
      filter: { status: ['NEW'] },
      after: alerts.data.alerts.pageInfo.endCursor,
    });
    await send('AcknowledgeAlertsMutation', PASTORAL_LEAD, { ids: alertIds.slice(0, 2) });
    await send('DismissAlertMutation', PASTORAL_LEAD, { id: alertIds[2], reason: 'Seen to in person' });
    await send('DismissAlertMutation', PASTORAL_LEAD, { id: alertIds[2], reason: 'Again' });
    await send('EscalateAlertMutation', PASTORAL_LEAD, { id: alertIds[3] });

    const cases = await send('CasesPageQuery', PASTORAL_LEAD, {
      filter: {},
      orderBy: { field: 'PRIORITY', direction: 'DESC' },
    });
    await send('CasesPageQuery', PASTORAL_LEAD, { after: cases.data.cases.pageInfo.endCursor, filter: {} });
    const caseId = cases.data.cases.edges[0].node.id as string;
    const opened = await send('CasePageQuery', PASTORAL_LEAD, { id: caseId });
    const staff = await send('CaseStaffQuery', PASTORAL_LEAD);
    const version = opened.data.node.version as number;
    await send('UpdateCaseReviewMutation', PASTORAL_LEAD, {
      input: { id: caseId, expectedVersion: version, nextReviewAt: '2026-12-14' },
    });
    await send('ReassignCaseMutation', PASTORAL_LEAD, {
      input: { id: caseId, expectedVersion: version + 1, assignedToId: staff.data.viewer.school.staff[0].id },
    });
    // The version has moved on twice: a stale write, answered with a userError.
    await send('ChangeCaseStatusMutation', PASTORAL_LEAD, {
      input: { id: caseId, expectedVersion: version, status: 'MONITORING' },
    });
    await send('ChangeCaseStatusMutation', PASTORAL_LEAD, {
      input: { id: caseId, expectedVersion: version + 2, status: 'CLOSED', outcome: 'IMPROVED' },
    });
    await send('AddCaseNoteMutation', PASTORAL_LEAD, { input: { caseId, body: 'Spoke with the family.' } });
    await send('AddCaseNoteMutation', FORM_MASTER, { input: { caseId: 'nope', body: 'x' } });
    await send('CasePageQuery', PASTORAL_LEAD, { id: caseId });

    const created = await send('CreateApiTokenMutation', SCHOOL_ADMIN, {
      input: { name: 'Timetable sync', scopes: ['STUDENTS_READ'] },
    });
    await send('CreateApiTokenMutation', FORM_MASTER, { input: { name: 'Mine', scopes: ['STUDENTS_READ'] } });
    await send('RevokeApiTokenMutation', SCHOOL_ADMIN, { id: created.data.createApiToken.apiToken.id });
    const auditPage = await send('AdminPageQuery', SCHOOL_ADMIN, {});
    await send('AdminPageQuery', SCHOOL_ADMIN, { after: auditPage.data.auditLog.pageInfo.endCursor });
    await send('AdminPageQuery', DISTRICT_ADMIN, { filter: { includeArchived: true, actorType: 'USER' } });
    await send('AdminPageQuery', FORM_MASTER, {});

    // A second session of the district admin's: listed, ended by another user (refused) and by its own, and one
    // more ended "everywhere else".
    await signInOnBoth(DISTRICT_ADMIN);
    const listed = await send('SessionsPageQuery', DISTRICT_ADMIN);
    expect(listed.data.viewer.sessions).toHaveLength(2);
    const other = (listed.data.viewer.sessions as { id: string; current: boolean }[]).find((s) => !s.current)!.id;
    await send('SignOutSessionMutation', FORM_MASTER, { id: other });
    await send('SignOutSessionMutation', DISTRICT_ADMIN, { id: other });
    await signInOnBoth(DISTRICT_ADMIN);
    expect((await send('SignOutEverywhereMutation', DISTRICT_ADMIN)).data).toEqual({
      signOutEverywhere: { endedSessions: 1 },
    });
    await send('SessionsPageQuery', null);

    await send('SignOutMutation', FORM_MASTER);
    await send('SignOutMutation', null);

    expect([...operationsRun].sort()).toEqual([...WEB_OPERATIONS.keys()].sort());
  });

  it('compiles each document once and reuses it', async () => {
    const schema = buildSchema();
    const executor = compiledExecutor(schema, 2);
    const { executor: execute } = await executor.gateway.load({ apollo: {} });
    const { parse } = await import('graphql');
    const { getOperationAST } = await import('graphql');
    const request = (source: string) =>
      ({
        queryHash: source,
        operationName: null,
        document: parse(source),
        operation: getOperationAST(parse(source)),
        request: { variables: {} },
        context: {},
      }) as never;
    for (const source of ['{ __typename }', '{ __typename }', '{ a: __typename }', '{ b: __typename }']) {
      expect(await execute!(request(source))).toEqual({ data: expect.any(Object) });
    }
    // Two kept: the third distinct document pushed out the first, which had been the only one asked for twice.
    expect(executor.stats()).toEqual({ cached: 2, hits: 1, misses: 3 });
  });
});

/** A response with what differs by the clock or by chance set aside: token secrets, times of writes made here. */
function setAsideChance(body: Body, startedAt: Date): unknown {
  return JSON.parse(JSON.stringify(body), (key, value: unknown) => {
    // A token's secret, and its prefix shown in lists, are random.
    if (typeof value === 'string' && value.startsWith('pst_')) return '<secret>';
    // Stack traces name the executor's own functions; the message and path beside them are compared.
    if (key === 'stacktrace') return undefined;
    if (typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) && new Date(value) >= startedAt) {
      return '<written during the test>';
    }
    return value;
  });
}
