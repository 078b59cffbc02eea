/** The dashboard's figures, each one GROUP BY or COUNT in SQL over an index; no rows are loaded to count them. */
import type { Database, Student } from '@pastoral/db';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import { type ConnectionModel, countCapped, type PageArgs, paginate, type SortKey } from '../../graphql/relay.ts';
import { visibleAlerts } from '../alerts/alert.policy.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleCases } from '../cases/case.policy.ts';
import { NOTHING, visibleStudents } from '../students/student.policy.ts';

/** A form master's dashboard is about their own work; everyone else's about all they can see. */
const ownAlerts = (viewer: Viewer) => (eb: ExpressionBuilder<Database, 'alerts'>) =>
  viewer.role === 'FORM_MASTER' ? eb('alerts.assigned_to', '=', viewer.user.id) : visibleAlerts(viewer)(eb);

const ownCases = (viewer: Viewer) => (eb: ExpressionBuilder<Database, 'intervention_cases'>) =>
  viewer.role === 'FORM_MASTER' ? eb('intervention_cases.assigned_to', '=', viewer.user.id) : visibleCases(viewer)(eb);

/** A form master's classes; everyone else's visible students. */
const ownStudents =
  (viewer: Viewer) =>
  (eb: ExpressionBuilder<Database, 'students'>): Expression<SqlBool> => {
    if (viewer.role !== 'FORM_MASTER') return visibleStudents(viewer)(eb);
    return viewer.classroomIds.length === 0 ? NOTHING : eb('students.classroom_id', 'in', viewer.classroomIds);
  };

export async function countNewAlerts(db: Kysely<Database>, viewer: Viewer): Promise<number> {
  const row = await db
    .selectFrom('alerts')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('alerts.status', '=', 'NEW')
    .where(ownAlerts(viewer))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function countOpenCasesByStatus(db: Kysely<Database>, viewer: Viewer): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('intervention_cases')
    .select(['intervention_cases.status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('intervention_cases.status', '!=', 'CLOSED')
    .where(ownCases(viewer))
    .groupBy('intervention_cases.status')
    .execute();
  return new Map(rows.map((row) => [row.status, Number(row.count)]));
}

export async function countOverdueReviews(db: Kysely<Database>, viewer: Viewer, today: string): Promise<number> {
  const row = await db
    .selectFrom('intervention_cases')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .where('intervention_cases.status', 'in', ['OPEN', 'IN_PROGRESS', 'MONITORING'])
    .where('intervention_cases.next_review_at', '<', today)
    .where(ownCases(viewer))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function countStudentsByRiskLevel(db: Kysely<Database>, viewer: Viewer): Promise<Map<number, number>> {
  const level = sql<number>`coalesce(risk_profiles.level, 0)`;
  const rows = await db
    .selectFrom('students')
    .leftJoin('risk_profiles', 'risk_profiles.student_id', 'students.id')
    .select([level.as('level'), (eb) => eb.fn.countAll<number>().as('count')])
    .where('students.is_active', '=', 1)
    .where(ownStudents(viewer))
    .groupBy(level)
    .execute();
  return new Map(rows.map((row) => [Number(row.level), Number(row.count)]));
}

export async function listNewlyAtRisk(
  db: Kysely<Database>,
  viewer: Viewer,
  since: string,
  args: PageArgs,
): Promise<ConnectionModel> {
  const query = db
    .selectFrom('students')
    .innerJoin('risk_profiles', 'risk_profiles.student_id', 'students.id')
    .where('students.is_active', '=', 1)
    .where('risk_profiles.worsened_at', '>=', since)
    .where(ownStudents(viewer));
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
  });
}
