/**
 * The early-warning loop end to end through HTTP: an integrator's token records a month of absences, exactly
 * one alert reaches the form master, who escalates it, notes and closes the case; the audit log shows each step.
 */
import { toDateOnly, toTimestamp } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { toGlobalId } from '../../graphql/relay.ts';

const RECORD = `mutation ($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { recorded studentsRecomputed alertsRaised alertsResolved userErrors { field code message } }
}`;

function lastSchoolDays(count: number): string[] {
  const days: string[] = [];
  for (let ms = Date.now() - 86_400_000; days.length < count; ms -= 86_400_000) {
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(toDateOnly(new Date(ms)));
  }
  return days;
}

for (const engine of testEngines()) {
  describe(`integrators and the early-warning loop on ${engine.name}`, () => {
    let api: ApiHarness;
    let admin: string;
    let formMaster: string;
    let token: string;
    let student: { id: number; externalId: string };

    async function asToken<T>(query: string, variables: Record<string, unknown>, bearer = token) {
      const response = await api.app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
        payload: JSON.stringify({ query, variables }),
      });
      return { status: response.statusCode, body: response.json() as { data?: T; errors?: { message: string }[] } };
    }

    beforeAll(async () => {
      api = await startApiHarness(engine);
      admin = await api.signIn('school.admin@s01.pastoral.example');
      formMaster = await api.signIn('form.master@s01.pastoral.example');
      const { db } = api.database.handle;
      const fm = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', 'form.master@s01.pastoral.example')
        .executeTakeFirstOrThrow();
      const row = await db
        .selectFrom('students')
        .innerJoin('classroom_assignments', 'classroom_assignments.classroom_id', 'students.classroom_id')
        .innerJoin('risk_profiles', 'risk_profiles.student_id', 'students.id')
        .select(['students.id', 'students.external_id'])
        .where('classroom_assignments.user_id', '=', fm.id)
        .where('risk_profiles.attendance_level', '=', 0)
        .where('students.is_active', '=', 1)
        .where(
          'students.id',
          'not in',
          db
            .selectFrom('alerts')
            .select('student_id')
            .where('type', '=', 'ATTENDANCE')
            .where('open_indicator', 'is not', null),
        )
        .orderBy('students.id')
        .executeTakeFirstOrThrow();
      student = { id: row.id, externalId: row.external_id };
    });
    afterAll(() => api.close());

    it('lets a school admin create a token whose secret is shown once and stored only as a hash', async () => {
      const created = await api.graphql<{
        createApiToken: { token: string; apiToken: { prefix: string; scopes: string[] } };
      }>(
        'mutation { createApiToken(input: { name: "SIS", scopes: [ATTENDANCE_WRITE] }) { token apiToken { prefix scopes } userErrors { message } } }',
        {},
        admin,
      );
      token = created.body.data!.createApiToken.token;
      expect(token).toMatch(/^pst_[A-Za-z0-9_-]{43}$/);
      expect(created.body.data!.createApiToken.apiToken).toEqual({
        prefix: token.slice(0, 10),
        scopes: ['ATTENDANCE_WRITE'],
      });
      const stored = await api.database.handle.db
        .selectFrom('api_tokens')
        .select(['token_hash'])
        .where('name', '=', 'SIS')
        .executeTakeFirstOrThrow();
      expect(stored.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(stored.token_hash).not.toContain(token.slice(4));
      const byFormMaster = await api.graphql<{ createApiToken: { userErrors: { message: string }[] } }>(
        'mutation { createApiToken(input: { name: "x", scopes: [STUDENTS_READ] }) { userErrors { message } } }',
        {},
        formMaster,
      );
      expect(byFormMaster.body.data!.createApiToken.userErrors[0]?.message).toBe(
        'Only school and district admins can create API tokens.',
      );
    });

    it('records a month of absences, raising exactly one attendance alert for the form master', async () => {
      const days = lastSchoolDays(20);
      const records = days.map((date) => ({
        studentExternalId: student.externalId,
        date,
        status: 'ABSENT_UNAUTHORISED',
      }));
      const first = await asToken<{ recordAttendance: { recorded: number; alertsRaised: number } }>(RECORD, {
        input: { records },
      });
      expect(first.body.data!.recordAttendance).toMatchObject({
        recorded: 20,
        studentsRecomputed: 1,
        alertsRaised: 1,
        userErrors: [],
      });
      // Sending the same days again changes nothing and raises nothing.
      const again = await asToken<{ recordAttendance: { alertsRaised: number } }>(RECORD, { input: { records } });
      expect(again.body.data!.recordAttendance).toMatchObject({ recorded: 20, alertsRaised: 0 });
      const rows = await api.database.handle.db
        .selectFrom('attendance_records')
        .select('date')
        .where('student_id', '=', student.id)
        .execute();
      expect(new Set(rows.map((r) => r.date)).size).toBe(rows.length);

      const inbox = await api.graphql<{
        alerts: { nodes: { type: string; severity: string; reason: string; student: { externalId: string } }[] };
      }>('{ alerts(first: 100) { nodes { type severity reason student { externalId } } } }', {}, formMaster);
      const mine = inbox.body.data!.alerts.nodes.filter((a) => a.student.externalId === student.externalId);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ type: 'ATTENDANCE', severity: 'CRITICAL' });
      expect(mine[0]!.reason).toMatch(/^attendance \d+\.\d% over the last 30 school days$/);
    });

    it('refuses a bad batch whole, naming every bad record by index', async () => {
      const future = toDateOnly(new Date(Date.now() + 3 * 86_400_000));
      const result = await asToken<{
        recordAttendance: { recorded: number; userErrors: { field: string[]; code: string }[] };
      }>(RECORD, {
        input: {
          records: [
            { studentExternalId: student.externalId, date: lastSchoolDays(1)[0], status: 'PRESENT' },
            { studentExternalId: 'NOBODY-1', date: lastSchoolDays(1)[0], status: 'PRESENT' },
            { studentExternalId: student.externalId, date: future, status: 'PRESENT' },
          ],
        },
      });
      expect(result.body.data!.recordAttendance).toMatchObject({
        recorded: 0,
        userErrors: [
          { field: ['input', 'records', '1', 'studentExternalId'], code: 'NOT_FOUND' },
          { field: ['input', 'records', '2', 'date'], code: 'INVALID' },
        ],
      });
      const unchanged = await api.database.handle.db
        .selectFrom('attendance_records')
        .select('status')
        .where('student_id', '=', student.id)
        .where('date', '=', lastSchoolDays(1)[0]!)
        .executeTakeFirstOrThrow();
      expect(unchanged.status).toBe('ABSENT_UNAUTHORISED');
      const tooMany = await asToken<{ recordAttendance: { userErrors: { message: string }[] } }>(RECORD, {
        input: {
          records: Array.from({ length: 1001 }, () => ({
            studentExternalId: 'x',
            date: '2026-01-05',
            status: 'PRESENT',
          })),
        },
      });
      expect(tooMany.body.data!.recordAttendance.userErrors[0]?.message).toBe(
        'records takes 1 to 1,000 records (got 1,001); send them in batches.',
      );
    });

    it('holds a token to its scopes, and refuses it from the request after it is revoked', async () => {
      const behaviour = await asToken('mutation { recordBehaviourIncidents(input: { records: [] }) { recorded } }', {});
      expect(behaviour.status).toBe(403);
      expect(behaviour.body.errors?.[0]?.message).toBe(
        'This API token lacks the behaviour:write scope; ask an admin for a token that has it.',
      );
      const users = await asToken('{ cases { totalCount } }', {});
      expect(users.status).toBe(403);

      const list = await api.graphql<{ apiTokens: { nodes: { id: string; name: string }[] } }>(
        '{ apiTokens { nodes { id name } } }',
        {},
        admin,
      );
      const sis = list.body.data!.apiTokens.nodes.find((t) => t.name === 'SIS')!;
      await api.graphql(
        'mutation ($id: ID!) { revokeApiToken(input: { id: $id }) { apiToken { revokedAt } } }',
        { id: sis.id },
        admin,
      );
      const revoked = await asToken(RECORD, { input: { records: [] } });
      expect(revoked.status).toBe(401);
      expect(revoked.body.errors?.[0]?.message).toBe('The API token is not valid: it is unknown, revoked or expired.');
    });

    it('lets the form master escalate the alert, note and close the case, with every step in the audit log', async () => {
      const inbox = await api.graphql<{ alerts: { nodes: { id: string; student: { externalId: string } }[] } }>(
        '{ alerts(first: 100) { nodes { id student { externalId } } } }',
        {},
        formMaster,
      );
      const alertId = inbox.body.data!.alerts.nodes.find((a) => a.student.externalId === student.externalId)!.id;
      const escalated = await api.graphql<{ escalateAlert: { case: { id: string } } }>(
        'mutation ($id: ID!) { escalateAlert(input: { alertIds: [$id], title: "Return to school plan" }) { case { id } } }',
        { id: alertId },
        formMaster,
      );
      const caseId = escalated.body.data!.escalateAlert.case.id;
      await api.graphql(
        'mutation ($id: ID!) { addCaseNote(input: { caseId: $id, body: "Home visit booked." }) { event { id } } }',
        { id: caseId },
        formMaster,
      );
      for (const [version, status, outcome] of [
        [1, 'IN_PROGRESS'],
        [2, 'MONITORING'],
        [3, 'CLOSED', 'IMPROVED'],
      ] as const) {
        const moved = await api.graphql<{ changeCaseStatus: { userErrors: unknown[] } }>(
          'mutation ($input: ChangeCaseStatusInput!) { changeCaseStatus(input: $input) { userErrors { message } } }',
          { input: { id: caseId, expectedVersion: version, status, ...(outcome ? { outcome } : {}) } },
          formMaster,
        );
        expect(moved.body.data!.changeCaseStatus.userErrors).toEqual([]);
      }
      const trail = await api.database.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_type'])
        .where((eb) =>
          eb.or([eb('student_id', '=', student.id), eb('action', 'in', ['attendance.recorded', 'api_token.created'])]),
        )
        .where('request_id', 'is not', null)
        // This test's own steps, not the seeded history.
        .where('occurred_at', '>=', toTimestamp(new Date(Date.now() - 10 * 60_000)))
        .orderBy('seq')
        .execute();
      expect(trail.map((entry) => `${entry.actor_type} ${entry.action}`)).toEqual([
        'USER api_token.created',
        'TOKEN attendance.recorded',
        'TOKEN alert.raised',
        'TOKEN attendance.recorded',
        'USER case.opened',
        'USER alert.escalated',
        'USER case.note_added',
        'USER case.status_changed',
        'USER case.status_changed',
        'USER case.status_changed',
      ]);
    });

    it('syncs the roster and records behaviour and coursework, with the same all-or-nothing rules', async () => {
      const created = await api.graphql<{ createApiToken: { token: string } }>(
        'mutation { createApiToken(input: { name: "SIS 2", scopes: [ROSTER_WRITE, BEHAVIOUR_WRITE, ASSESSMENTS_WRITE] }) { token } }',
        {},
        admin,
      );
      const sis = created.body.data!.createApiToken.token;
      const { db } = api.database.handle;
      const classroom = await db
        .selectFrom('classrooms')
        .select('name')
        .where('school_id', '=', 1)
        .executeTakeFirstOrThrow();
      const roster = (records: unknown[]) =>
        asToken<{ upsertStudents: { created: number; updated: number; userErrors: { field: string[] }[] } }>(
          'mutation ($input: UpsertStudentsInput!) { upsertStudents(input: $input) { created updated userErrors { field code } } }',
          { input: { records } },
          sis,
        );
      const newcomer = {
        externalId: 'SIS-NEW-1',
        givenName: 'Nia',
        familyName: 'Okoro',
        classroomName: classroom.name,
      };
      const bad = await roster([newcomer, { ...newcomer, externalId: 'SIS-NEW-2', classroomName: 'Nowhere' }]);
      expect(bad.body.data!.upsertStudents).toEqual({
        created: 0,
        updated: 0,
        userErrors: [{ field: ['input', 'records', '1', 'classroomName'], code: 'NOT_FOUND' }],
      });
      expect(await db.selectFrom('students').select('id').where('external_id', '=', 'SIS-NEW-1').execute()).toEqual([]);
      expect((await roster([newcomer])).body.data!.upsertStudents).toMatchObject({ created: 1, updated: 0 });
      expect((await roster([{ ...newcomer, givenName: 'Nia-Rose' }])).body.data!.upsertStudents).toMatchObject({
        created: 0,
        updated: 1,
      });
      const stored = await db
        .selectFrom('students')
        .selectAll()
        .where('external_id', '=', 'SIS-NEW-1')
        .executeTakeFirstOrThrow();
      expect(stored).toMatchObject({ full_name: 'Nia-Rose Okoro', is_active: 1, school_id: 1 });

      const term = await db
        .selectFrom('academic_terms')
        .select('code')
        .where('starts_on', '<=', toDateOnly(new Date()))
        .orderBy('starts_on', 'desc')
        .executeTakeFirstOrThrow();
      const results = await asToken<{ recordAssessmentResults: { recorded: number; alertsRaised: number } }>(
        `mutation ($input: RecordAssessmentResultsInput!) { recordAssessmentResults(input: $input) { recorded alertsRaised userErrors { message } } }`,
        {
          input: {
            records: ['ENGLISH', 'MATHS'].map((subject) => ({
              studentExternalId: 'SIS-NEW-1',
              subject,
              term: term.code,
              score: 21,
              grade: '2',
              passing: false,
            })),
          },
        },
        sis,
      );
      expect(results.body.data!.recordAssessmentResults).toMatchObject({ recorded: 2, alertsRaised: 1 });
      const incident = await asToken<{ recordBehaviourIncidents: { recorded: number } }>(
        `mutation ($input: RecordBehaviourIncidentsInput!) { recordBehaviourIncidents(input: $input) { recorded userErrors { message } } }`,
        {
          input: {
            records: [
              {
                externalId: 'INC-X-1',
                studentExternalId: 'SIS-NEW-1',
                occurredOn: lastSchoolDays(1)[0],
                category: 'DISRUPTION',
                severity: 'MINOR',
              },
            ],
          },
        },
        sis,
      );
      expect(incident.body.data!.recordBehaviourIncidents.recorded).toBe(1);
      const profile = await db
        .selectFrom('risk_profiles')
        .selectAll()
        .where('student_id', '=', stored.id)
        .executeTakeFirstOrThrow();
      expect(profile).toMatchObject({
        level: 3,
        coursework_level: 3,
        behaviour_level: 1,
        failing_core_subjects: 2,
        minor_incidents: 1,
      });
    });

    it("lets a students:read token read its school's students, recording each read as a disclosure", async () => {
      const created = await api.graphql<{ createApiToken: { token: string } }>(
        'mutation { createApiToken(input: { name: "Analytics", scopes: [STUDENTS_READ] }) { token } }',
        {},
        admin,
      );
      const reader = created.body.data!.createApiToken.token;
      const { db } = api.database.handle;
      const before = await db
        .selectFrom('audit_log')
        .select('seq')
        .where('action', '=', 'student.disclosed')
        .where('request_id', 'is not', null)
        .execute();
      const read = await asToken<{
        students: { nodes: { id: string; school: { code: string } }[] };
      }>('{ students(first: 5) { nodes { id school { code } } } }', {}, reader);
      const nodes = read.body.data!.students.nodes;
      expect(nodes).toHaveLength(5);
      expect(nodes.every((n) => n.school.code === 'S01')).toBe(true);
      // A student's alerts are alerts: without alerts:read the token is refused, not shown an empty list.
      const withAlerts = await asToken('{ students(first: 5) { nodes { id alerts { totalCount } } } }', {}, reader);
      expect(withAlerts.status).toBe(403);
      const disclosures = await db
        .selectFrom('audit_log')
        .select(['actor_type', 'api_token_id', 'student_id'])
        .where('action', '=', 'student.disclosed')
        .where('request_id', 'is not', null)
        .execute();
      expect(disclosures.length - before.length).toBe(5);
      expect(disclosures.slice(-5).every((d) => d.actor_type === 'TOKEN' && d.api_token_id !== null)).toBe(true);

      const otherSchool = await db
        .selectFrom('students')
        .select('id')
        .where('school_id', '=', 2)
        .executeTakeFirstOrThrow();
      const elsewhere = await asToken<{ node: unknown }>(
        'query ($id: ID!) { node(id: $id) { id } }',
        { id: toGlobalId('Student', { schoolId: 2, id: otherSchool.id }) },
        reader,
      );
      expect(elsewhere.body.data).toEqual({ node: null });
      expect((await asToken('{ cases { totalCount } }', {}, reader)).status).toBe(403);
    });

    it('lets cases:read and audit:read tokens read their school only, disclosing each student a case is about', async () => {
      const created = await api.graphql<{ createApiToken: { token: string } }>(
        'mutation { createApiToken(input: { name: "Reports", scopes: [CASES_READ, AUDIT_READ] }) { token } }',
        {},
        admin,
      );
      const reports = created.body.data!.createApiToken.token;
      const cases = await asToken<{ cases: { nodes: { id: string; assignedTo: { school: { code: string } } }[] } }>(
        '{ cases(first: 3, filter: { status: [OPEN, IN_PROGRESS] }) { nodes { id assignedTo { school { code } } } } }',
        {},
        reports,
      );
      const nodes = cases.body.data!.cases.nodes;
      expect(nodes).toHaveLength(3);
      expect(nodes.every((n) => n.assignedTo.school.code === 'S01')).toBe(true);
      // The case's student is Student data: a token without students:read is refused it.
      const students = await asToken(
        '{ cases(first: 3, filter: { status: [OPEN, IN_PROGRESS] }) { nodes { student { fullName } } } }',
        {},
        reports,
      );
      expect(students.status).toBe(403);
      const disclosed = await api.database.handle.db
        .selectFrom('audit_log')
        .select('details')
        .where('action', '=', 'student.disclosed')
        .where('details', '=', '{"via":"cases"}')
        .execute();
      expect(disclosed).toHaveLength(3);
      const audit = await asToken<{ auditLog: { nodes: { school: { code: string } | null }[] } }>(
        '{ auditLog(first: 20) { nodes { school { code } } } }',
        {},
        reports,
      );
      expect(audit.body.data!.auditLog.nodes.every((n) => n.school?.code === 'S01')).toBe(true);
      expect((await asToken('{ students { totalCount } }', {}, reports)).status).toBe(403);
    });
  });
}
