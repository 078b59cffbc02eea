/** The dashboard's figures, each one GROUP BY or COUNT in SQL over an index; no rows are loaded to count them. */
import type { Database, Student } from '@pastoral/db';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { visibleAlerts } from '../alerts/alert.policy.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleCases } from '../cases/case.policy.ts';
import { NOTHING } from '../../school-scope.ts';
import { countsWithFirstPage, profileOfStudent, visibleStudents } from '../students/student.policy.ts';

/**
 * What a dashboard counts over. A form master's is about their own work and classes. Everyone else's covers
 * whole schools, and names them: for district staff, every school. With `school_id IN (1, …, 50)` MariaDB
 * reads the (school_id, …) indexes one school's range at a time; without it a district-wide count read every
 * row of the table (200,000 alerts, 100,000 cases, 50,000 students with their risk profiles: 66 ms for the
 * district's dashboard, measured on the district seed). The visibility scopes still apply on top.
 */
export type DashboardScope = { viewer: Viewer; schoolIds: number[] | null };

export async function dashboardScope(db: Kysely<Database>, viewer: Viewer): Promise<DashboardScope> {
  if (viewer.role === 'FORM_MASTER') return { viewer, schoolIds: null };
  if (viewer.role !== 'DISTRICT_ADMIN') return { viewer, schoolIds: viewer.schoolId === null ? [] : [viewer.schoolId] };
  const schools = await db.selectFrom('schools').select('id').orderBy('id').execute();
  return { viewer, schoolIds: schools.map((school) => school.id) };
}

const inSchools = (column: string, schoolIds: number[]): Expression<SqlBool> =>
  schoolIds.length === 0 ? NOTHING : sql<SqlBool>`${sql.ref(column)} in (${sql.join(schoolIds)})`;

/** A form master's own alerts, cases or classes: all of their own school. */
const ofOwnSchool = (column: string, viewer: Viewer): Expression<SqlBool> =>
  viewer.schoolId === null ? NOTHING : sql<SqlBool>`${sql.ref(column)} = ${viewer.schoolId}`;

const ownAlerts =
  ({ viewer, schoolIds }: DashboardScope) =>
  (eb: ExpressionBuilder<Database, 'alerts'>) =>
    schoolIds === null
      ? eb.and([ofOwnSchool('alerts.school_id', viewer), eb('alerts.assigned_to', '=', viewer.user.id)])
      : eb.and([visibleAlerts(viewer)(eb), inSchools('alerts.school_id', schoolIds)]);

const ownCases =
  ({ viewer, schoolIds }: DashboardScope) =>
  (eb: ExpressionBuilder<Database, 'intervention_cases'>) =>
    schoolIds === null
      ? eb.and([
          ofOwnSchool('intervention_cases.school_id', viewer),
          eb('intervention_cases.assigned_to', '=', viewer.user.id),
        ])
      : eb.and([visibleCases(viewer)(eb), inSchools('intervention_cases.school_id', schoolIds)]);

/** A form master's classes; everyone else's visible students of the scope's schools. */
const ownStudents =
  ({ viewer, schoolIds }: DashboardScope) =>
  (eb: ExpressionBuilder<Database, 'students'>): Expression<SqlBool> => {
    if (schoolIds !== null) return eb.and([visibleStudents(viewer)(eb), inSchools('students.school_id', schoolIds)]);
    if (viewer.classroomIds.length === 0) return NOTHING;
    return eb.and([ofOwnSchool('students.school_id', viewer), eb('students.classroom_id', 'in', viewer.classroomIds)]);
  };

/** The open statuses, named: `IN (…)` reads the (school_id, status, …) indexes as ranges, `!= 'CLOSED'` did not. */
const OPEN_STATUSES = ['OPEN', 'IN_PROGRESS', 'MONITORING'] as const;

