/**
 * What each role may see, tried through every root field against three students: one in the form master's own
 * classroom, one in another classroom of the same school, one in another school. A record the viewer may not
 * see must answer exactly as a missing one: null from `node`, absent from lists, counts and nested fields.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

type Target = 'own' | 'otherClassroom' | 'otherSchool';
const ROLES = {
  FORM_MASTER: 'form.master@s01.pastoral.example',
  PASTORAL_LEAD: 'pastoral.lead@s01.pastoral.example',
  SCHOOL_ADMIN: 'school.admin@s01.pastoral.example',
  DISTRICT_ADMIN: 'district.admin@pastoral.example',
} as const;
const SEES: Record<keyof typeof ROLES, Record<Target, boolean>> = {
  FORM_MASTER: { own: true, otherClassroom: false, otherSchool: false },
  PASTORAL_LEAD: { own: true, otherClassroom: true, otherSchool: false },
  SCHOOL_ADMIN: { own: true, otherClassroom: true, otherSchool: false },
  DISTRICT_ADMIN: { own: true, otherClassroom: true, otherSchool: true },
};

for (const engine of testEngines()) {
  describe(`visibility by role on ${engine.name}`, () => {
    let api: ApiHarness;
    const students = {} as Record<Target, { id: number; classroomId: number; schoolId: number }>;
    const cookies = {} as Record<keyof typeof ROLES, string>;

    beforeAll(async () => {
      api = await startApiHarness(engine);
      const { db } = api.database.handle;
      const formMaster = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', ROLES.FORM_MASTER)
        .executeTakeFirstOrThrow();
      const ownClassroom = await db
        .selectFrom('classroom_assignments')
        .select('classroom_id')
        .where('user_id', '=', formMaster.id)
        .executeTakeFirstOrThrow();
      // Students with at least one alert and one case, so the lists have something to show or hide; the other
      // classroom's student must have nothing assigned to the form master (that would make them visible).
      const withRecords = (query: ReturnType<typeof db.selectFrom<'students'>>) =>
        query
          .select(['students.id', 'students.classroom_id', 'students.school_id'])
          .where('students.id', 'in', db.selectFrom('alerts').select('student_id'))
          .where('students.id', 'in', db.selectFrom('intervention_cases').select('student_id'))
          .where(
            'students.id',
            'not in',
            db.selectFrom('alerts').select('student_id').where('assigned_to', '=', formMaster.id),
          )
          .where(
            'students.id',
            'not in',
            db
              .selectFrom('intervention_cases')
              .select('student_id')
              .where('assigned_to', '=', formMaster.id)
              .where('student_id', 'is not', null),
          )
          .orderBy('students.id')
          .limit(1)
          .executeTakeFirstOrThrow();
      const own = await db
        .selectFrom('students')
        .select(['id', 'classroom_id', 'school_id'])
        .where('classroom_id', '=', ownClassroom.classroom_id)
        .where('id', 'in', db.selectFrom('alerts').select('student_id'))
        .orderBy('id')
        .limit(1)
        .executeTakeFirstOrThrow();
      const otherClassroom = await withRecords(
        db.selectFrom('students').where('school_id', '=', 1).where('classroom_id', '!=', ownClassroom.classroom_id),
      );
      const otherSchool = await withRecords(db.selectFrom('students').where('school_id', '=', 2));
      for (const [target, row] of Object.entries({ own, otherClassroom, otherSchool })) {
        students[target as Target] = { id: row.id, classroomId: row.classroom_id, schoolId: row.school_id };
      }
      for (const [role, email] of Object.entries(ROLES)) cookies[role as keyof typeof ROLES] = await api.signIn(email);
    });
    afterAll(() => api.close());

    for (const role of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      for (const target of ['own', 'otherClassroom', 'otherSchool'] as Target[]) {
        const visible = SEES[role][target];
        it(`${role} ${visible ? 'sees' : 'cannot see'} a student of ${target}, through every path`, async () => {
          const student = students[target];
          const studentId = toGlobalId('Student', { schoolId: student.schoolId, id: student.id });
          const classroomId = toGlobalId('Classroom', { schoolId: student.schoolId, id: student.classroomId });
          const response = await api.graphql<Record<string, unknown>>(
            `query ($id: ID!, $classroom: ID!) {
              node(id: $id) { id ... on Student { fullName alerts(first: 100) { totalCount } cases(first: 100) { totalCount } } }
              nodes(ids: [$id]) { id }
              students(first: 100, filter: { classroomId: $classroom }) { totalCount nodes { id } }
              cases(first: 100, filter: { studentId: $id }) { totalCount nodes { id student { id } } }
              alerts(first: 100, filter: { studentId: $id }) { totalCount nodes { id student { id } } }
            }`,
            { id: studentId, classroom: classroomId },
            cookies[role],
          );
          expect(response.body.errors).toBeUndefined();
          const data = response.body.data as {
            node: { id: string; alerts: { totalCount: number }; cases: { totalCount: number } } | null;
            nodes: ({ id: string } | null)[];
            students: { totalCount: number; nodes: { id: string }[] };
            cases: { totalCount: number; nodes: { student: { id: string } }[] };
            alerts: { totalCount: number; nodes: { student: { id: string } }[] };
          };
          if (visible) {
            expect(data.node?.id).toBe(studentId);
            expect(data.nodes).toEqual([{ id: studentId }]);
            expect(data.students.nodes.map((s) => s.id)).toContain(studentId);
            expect(data.cases.totalCount).toBeGreaterThan(0);
            expect(data.alerts.totalCount).toBeGreaterThan(0);
            // The nested lists and the root lists agree.
            expect(data.node?.cases.totalCount).toBe(data.cases.totalCount);
            expect(data.node?.alerts.totalCount).toBe(data.alerts.totalCount);
          } else {
            expect(data.node).toBeNull();
            expect(data.nodes).toEqual([null]);
            expect(data.students).toEqual({ totalCount: 0, nodes: [] });
            expect(data.cases).toEqual({ totalCount: 0, nodes: [] });
            expect(data.alerts).toEqual({ totalCount: 0, nodes: [] });
          }
          expect(data.cases.nodes.every((c) => c.student.id === studentId)).toBe(true);
          expect(data.students.totalCount).toBe(data.students.nodes.length);
        });
      }
    }

    it("answers another school's case, alert and classroom ids to a form master exactly like missing ids", async () => {
      const { db } = api.database.handle;
      const otherCase = await db
        .selectFrom('intervention_cases')
        .select('id')
        .where('school_id', '=', 2)
        .executeTakeFirstOrThrow();
      const otherAlert = await db
        .selectFrom('alerts')
        .select('id')
        .where('school_id', '=', 2)
        .executeTakeFirstOrThrow();
      const ids = [
        toGlobalId('InterventionCase', { schoolId: 2, id: otherCase.id }),
        toGlobalId('Alert', { schoolId: 2, id: otherAlert.id }),
        toGlobalId('Classroom', { schoolId: 2, id: students.otherSchool.classroomId }),
        toGlobalId('School', 2),
        toGlobalId('InterventionCase', { schoolId: 1, id: 999_999 }),
      ];
      const response = await api.graphql(
        'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
        { ids },
        cookies.FORM_MASTER,
      );
      expect(response.body).toEqual({ data: { nodes: [null, null, null, null, null] } });
    });

    it('keeps every list of a form master inside their classroom and their assignments', async () => {
      const response = await api.graphql<{
        students: { nodes: { classroom: { id: string } }[] };
        cases: { nodes: { assignedTo: { email: string } | null; student: { classroom: { id: string } } }[] };
        schools: { nodes: { code: string }[] };
        auditLog: { totalCount: number };
      }>(
        `{
          students(first: 100) { nodes { classroom { id } } }
          cases(first: 100, filter: {}) { nodes { assignedTo { email } student { classroom { id } } } }
          schools { nodes { code } }
          auditLog { totalCount }
        }`,
        {},
        cookies.FORM_MASTER,
      );
      expect(response.body.errors).toBeUndefined();
      const own = toGlobalId('Classroom', { schoolId: students.own.schoolId, id: students.own.classroomId });
      const data = response.body.data!;
      expect(data.students.nodes.length).toBeGreaterThan(0);
      for (const c of data.cases.nodes) {
        expect(c.student.classroom.id === own || c.assignedTo?.email === ROLES.FORM_MASTER).toBe(true);
      }
      expect(data.schools.nodes).toEqual([{ code: 'S01' }]);
      expect(data.auditLog.totalCount).toBe(0);
    });

    it("shows a form master only the assigned alert of another classroom's student, by every path", async () => {
      // Reads by key (a student's page, `nodes`) test each row on its own; lists read the scope as a set. Both
      // must give the same rows: here, of the student's alerts, only the one assigned to the form master.
      const { db } = api.database.handle;
      const student = students.otherClassroom;
      const alerts = await db
        .selectFrom('alerts')
        .select(['id', 'assigned_to'])
        .where('student_id', '=', student.id)
        .orderBy('id')
        .execute();
      const others = await db
        .selectFrom('alerts')
        .select('id')
        .where('student_id', '=', student.id)
        .where('id', '!=', alerts[0]!.id)
        .execute();
      expect(others.length).toBeGreaterThan(0);
      const formMaster = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', ROLES.FORM_MASTER)
        .executeTakeFirstOrThrow();
      await db.updateTable('alerts').set({ assigned_to: formMaster.id }).where('id', '=', alerts[0]!.id).execute();
      try {
        const assigned = toGlobalId('Alert', { schoolId: student.schoolId, id: alerts[0]!.id });
        const response = await api.graphql<{
          node: { alerts: { totalCount: number; nodes: { id: string }[] }; cases: { totalCount: number } } | null;
          alerts: { totalCount: number; nodes: { id: string }[] };
          nodes: ({ id: string } | null)[];
        }>(
          `query ($student: ID!, $ids: [ID!]!) {
            node(id: $student) { ... on Student { alerts(first: 100) { totalCount nodes { id } } cases(first: 100) { totalCount } } }
            alerts(first: 100, filter: { studentId: $student }) { totalCount nodes { id } }
            nodes(ids: $ids) { id }
          }`,
          {
            student: toGlobalId('Student', { schoolId: student.schoolId, id: student.id }),
            ids: [
              assigned,
              ...others.map((alert) => toGlobalId('Alert', { schoolId: student.schoolId, id: alert.id })),
            ],
          },
          cookies.FORM_MASTER,
        );
        expect(response.body.errors).toBeUndefined();
        const data = response.body.data!;
        expect(data.node?.alerts).toEqual({ totalCount: 1, nodes: [{ id: assigned }] });
        expect(data.node?.cases.totalCount).toBe(0);
        expect(data.alerts).toEqual({ totalCount: 1, nodes: [{ id: assigned }] });
        expect(data.nodes).toEqual([{ id: assigned }, ...others.map(() => null)]);
      } finally {
        await db
          .updateTable('alerts')
          .set({ assigned_to: alerts[0]!.assigned_to })
          .where('id', '=', alerts[0]!.id)
          .execute();
      }
    });

    for (const role of Object.keys(ROLES) as (keyof typeof ROLES)[]) {
      it(`${role}: schools, classrooms and the audit log agree with the role's scope`, async () => {
        const response = await api.graphql<{
          schools: { nodes: { code: string }[] };
          classrooms: { totalCount: number; nodes: { id: string; school: { code: string } }[] };
          auditLog: { totalCount: number; nodes: { school: { code: string } | null }[] };
          otherClassroom: { id: string } | null;
          otherSchoolClassroom: { id: string } | null;
        }>(
          `query ($otherClassroom: ID!, $otherSchoolClassroom: ID!) {
            schools { nodes { code } }
            classrooms(first: 100) { totalCount nodes { id school { code } } }
            auditLog(first: 100, filter: { from: "2026-01-01T00:00:00Z", to: "2026-12-01T00:00:00Z" }) {
              totalCount nodes { school { code } }
            }
            otherClassroom: node(id: $otherClassroom) { id }
            otherSchoolClassroom: node(id: $otherSchoolClassroom) { id }
          }`,
          {
            otherClassroom: toGlobalId('Classroom', { schoolId: 1, id: students.otherClassroom.classroomId }),
            otherSchoolClassroom: toGlobalId('Classroom', { schoolId: 2, id: students.otherSchool.classroomId }),
          },
          cookies[role],
        );
        expect(response.body.errors).toBeUndefined();
        const data = response.body.data!;
        const schoolCodes = [...new Set(data.classrooms.nodes.map((c) => c.school.code))].sort();
        const auditSchools = [...new Set(data.auditLog.nodes.map((e) => e.school?.code ?? null))];
        switch (role) {
          case 'FORM_MASTER':
            // Every classroom of the school by name (who is in them stays behind the students' scope), none of
            // another school's.
            expect(data.schools.nodes).toEqual([{ code: 'S01' }]);
            expect(schoolCodes).toEqual(['S01']);
            expect(data.classrooms.nodes.map((c) => c.id)).toContain(
              toGlobalId('Classroom', { schoolId: students.own.schoolId, id: students.own.classroomId }),
            );
            expect(data.otherClassroom).not.toBeNull();
            expect(data.otherSchoolClassroom).toBeNull();
            expect(data.auditLog.totalCount).toBe(0);
            break;
          case 'PASTORAL_LEAD':
            expect(schoolCodes).toEqual(['S01']);
            expect(data.otherClassroom).not.toBeNull();
            expect(data.auditLog.totalCount).toBe(0);
            break;
          case 'SCHOOL_ADMIN':
            expect(schoolCodes).toEqual(['S01']);
            expect(data.otherClassroom).not.toBeNull();
            expect(data.auditLog.totalCount).toBeGreaterThan(0);
            expect(auditSchools).toEqual(['S01']);
            break;
          case 'DISTRICT_ADMIN':
            expect(data.schools.nodes.map((school) => school.code)).toEqual(['S01', 'S02']);
            expect(schoolCodes).toEqual(['S01', 'S02']);
            expect(data.otherClassroom).not.toBeNull();
            expect(data.auditLog.totalCount).toBeGreaterThan(0);
            break;
        }
        expect(data.otherSchoolClassroom === null).toBe(role !== 'DISTRICT_ADMIN');
      });

      it(`${role}: the dashboard's figures match the lists behind them`, async () => {
        const mine = role === 'FORM_MASTER';
        const response = await api.graphql<{
          dashboard: {
            newAlerts: number;
            overdueReviews: number;
            openCasesByStatus: { status: string; count: number }[];
            studentsByRiskLevel: { count: number }[];
          };
          newAlerts: { totalCount: number };
          overdue: { totalCount: number };
          open: { totalCount: number };
          students: { totalCount: number };
        }>(
          `query ($mine: Boolean) {
            dashboard { newAlerts overdueReviews openCasesByStatus { status count } studentsByRiskLevel { count } }
            newAlerts: alerts(filter: { status: [NEW], assignedToMe: $mine }) { totalCount }
            overdue: cases(filter: { overdue: true, assignedToMe: $mine }) { totalCount }
            open: cases(filter: { status: [OPEN, IN_PROGRESS, MONITORING], assignedToMe: $mine }) { totalCount }
            students(filter: { active: true ${mine ? `, classroomId: "${toGlobalId('Classroom', { schoolId: students.own.schoolId, id: students.own.classroomId })}"` : ''} }) { totalCount }
          }`,
          { mine: mine ? true : null },
          cookies[role],
        );
        expect(response.body.errors).toBeUndefined();
        const data = response.body.data!;
        expect(data.dashboard.newAlerts).toBe(data.newAlerts.totalCount);
        expect(data.dashboard.overdueReviews).toBe(data.overdue.totalCount);
        expect(data.dashboard.openCasesByStatus.reduce((sum, s) => sum + s.count, 0)).toBe(data.open.totalCount);
        expect(data.dashboard.studentsByRiskLevel.reduce((sum, l) => sum + l.count, 0)).toBe(data.students.totalCount);
        expect(data.open.totalCount).toBeGreaterThan(0);
      });
    }
  });
}
