/**
 * The summary rows equal their full counts after every kind of write, through the API and in plain SQL (the
 * triggers keep them whoever writes), and `rebuildSchoolSummaries` mends a corrupted row. On every engine.
 */
import type { Database, InterventionCaseTable } from '@pastoral/db';
import { buildAlert, buildClassroom, buildStudent, testEngines } from '@pastoral/db/testing';
import type { ExpressionBuilder, Kysely, Updateable } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { recomputeAll } from '../risk/risk.engine.ts';
import { loadRiskRules } from '../risk/risk.rules-file.ts';
import {
  rebuildSchoolSummaries,
  schoolSummaryMismatches,
  storedSchoolSummaries,
  summarisedSchoolIds,
} from './summary.repository.ts';

async function mismatches(db: Kysely<Database>) {
  const found = [];
  for (const schoolId of await summarisedSchoolIds(db)) found.push(...(await schoolSummaryMismatches(db, schoolId)));
  return found;
}

for (const engine of testEngines()) {
  describe(`summary counts on ${engine.name}`, () => {
    let api: ApiHarness;
    let db: Kysely<Database>;
    let lead: string;
    let schoolId: number;

    beforeAll(async () => {
      api = await startApiHarness(engine);
      db = api.database.handle.db;
      lead = await api.signIn('pastoral.lead@s01.pastoral.example');
      schoolId = (await db.selectFrom('schools').select('id').where('code', '=', 'S01').executeTakeFirstOrThrow()).id;
    }, 120_000);
    afterAll(() => api.close());

    it('are exact after the seed, and there are some', async () => {
      expect((await storedSchoolSummaries(db, schoolId)).length).toBeGreaterThan(20);
      expect(await mismatches(db)).toEqual([]);
    });

    it('are exact after triage, cases opened, reassigned, rescheduled and closed through the API', async () => {
      const alerts = await db
        .selectFrom('alerts')
        .select('id')
        .where('school_id', '=', schoolId)
        .where('status', '=', 'NEW')
        .orderBy('id')
        .limit(3)
        .execute();
      const alertId = (row: { id: number } | undefined) => toGlobalId('Alert', { schoolId, id: row!.id });
      const call = async (mutation: string, input: Record<string, unknown>) => {
        const response = await api.graphql<Record<string, { userErrors: unknown[] }>>(
          `mutation ($input: ${mutation[0]!.toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { userErrors { message } } }`,
          { input },
          lead,
        );
        expect(response.body.errors).toBeUndefined();
        expect(response.body.data![mutation]!.userErrors).toEqual([]);
      };
      await call('acknowledgeAlert', { alertId: alertId(alerts[0]) });
      await call('dismissAlert', { alertId: alertId(alerts[1]), reason: 'Known and handled' });
      await call('escalateAlert', { alertIds: [alertId(alerts[2])] });
      expect(await mismatches(db)).toEqual([]);

      const student = await db
        .selectFrom('students')
        .select('id')
        .where('school_id', '=', schoolId)
        .executeTakeFirstOrThrow();
      const colleague = await db
        .selectFrom('users')
        .select('id')
        .where('school_id', '=', schoolId)
        .where('role', '=', 'FORM_MASTER')
        .executeTakeFirstOrThrow();
      await call('openCase', {
        studentId: toGlobalId('Student', { schoolId, id: student.id }),
        title: 'Summaries',
        category: 'ATTENDANCE',
        nextReviewAt: '2027-03-02',
      });
      const opened = await db
        .selectFrom('intervention_cases')
        .select(['id', 'version'])
        .orderBy('id', 'desc')
        .executeTakeFirstOrThrow();
      const caseId = toGlobalId('InterventionCase', { schoolId, id: opened.id });
      await call('updateCase', {
        id: caseId,
        expectedVersion: opened.version,
        nextReviewAt: '2027-05-15',
        assignedToId: toGlobalId('User', colleague.id),
      });
      expect(await mismatches(db)).toEqual([]);
      for (const status of ['IN_PROGRESS', 'MONITORING', 'CLOSED']) {
        const { version } = await db
          .selectFrom('intervention_cases')
          .select('version')
          .where('id', '=', opened.id)
          .executeTakeFirstOrThrow();
        await call('changeCaseStatus', {
          id: caseId,
          expectedVersion: version,
          status,
          ...(status === 'CLOSED' ? { outcome: 'IMPROVED' } : {}),
        });
      }
      expect(await mismatches(db)).toEqual([]);
    });

    it('are exact after a risk recompute', async () => {
      // Records that move levels: a week of absences for a few students.
      const students = await db
        .selectFrom('students')
        .select(['id', 'school_id'])
        .where('school_id', '=', schoolId)
        .limit(5)
        .execute();
      await db
        .updateTable('risk_profiles')
        .set({ level: 3 })
        .where(
          'student_id',
          'in',
          students.map((s) => s.id),
        )
        .execute();
      await recomputeAll({
        db,
        dialect: api.database.handle.dialect,
        rules: loadRiskRules(undefined),
        actor: { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null },
        now: new Date('2026-12-01T12:00:00Z'),
      });
      expect(await mismatches(db)).toEqual([]);
    }, 120_000);

    it('are exact after every kind of write in plain SQL', async () => {
      const classroom = await buildClassroom(db, { school_id: schoolId });
      const student = await buildStudent(db, { school_id: schoolId, classroom_id: classroom.id });
      const other = await buildStudent(db, { school_id: schoolId });
      const alert = await buildAlert(db, { student_id: student.id, school_id: schoolId, status: 'NEW' });
      const user = await db
        .selectFrom('users')
        .select('id')
        .where('school_id', '=', schoolId)
        .executeTakeFirstOrThrow();
      const updateCases = (set: Updateable<InterventionCaseTable>, statuses: string[], limit: number) =>
        db
          .updateTable('intervention_cases')
          .set(set)
          .where('school_id', '=', schoolId)
          .where('status', 'in', statuses)
          .limit(limit)
          .execute();
      const writes: [string, () => Promise<unknown>][] = [
        [
          'profile inserted',
          () =>
            db
              .insertInto('risk_profiles')
              .values(profile(student.id, schoolId, 2))
              .execute(),
        ],
        [
          'profile level changed',
          () => db.updateTable('risk_profiles').set({ level: 1 }).where('student_id', '=', student.id).execute(),
        ],
        [
          'student moved classroom',
          () =>
            db.updateTable('students').set({ classroom_id: other.classroom_id }).where('id', '=', student.id).execute(),
        ],
        [
          'student deactivated',
          () => db.updateTable('students').set({ is_active: 0 }).where('id', '=', student.id).execute(),
        ],
        [
          "inactive student's profile changed",
          () => db.updateTable('risk_profiles').set({ level: 3 }).where('student_id', '=', student.id).execute(),
        ],
        [
          'student reactivated',
          () => db.updateTable('students').set({ is_active: 1 }).where('id', '=', student.id).execute(),
        ],
        ['profile deleted', () => db.deleteFrom('risk_profiles').where('student_id', '=', student.id).execute()],
        [
          'alert assigned',
          () => db.updateTable('alerts').set({ assigned_to: user.id }).where('id', '=', alert.id).execute(),
        ],
        [
          'alert triaged',
          () => db.updateTable('alerts').set({ status: 'ACKNOWLEDGED' }).where('id', '=', alert.id).execute(),
        ],
        [
          'alert unassigned',
          () => db.updateTable('alerts').set({ assigned_to: null }).where('id', '=', alert.id).execute(),
        ],
        ['alert deleted', () => db.deleteFrom('alerts').where('id', '=', alert.id).execute()],
        ['case review date moved', () => updateCases({ next_review_at: '2025-06-30' }, ['OPEN', 'IN_PROGRESS'], 3)],
        ['case review date cleared', () => updateCases({ next_review_at: null }, ['OPEN'], 2)],
        ['case reassigned', () => updateCases({ assigned_to: user.id }, ['OPEN', 'MONITORING', 'CLOSED'], 4)],
        ['case closed', () => updateCases({ status: 'CLOSED' }, ['MONITORING'], 2)],
        ['case reopened', () => updateCases({ status: 'OPEN' }, ['CLOSED'], 2)],
        ['student deleted', () => db.deleteFrom('students').where('id', '=', other.id).execute()],
      ];
      for (const [write, run] of writes) {
        await run();
        expect({ write, mismatches: await mismatches(db) }).toEqual({ write, mismatches: [] });
      }
    });

    it('give every dashboard the figures the tables hold, overdue reviews of past years, months and days included', async () => {
      const today = new Date().toISOString().slice(0, 10);
      const dashboardOf = async (email: string) =>
        (
          await api.graphql<{ dashboard: Record<string, unknown> }>(
            '{ dashboard { newAlerts overdueReviews openCasesByStatus { status count } studentsByRiskLevel { level count } } }',
            {},
            await api.signIn(email),
          )
        ).body.data!.dashboard;
      const formMaster = await db
        .selectFrom('users')
        .select(['id', 'email'])
        .where('email', '=', 'form.master@s01.pastoral.example')
        .executeTakeFirstOrThrow();
      const classrooms = (
        await db
          .selectFrom('classroom_assignments')
          .select('classroom_id')
          .where('user_id', '=', formMaster.id)
          .execute()
      ).map((row) => row.classroom_id);
      const expected = async (records: { school?: number; assignee?: number }, studentClassrooms?: number[]) => {
        const cases = db
          .selectFrom('intervention_cases')
          .$if(records.school !== undefined, (q) => q.where('school_id', '=', records.school!))
          .$if(records.assignee !== undefined, (q) => q.where('assigned_to', '=', records.assignee!))
          .where('status', '<>', 'CLOSED');
        const newAlerts = await db
          .selectFrom('alerts')
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('status', '=', 'NEW')
          .$if(records.school !== undefined, (q) => q.where('school_id', '=', records.school!))
          .$if(records.assignee !== undefined, (q) => q.where('assigned_to', '=', records.assignee!))
          .executeTakeFirstOrThrow();
        const overdueReviews = await cases
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .where('next_review_at', '<', today)
          .executeTakeFirstOrThrow();
        const byStatus = await cases
          .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
          .groupBy('status')
          .execute();
        const byLevel = await db
          .selectFrom('students')
          .leftJoin('risk_profiles', 'risk_profiles.student_id', 'students.id')
          .select([(eb) => eb.fn.coalesce('risk_profiles.level', eb.lit(0)).as('level')])
          .where('students.is_active', '=', 1)
          .$if(records.school !== undefined, (q) => q.where('students.school_id', '=', records.school!))
          .$if(studentClassrooms !== undefined, (q) => q.where('students.classroom_id', 'in', studentClassrooms!))
          .execute();
        return {
          newAlerts: Number(newAlerts.n),
          overdueReviews: Number(overdueReviews.n),
          openCasesByStatus: ['OPEN', 'IN_PROGRESS', 'MONITORING'].map((status) => ({
            status,
            count: Number(byStatus.find((row) => row.status === status)?.n ?? 0),
          })),
          studentsByRiskLevel: ['ON_TRACK', 'WATCH', 'AT_RISK', 'CRITICAL'].map((level, code) => ({
            level,
            count: byLevel.filter((row) => Number(row.level) === code).length,
          })),
        };
      };
      const lead = await expected({ school: schoolId });
      expect(lead.overdueReviews).toBeGreaterThan(0);
      expect(await dashboardOf('pastoral.lead@s01.pastoral.example')).toEqual(lead);
      expect(await dashboardOf('district.admin@pastoral.example')).toEqual(await expected({}));
      expect(await dashboardOf(formMaster.email)).toEqual(
        await expected({ school: schoolId, assignee: formMaster.id }, classrooms),
      );
    });

    // MySQL alone pauses the triggers for a trusted load (SQLite's load keeps them: one writer, no replicas).
    if (engine.name === 'mysql') {
      it("leave a trusted bulk load's rows to a rebuild, and count every other write meanwhile and after", async () => {
        const { dialect } = api.database.handle;
        const { id: _id, ...template } = await buildAlert(db, { school_id: schoolId, status: 'NEW' });
        const columns = Object.keys(template);
        const loaded = { ...template, status: 'DISMISSED' } as Record<string, unknown>;
        const loading = dialect.bulkInsert('alerts', columns, [columns.map((column) => loaded[column] as never)], {
          trusted: true,
        });
        // Writes on the pool's other connections while the load runs, and after it on any connection (the
        // loader's included): each is counted.
        const writes = () =>
          Promise.all(Array.from({ length: 6 }, () => buildAlert(db, { school_id: schoolId, status: 'ESCALATED' })));
        await Promise.all([loading, writes()]);
        await writes();
        expect(await mismatches(db)).toEqual([
          expect.objectContaining({
            row: expect.objectContaining({ scope_kind: 'school', metric: 'alerts', bucket: 'DISMISSED' }),
          }),
        ]);
        await rebuildSchoolSummaries(db, schoolId);
        expect(await mismatches(db)).toEqual([]);
      });
    }

    it("give whole-school and district viewers their lists' totals, read from the summary rows", async () => {
      const district = await api.signIn('district.admin@pastoral.example');
      const formMaster = await api.signIn('form.master@s01.pastoral.example');
      const leadId = (
        await db
          .selectFrom('users')
          .select('id')
          .where('email', '=', 'pastoral.lead@s01.pastoral.example')
          .executeTakeFirstOrThrow()
      ).id;
      const total = async (list: 'cases' | 'alerts', filter: string, cookie: string) => {
        const response = await api.graphql<Record<string, { totalCount: number }>>(
          `{ ${list}(first: 1, filter: ${filter}) { totalCount } }`,
          {},
          cookie,
        );
        expect(response.body.errors).toBeUndefined();
        return response.body.data![list]!.totalCount;
      };
      const counted = async (
        table: 'intervention_cases' | 'alerts',
        where: { school?: number; statuses?: string[]; assignee?: number },
      ) => {
        let query = db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n'));
        if (where.school !== undefined) query = query.where('school_id', '=', where.school);
        if (where.statuses) query = query.where('status', 'in', where.statuses);
        if (where.assignee !== undefined) query = query.where('assigned_to', '=', where.assignee);
        return Math.min(10_000, Number((await query.executeTakeFirstOrThrow()).n));
      };
      const lists: [string, 'cases' | 'alerts', string, string, () => Promise<number>][] = [
        ['school cases', 'cases', '{}', lead, () => counted('intervention_cases', { school: schoolId })],
        [
          'school open cases',
          'cases',
          '{ status: [OPEN, MONITORING] }',
          lead,
          () => counted('intervention_cases', { school: schoolId, statuses: ['OPEN', 'MONITORING'] }),
        ],
        [
          'my cases',
          'cases',
          '{ assignedToMe: true }',
          lead,
          () => counted('intervention_cases', { school: schoolId, assignee: leadId }),
        ],
        [
          'school new alerts',
          'alerts',
          '{ status: [NEW] }',
          lead,
          () => counted('alerts', { school: schoolId, statuses: ['NEW'] }),
        ],
        [
          'district cases',
          'cases',
          '{ status: [OPEN] }',
          district,
          () => counted('intervention_cases', { statuses: ['OPEN'] }),
        ],
        ['district alerts', 'alerts', '{}', district, () => counted('alerts', {})],
      ];
      for (const [name, list, filter, cookie, expected] of lists) {
        expect({ name, total: await total(list, filter, cookie) }).toEqual({ name, total: await expected() });
      }
      // Read from the rows, not counted: a row moved by 7 moves the totals that sum it, and no other.
      const formMastersBefore = await total('cases', '{ status: [OPEN] }', formMaster);
      const openRow = (eb: ExpressionBuilder<Database, 'summary_counts'>) =>
        eb.and([
          eb('school_id', '=', schoolId),
          eb('scope_kind', '=', 'school'),
          eb('scope_id', '=', 0),
          eb('metric', '=', 'cases'),
          eb('bucket', '=', 'OPEN'),
        ]);
      await db
        .updateTable('summary_counts')
        .set((eb) => ({ count: eb('count', '+', 7) }))
        .where(openRow)
        .execute();
      try {
        expect(await total('cases', '{ status: [OPEN] }', lead)).toBe(
          (await counted('intervention_cases', { school: schoolId, statuses: ['OPEN'] })) + 7,
        );
        expect(await total('cases', '{ status: [OPEN] }', formMaster)).toBe(formMastersBefore);
      } finally {
        await rebuildSchoolSummaries(db, schoolId);
      }
    });

    it('are mended by a rebuild after a row is corrupted', async () => {
      await db
        .updateTable('summary_counts')
        .set((eb) => ({ count: eb('count', '+', 7) }))
        .where('school_id', '=', schoolId)
        .where('scope_kind', '=', 'school')
        .where('metric', '=', 'alerts')
        .where('bucket', '=', 'NEW')
        .execute();
      const found = await mismatches(db);
      expect(found).toHaveLength(1);
      expect(found[0]!.stored - found[0]!.counted).toBe(7);
      await rebuildSchoolSummaries(db, schoolId);
      expect(await mismatches(db)).toEqual([]);
    });
  });
}

function profile(studentId: number, schoolId: number, level: number) {
  return {
    student_id: studentId,
    school_id: schoolId,
    level,
    attendance_level: level,
    behaviour_level: 0,
    coursework_level: 0,
    attendance_rate: null,
    attendance_days: 0,
    minor_incidents: 0,
    major_incidents: 0,
    suspensions: 0,
    failing_subjects: 0,
    failing_core_subjects: 0,
    reasons: '[]',
    rules_version: 'test',
    computed_at: '2026-12-01 00:00:00.000',
    previous_level: null,
    worsened_at: null,
  };
}
