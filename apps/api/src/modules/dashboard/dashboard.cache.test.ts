/**
 * The dashboard cache: a viewer's second look costs no counting, and no look ever shows figures from before a
 * change to the viewer's scope, whoever made it and on whichever process.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  type ApiHarness,
  type GraphQLResponse,
  startApiHarness,
  serversSharingRedis,
} from '../../testing/api-harness.ts';
import { toGlobalId } from '../../graphql/relay.ts';
import { webOperation } from '../../testing/web-operations.ts';
import type { AuditEvent } from '../audit-log/audit.writer.ts';
import type { Viewer } from '../auth/viewer.ts';
import { dashboardScopesChangedBy, forgetEveryDashboard, memoryDashboardCache } from './dashboard.cache.ts';

const DASHBOARD = `{ dashboard {
  newAlerts overdueReviews computedAt openCasesByStatus { status count } studentsByRiskLevel { level count }
  newlyAtRisk(first: 5) { totalCount nodes { id fullName riskProfile { level } } }
} }`;
const NEW_ALERTS = `{ alerts(first: 1, filter: { status: [NEW] }) { nodes { id } } }`;
const ACKNOWLEDGE = `mutation ($ids: [ID!]!) { acknowledgeAlerts(input: { alertIds: $ids }) { userErrors { message } } }`;

type Dashboard = { dashboard: { newAlerts: number; computedAt: string } };

/** Statements that count something: what the cache saves. */
/** The statements that count: the figures' read of the summary rows, and the newly-at-risk list's COUNT. */
const counting = (response: GraphQLResponse) =>
  response.statements.filter((sql) => /count\(|summary_counts/i.test(sql));

describe.each(testEngines())('the dashboard cache on $name', (engine) => {
  let api: ApiHarness;
  const cookies: Record<string, string> = {};
  beforeAll(async () => {
    api = await startApiHarness(engine);
    for (const account of [
      'district.admin@pastoral.example',
      'school.admin@s01.pastoral.example',
      'pastoral.lead@s01.pastoral.example',
      'form.master@s02.pastoral.example',
    ]) {
      cookies[account] = await api.signIn(account);
    }
  });
  afterAll(() => api?.close());

  const dashboardOf = (account: string) => api.graphql<Dashboard>(DASHBOARD, {}, cookies[account]);

  async function acknowledgeOneNewAlert(as: string) {
    const alert = await api.graphql<{ alerts: { nodes: { id: string }[] } }>(NEW_ALERTS, {}, cookies[as]);
    const id = alert.body.data!.alerts.nodes[0]!.id;
    const result = await api.graphql(ACKNOWLEDGE, { ids: [id] }, cookies[as]);
    expect(result.body).toEqual({ data: { acknowledgeAlerts: { userErrors: [] } } });
  }

  it("serves a viewer's second look from the cache, without counting again", async () => {
    const first = await dashboardOf('district.admin@pastoral.example');
    const second = await dashboardOf('district.admin@pastoral.example');
    expect(counting(first).length).toBeGreaterThanOrEqual(2);
    expect(counting(second)).toEqual([]);
    expect(second.body).toEqual(first.body);
  });

  it("counts the newly-at-risk week only for a client that asks for its total, as the web app's panel does not", async () => {
    // Another viewer of the district, so that nothing of theirs is cached yet.
    const cookie = await api.signIn('district.admin@pastoral.example');
    const web = await api.graphql(webOperation('DashboardPageQuery'), {}, cookie);
    expect(web.body.errors).toBeUndefined();
    const countsOfTheWeek = (response: GraphQLResponse) =>
      response.statements.filter((sql) => /count\(/i.test(sql) && /worsened_at/.test(sql));
    expect(countsOfTheWeek(web)).toEqual([]);
    const asked = await api.graphql<{ dashboard: { newlyAtRisk: { totalCount: number } } }>(
      '{ dashboard { newlyAtRisk(first: 1) { totalCount nodes { id } } } }',
      {},
      cookie,
    );
    // Asked for, the total is there (counted now, or from the cache where an earlier look counted it).
    const { db } = api.database.handle;
    const since = new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 23).replace('T', ' ');
    const counted = await db
      .selectFrom('risk_profiles')
      .innerJoin('students', 'students.id', 'risk_profiles.student_id')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('students.is_active', '=', 1)
      .where('risk_profiles.worsened_at', '>=', since)
      .executeTakeFirstOrThrow();
    expect(asked.body.data!.dashboard.newlyAtRisk.totalCount).toBe(Number(counted.n));
  });

  it('counts a change the viewer makes on their very next look', async () => {
    const before = await dashboardOf('pastoral.lead@s01.pastoral.example');
    await dashboardOf('pastoral.lead@s01.pastoral.example');
    await acknowledgeOneNewAlert('pastoral.lead@s01.pastoral.example');
    const after = await dashboardOf('pastoral.lead@s01.pastoral.example');
    expect(after.body.data!.dashboard.newAlerts).toBe(before.body.data!.dashboard.newAlerts - 1);
    expect(counting(after).length).toBeGreaterThan(0);
  });

  it("counts someone else's change to the viewer's school, and keeps other schools' figures cached", async () => {
    const district = await dashboardOf('district.admin@pastoral.example');
    const school = await dashboardOf('school.admin@s01.pastoral.example');
    const otherSchool = await dashboardOf('form.master@s02.pastoral.example');
    // Signing in writes an audit entry but changes no figure.
    await api.signIn('form.master@s01.pastoral.example');
    expect(counting(await dashboardOf('school.admin@s01.pastoral.example'))).toEqual([]);

    await acknowledgeOneNewAlert('pastoral.lead@s01.pastoral.example');

    const districtAfter = await dashboardOf('district.admin@pastoral.example');
    const schoolAfter = await dashboardOf('school.admin@s01.pastoral.example');
    const otherSchoolAfter = await dashboardOf('form.master@s02.pastoral.example');
    expect(districtAfter.body.data!.dashboard.newAlerts).toBe(district.body.data!.dashboard.newAlerts - 1);
    expect(schoolAfter.body.data!.dashboard.newAlerts).toBe(school.body.data!.dashboard.newAlerts - 1);
    expect(counting(otherSchoolAfter)).toEqual([]);
    expect(otherSchoolAfter.body).toEqual(otherSchool.body);
  });

  it("keeps a form master's figures cached through a colleague's triage, and counts a change to their own work", async () => {
    const { db } = api.database.handle;
    const formMaster = 'form.master@s01.pastoral.example';
    cookies[formMaster] ??= await api.signIn(formMaster);
    const lead = 'pastoral.lead@s01.pastoral.example';
    const me = await db.selectFrom('users').select('id').where('email', '=', formMaster).executeTakeFirstOrThrow();
    const newAlert = (mine: boolean) =>
      db
        .selectFrom('alerts')
        .select('id')
        .where('school_id', '=', 1)
        .where('status', '=', 'NEW')
        .where('assigned_to', mine ? '=' : '!=', me.id)
        .orderBy('id')
        .executeTakeFirstOrThrow();
    const acknowledge = async (alertId: number) => {
      const result = await api.graphql(
        ACKNOWLEDGE,
        { ids: [toGlobalId('Alert', { schoolId: 1, id: alertId })] },
        cookies[lead],
      );
      expect(result.body).toEqual({ data: { acknowledgeAlerts: { userErrors: [] } } });
    };
    const before = await dashboardOf(formMaster);

    await acknowledge((await newAlert(false)).id);
    const untouched = await dashboardOf(formMaster);
    expect(counting(untouched)).toEqual([]);
    expect(untouched.body).toEqual(before.body);

    await acknowledge((await newAlert(true)).id);
    const acknowledged = await dashboardOf(formMaster);
    expect(counting(acknowledged).length).toBeGreaterThan(0);
    expect(acknowledged.body.data!.dashboard.newAlerts).toBe(before.body.data!.dashboard.newAlerts - 1);

    // A colleague's open case handed to the form master counts among theirs at once.
    const handed = await db
      .selectFrom('intervention_cases')
      .select(['id', 'version'])
      .where('school_id', '=', 1)
      .where('status', '=', 'OPEN')
      .where('assigned_to', '!=', me.id)
      .orderBy('id')
      .executeTakeFirstOrThrow();
    const openCases = (response: GraphQLResponse) =>
      (
        response.body.data as { dashboard: { openCasesByStatus: { status: string; count: number }[] } }
      ).dashboard.openCasesByStatus.find((entry) => entry.status === 'OPEN')?.count ?? 0;
    const reassigned = await api.graphql(
      `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { userErrors { message } } }`,
      {
        input: {
          id: toGlobalId('InterventionCase', { schoolId: 1, id: handed.id }),
          expectedVersion: handed.version,
          assignedToId: toGlobalId('User', me.id),
        },
      },
      cookies[lead],
    );
    expect(reassigned.body).toEqual({ data: { updateCase: { userErrors: [] } } });
    expect(openCases(await dashboardOf(formMaster))).toBe(openCases(acknowledged) + 1);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.runIf(redisUrl)('the dashboard cache in Redis', () => {
  const servers = serversSharingRedis(testEngines()[0]!, redisUrl!);

  it("shares entries between processes, and a change on one process invalidates the other's", async () => {
    const admin = await servers.api.signIn('district.admin@pastoral.example');
    const lead = await servers.api.signIn('pastoral.lead@s01.pastoral.example');
    const before = await servers.api.graphql<Dashboard>(DASHBOARD, {}, admin);
    const onOther = await servers.other.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', cookie: admin },
      payload: JSON.stringify({ query: DASHBOARD }),
    });
    // The other process found the figures the first one cached: the same computedAt.
    expect(onOther.json()).toEqual(before.body);

    const alert = await servers.api.graphql<{ alerts: { nodes: { id: string }[] } }>(NEW_ALERTS, {}, lead);
    const acknowledged = await servers.other.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', cookie: lead },
      payload: JSON.stringify({ query: ACKNOWLEDGE, variables: { ids: [alert.body.data!.alerts.nodes[0]!.id] } }),
    });
    expect(acknowledged.json()).toEqual({ data: { acknowledgeAlerts: { userErrors: [] } } });

    const after = await servers.api.graphql<Dashboard>(DASHBOARD, {}, admin);
    expect(after.body.data!.dashboard.newAlerts).toBe(before.body.data!.dashboard.newAlerts - 1);
  });

  it('is forgotten whole by a command-line job that changed data outside any request', async () => {
    const admin = await servers.api.signIn('school.admin@s01.pastoral.example');
    await servers.api.graphql(DASHBOARD, {}, admin);
    expect(counting(await servers.api.graphql(DASHBOARD, {}, admin))).toEqual([]);
    expect(await forgetEveryDashboard(redisUrl, servers.api.database.handle.description)).toBe(true);
    expect(counting(await servers.api.graphql(DASHBOARD, {}, admin)).length).toBeGreaterThan(0);
    // Without Redis there is nothing to tell: the caller says the figures catch up within the TTL.
    expect(await forgetEveryDashboard(undefined, servers.api.database.handle.description)).toBe(false);
  });
});

describe('the in-process cache', () => {
  const viewer = (id: number, schoolId: number | null) =>
    ({ user: { id }, role: 'SCHOOL_ADMIN', schoolId, classroomIds: [] }) as unknown as Viewer;

  it('expires entries after the TTL and drops the least recently used past its size', async () => {
    vi.useFakeTimers();
    try {
      const cache = memoryDashboardCache({ ttlSeconds: 300, maxEntries: 2 });
      let computed = 0;
      const read = async (who: Viewer) => (await cache.forViewer(who)).read('figures', async () => ++computed);
      expect(await read(viewer(1, 1))).toBe(1);
      expect(await read(viewer(1, 1))).toBe(1);
      vi.advanceTimersByTime(299_000);
      expect(await read(viewer(1, 1))).toBe(1);
      vi.advanceTimersByTime(2_000);
      expect(await read(viewer(1, 1))).toBe(2);

      expect(await read(viewer(2, 1))).toBe(3);
      expect(await read(viewer(1, 1))).toBe(2);
      // Viewer 2 is now the least recently used of two: a third viewer pushes it out.
      expect(await read(viewer(3, 1))).toBe(4);
      expect(await read(viewer(1, 1))).toBe(2);
      expect(await read(viewer(2, 1))).toBe(5);
      expect(cache.stats()).toEqual({ hits: 4, misses: 5, invalidations: 0 });
    } finally {
      vi.useRealTimers();
    }
  });

  it("forgets a school's figures and the district's on a change there, and no other school's", async () => {
    const cache = memoryDashboardCache({ ttlSeconds: 300, maxEntries: 100 });
    let computed = 0;
    const read = async (who: Viewer) => (await cache.forViewer(who)).read('figures', async () => ++computed);
    const [school1, school2, district] = [viewer(1, 1), viewer(2, 2), viewer(3, null)];
    expect([await read(school1), await read(school2), await read(district)]).toEqual([1, 2, 3]);
    await cache.invalidate(dashboardScopesChangedBy(caseUpdated(1, [null])));
    expect([await read(school1), await read(school2), await read(district)]).toEqual([4, 2, 5]);
    // A change of no one school (null) reaches everyone.
    await cache.invalidate(dashboardScopesChangedBy(recomputed(null)));
    expect([await read(school1), await read(school2), await read(district)]).toEqual([6, 7, 8]);
    // A sign-in changes no figure.
    await cache.invalidate(dashboardScopesChangedBy({ action: 'session.signed_in', schoolId: 1, userId: 1 }));
    expect([await read(school1), await read(school2), await read(district)]).toEqual([6, 7, 8]);
  });

  it('keeps every figure through writes that change nothing counted: a note, records, a recompute moving no level', async () => {
    const cache = memoryDashboardCache({ ttlSeconds: 300, maxEntries: 100 });
    let computed = 0;
    const read = async (who: Viewer) => (await cache.forViewer(who)).read('figures', async () => ++computed);
    const formMaster = { user: { id: 11 }, role: 'FORM_MASTER', schoolId: 1, classroomIds: [11] } as unknown as Viewer;
    const everyone = [viewer(1, 1), viewer(3, null), formMaster];
    const look = () => Promise.all(everyone.map(read));
    expect(await look()).toEqual([1, 2, 3]);
    const neutral: AuditEvent[] = [
      { action: 'case.note_added', schoolId: 1, caseId: 1, studentId: 1, changes: {}, assignees: [11] },
      { action: 'attendance.recorded', schoolId: 1, records: 1_000, students: 500 },
      { action: 'behaviour.recorded', schoolId: 1, records: 1, students: 1 },
      { action: 'assessments.recorded', schoolId: 1, records: 10, students: 10 },
      { action: 'risk.recomputed', schoolId: 1, students: 500, levelChanged: 0, rulesVersion: 'test' },
    ];
    for (const event of neutral) {
      await cache.invalidate(dashboardScopesChangedBy(event));
      expect({ event: event.action, computed: await look() }).toEqual({ event: event.action, computed: [1, 2, 3] });
    }
    // The same recompute moving one level: every dashboard of the school, and the district's, count again.
    await cache.invalidate(dashboardScopesChangedBy(recomputed(1)));
    expect(await look()).toEqual([4, 5, 6]);
  });

  it("forgets a form master's figures on a change to their own alerts and cases or to their school's students", async () => {
    const cache = memoryDashboardCache({ ttlSeconds: 300, maxEntries: 100 });
    let computed = 0;
    const read = async (who: Viewer) => (await cache.forViewer(who)).read('figures', async () => ++computed);
    const formMaster = (id: number) =>
      ({ user: { id }, role: 'FORM_MASTER', schoolId: 1, classroomIds: [id] }) as unknown as Viewer;
    const [mine, colleague, lead] = [formMaster(11), formMaster(12), viewer(1, 1)];
    expect([await read(mine), await read(colleague), await read(lead)]).toEqual([1, 2, 3]);
    // A case of the colleague's: the school's staff count it, the form master does not.
    await cache.invalidate(dashboardScopesChangedBy(caseUpdated(1, [12])));
    expect([await read(mine), await read(colleague), await read(lead)]).toEqual([1, 4, 5]);
    // Reassigned from nobody to the form master: theirs now.
    await cache.invalidate(dashboardScopesChangedBy(caseUpdated(1, [null, 11])));
    expect([await read(mine), await read(colleague), await read(lead)]).toEqual([6, 4, 7]);
    // A risk recompute may move any student of the school: every dashboard there counts again.
    await cache.invalidate(dashboardScopesChangedBy(recomputed(1)));
    expect([await read(mine), await read(colleague), await read(lead)]).toEqual([8, 9, 10]);
    await cache.invalidate(dashboardScopesChangedBy(recomputed(2)));
    expect([await read(mine), await read(colleague), await read(lead)]).toEqual([8, 9, 10]);
  });
});

/** A change to a case: counted by the school's dashboards and its assignees' (a note is not). */
function caseUpdated(schoolId: number, assignees: (number | null)[]): AuditEvent {
  return { action: 'case.updated', schoolId, caseId: 1, studentId: 1, changes: {}, assignees };
}

function recomputed(schoolId: number | null): AuditEvent {
  return { action: 'risk.recomputed', schoolId, students: 1, levelChanged: 1, rulesVersion: 'test' };
}