export async function countNewAlerts(db: Kysely<Database>, scope: DashboardScope): Promise<number> {
  const row = await db
    .selectFrom('alerts')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('alerts.status', '=', 'NEW')
    .where(ownAlerts(scope))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function countOpenCasesByStatus(
  db: Kysely<Database>,
  scope: DashboardScope,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('intervention_cases')
    .select(['intervention_cases.status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('intervention_cases.status', 'in', OPEN_STATUSES)
    .where(ownCases(scope))
    .groupBy('intervention_cases.status')
    .execute();
  return new Map(rows.map((row) => [row.status, Number(row.count)]));
}

export async function countOverdueReviews(db: Kysely<Database>, scope: DashboardScope, today: string): Promise<number> {
  const row = await db
    .selectFrom('intervention_cases')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('intervention_cases.status', 'in', OPEN_STATUSES)
    .where('intervention_cases.next_review_at', '<', today)
    .where(ownCases(scope))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * Active students by risk level (0 for a student without a profile). For a form master's classes, one join.
 * For whole schools the join read every student and profile (39 ms for the district), so it is three counts,
 * each from an index alone: profiles by level, the inactive students' profiles by level (few), and active
 * students; level k ≥ 1 is the first less the second, level 0 what is left of the active students.
 */
export async function countStudentsByRiskLevel(
  db: Kysely<Database>,
  scope: DashboardScope,
): Promise<Map<number, number>> {
  const byLevel = (rows: { level: number | string; count: number | string | bigint }[]) =>
    new Map(rows.map((row) => [Number(row.level), Number(row.count)]));
  if (scope.schoolIds === null) {
    const level = sql<number>`coalesce(risk_profiles.level, 0)`;
    const rows = await db
      .selectFrom('students')
      .leftJoin('risk_profiles', profileOfStudent)
      .select([level.as('level'), (eb) => eb.fn.countAll<number>().as('count')])
      .where('students.is_active', '=', 1)
      .where(ownStudents(scope))
      .groupBy(level)
      .execute();
    return byLevel(rows);
  }
  const [profiles, inactive, active] = await Promise.all([
    db
      .selectFrom('risk_profiles')
      .select(['risk_profiles.level', (eb) => eb.fn.countAll<number>().as('count')])
      .where(inSchools('risk_profiles.school_id', scope.schoolIds))
      .groupBy('risk_profiles.level')
      .execute(),
    db
      .selectFrom('students')
      .innerJoin('risk_profiles', profileOfStudent)
      .select(['risk_profiles.level', (eb) => eb.fn.countAll<number>().as('count')])
      .where('students.is_active', '=', 0)
      .where(ownStudents(scope))
      .groupBy('risk_profiles.level')
      .execute(),
    db
      .selectFrom('students')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('students.is_active', '=', 1)
      .where(ownStudents(scope))
      .executeTakeFirstOrThrow(),
  ]);
  const counts = byLevel(profiles);
  for (const [level, count] of byLevel(inactive)) counts.set(level, (counts.get(level) ?? 0) - count);
  let leveled = 0;
  for (const [level, count] of counts) if (level !== 0) leveled += count;
  counts.set(0, Number(active.count) - leveled);
  return counts;
}

export async function listNewlyAtRisk(
  db: Kysely<Database>,
  scope: DashboardScope,
  since: string,
  args: PageArgs,
): Promise<ConnectionModel> {
  const query = db
    .selectFrom('students')
    .innerJoin('risk_profiles', profileOfStudent)
    .where('students.is_active', '=', 1)
    .where('risk_profiles.worsened_at', '>=', since)
    .where(ownStudents(scope))
    // The profiles' (school_id, worsened_at) index reads only the week's changes.
    .$if(scope.schoolIds !== null, (query) => query.where(inSchools('risk_profiles.school_id', scope.schoolIds!)));
  type Row = Student & { worsened_at: string };
  const keys: SortKey<Row>[] = [
    { expression: sql.ref('risk_profiles.worsened_at'), direction: 'desc', value: (row) => row.worsened_at },
    { expression: sql.ref('students.id'), direction: 'desc', value: (row) => row.id },
  ];
  return paginate({
    query: query.selectAll('students').select(sql<string>`risk_profiles.worsened_at`.as('worsened_at')),
    keys,
    args,
    count: () => countCapped(db, query),
    // A school's or the district's week of changes can be long; a form master's classrooms' is a handful.
    countWithFirstPage: countsWithFirstPage(scope.viewer),
  });
}
