/** The dashboard's figures, read from the summary rows the writes keep; and its list of the newly at risk. */
import type { Database, Student } from '@pastoral/db';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import type { Viewer } from '../auth/viewer.ts';
import { NOTHING } from '../../school-scope.ts';
import { countsWithFirstPage, profileOfStudent, visibleStudents } from '../students/student.policy.ts';

/**
 * What a dashboard counts over. A form master's is about their own work and classes: their assignee rows and
 * their classrooms' rows of their school. Everyone else's covers whole schools (a pastoral lead or school admin
 * sees all of their school, a district admin every school: student.policy.ts), and names them, so it is those
 * schools' `school` rows; the district's figures are its 50 schools' rows summed, a few hundred rows.
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

/** A form master's classes; everyone else's visible students of the scope's schools. */
const ownStudents =
  ({ viewer, schoolIds }: DashboardScope) =>
  (eb: ExpressionBuilder<Database, 'students'>): Expression<SqlBool> => {
    if (schoolIds !== null) return eb.and([visibleStudents(viewer)(eb), inSchools('students.school_id', schoolIds)]);
    if (viewer.classroomIds.length === 0) return NOTHING;
    return eb.and([ofOwnSchool('students.school_id', viewer), eb('students.classroom_id', 'in', viewer.classroomIds)]);
  };

/** The open statuses, named. */
const OPEN_STATUSES = ['OPEN', 'IN_PROGRESS', 'MONITORING'] as const;

export interface DashboardCounts {
  newAlerts: number;
  openCasesByStatus: Map<string, number>;
  overdueReviews: number;
  /** Active students by risk level code; 0 for those without a profile. */
  studentsByRiskLevel: Map<number, number>;
}

type SummaryWhere = (eb: ExpressionBuilder<Database, 'summary_counts'>) => Expression<SqlBool>;

/**
 * The summary rows a dashboard reads (summary_counts, kept by the writes themselves): the new alerts, the open
 * cases by status, the students by level, and the review buckets before `today` as years before its year,
 * months of its year before its month, and days of its month before it, so a school contributes a few dozen
 * rows at most. A form master's alerts and cases are their assignee rows, their students their classrooms'.
 */
function countedRows(scope: DashboardScope, today: string): SummaryWhere {
  const [year, month] = [today.slice(0, 4), today.slice(0, 7)];
  const records = (eb: ExpressionBuilder<Database, 'summary_counts'>) =>
    eb.or([
      eb.and([eb('metric', '=', 'alerts'), eb('bucket', '=', 'NEW')]),
      eb.and([eb('metric', '=', 'cases'), eb('bucket', 'in', OPEN_STATUSES)]),
      eb.and([eb('metric', '=', 'review_year'), eb('bucket', '<', year)]),
      eb.and([eb('metric', '=', 'review_month'), eb('bucket', '>=', `${year}-01`), eb('bucket', '<', month)]),
      eb.and([eb('metric', '=', 'review_day'), eb('bucket', '>=', `${month}-01`), eb('bucket', '<', today)]),
    ]);
  const students = (eb: ExpressionBuilder<Database, 'summary_counts'>) => eb('metric', '=', 'students');
  const { viewer, schoolIds } = scope;
  return (eb) => {
    if (schoolIds !== null) {
      return eb.and([
        inSchools('summary_counts.school_id', schoolIds),
        eb('scope_kind', '=', 'school'),
        eb('scope_id', '=', 0),
        eb.or([records(eb), students(eb)]),
      ]);
    }
    const own = eb.and([eb('scope_kind', '=', 'assignee'), eb('scope_id', '=', viewer.user.id), records(eb)]);
    const classes =
      viewer.classroomIds.length === 0
        ? null
        : eb.and([eb('scope_kind', '=', 'classroom'), eb('scope_id', 'in', viewer.classroomIds), students(eb)]);
    return eb.and([ofOwnSchool('summary_counts.school_id', viewer), classes ? eb.or([own, classes]) : own]);
  };
}

/** Every figure of the dashboard, in one statement over the scope's summary rows. */
export async function countDashboard(
  db: Kysely<Database>,
  scope: DashboardScope,
  today: string,
): Promise<DashboardCounts> {
  const rows = await db
    .selectFrom('summary_counts')
    .select(['metric', 'bucket', (eb) => eb.fn.sum<number | string>('count').as('count')])
    .where(countedRows(scope, today))
    .groupBy(['metric', 'bucket'])
    .execute();
  const counts: DashboardCounts = {
    newAlerts: 0,
    openCasesByStatus: new Map(),
    overdueReviews: 0,
    studentsByRiskLevel: new Map(),
  };
  for (const row of rows) {
    const count = Number(row.count);
    if (row.metric === 'alerts') counts.newAlerts += count;
    else if (row.metric === 'cases') counts.openCasesByStatus.set(row.bucket, count);
    else if (row.metric === 'students') counts.studentsByRiskLevel.set(Number(row.bucket), count);
    else counts.overdueReviews += count;
  }
  return counts;
}

/** The scope's active students whose risk level worsened since `since`. */
function newlyAtRiskQuery(db: Kysely<Database>, scope: DashboardScope, since: string) {
  return (
    db
      .selectFrom('students')
      .innerJoin('risk_profiles', profileOfStudent)
      .where('students.is_active', '=', 1)
      .where('risk_profiles.worsened_at', '>=', since)
      .where(ownStudents(scope))
      // The profiles' (school_id, worsened_at) index reads only the week's changes.
      .$if(scope.schoolIds !== null, (query) => query.where(inSchools('risk_profiles.school_id', scope.schoolIds!)))
  );
}

/** How many of the scope's students worsened since `since`, up to the lists' cap (one past it: capped). */
export function countNewlyAtRisk(db: Kysely<Database>, scope: DashboardScope, since: string): Promise<number> {
  return countCapped(db, newlyAtRiskQuery(db, scope, since));
}

export async function listNewlyAtRisk(
  db: Kysely<Database>,
  scope: DashboardScope,
  since: string,
  args: PageArgs,
): Promise<ConnectionModel> {
  const query = newlyAtRiskQuery(db, scope, since);
  type Row = Student & { worsened_at: string };
  const keys: SortKey<Row>[] = [
    { expression: sql.ref('risk_profiles.worsened_at'), direction: 'desc', value: (row) => row.worsened_at },
    // The profile's student id (the same value): the list's order is then the profiles' own, which
    // risk_profiles_worsened_idx gives the district's list and (school_id, worsened_at) a school's.
    { expression: sql.ref('risk_profiles.student_id'), direction: 'desc', value: (row) => row.id },
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
