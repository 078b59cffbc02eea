import { type Database, preparedQuery, type Student } from '@pastoral/db';
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import { badInput } from '../../errors.ts';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { bySchoolKeys, bySchoolLists, NOTHING, type SchoolKey, schoolKeyLists } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { countsWithFirstPage, visibleStudents, visibleStudentsPerRow } from './student.policy.ts';

export interface StudentFilterValues {
  schoolId?: number;
  classroom?: SchoolKey;
  /** Level codes, 0 ON_TRACK .. 3 CRITICAL. */
  riskLevels?: number[];
  /** Default true: active students only; null for both. */
  active?: boolean | null;
  search?: string;
}

type SchoolLists = ReturnType<typeof schoolKeyLists>;

export type StudentOrderValues = { field: 'NAME' | 'RISK'; direction: 'ASC' | 'DESC' };

/** The longest full name a student can have (the column's length), and so the longest search that can match. */
export const MAX_SEARCH_LENGTH = 200;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (char) => `\\${char}`);
}

function studentsQuery(db: Kysely<Database>, viewer: Viewer, filter: StudentFilterValues) {
  // The profile's level as the student's row holds it (0 before one is computed), so that the risk order is an
  // index's (students_school_active_risk_idx, students_active_risk_idx) and a page reads its own rows alone.
  const riskLevel = sql.ref<number>('students.risk_level');
  let query = db.selectFrom('students').where(visibleStudents(viewer));
  if (filter.schoolId !== undefined) query = query.where('students.school_id', '=', filter.schoolId);
  if (filter.classroom !== undefined) query = query.where(bySchoolKeys('students', [filter.classroom], 'classroom_id'));
  const active = filter.active === undefined ? true : filter.active;
  if (active !== null) query = query.where('students.is_active', '=', active ? 1 : 0);
  if (filter.riskLevels) {
    if (filter.riskLevels.length === 0)
      throw badInput('filter.riskLevels needs at least one level, or leave it out.', 'filter');
    query = query.where(riskLevel, 'in', filter.riskLevels);
  }
  if (filter.search !== undefined) {
    const search = filter.search.trim();
    if (search.length < 2) throw badInput('filter.search needs at least 2 characters.', 'filter');
    // No name is longer, and SQLite refuses a LIKE pattern past its own limit as an error of the engine's.
    if (search.length > MAX_SEARCH_LENGTH) {
      throw badInput(
        `filter.search takes at most ${MAX_SEARCH_LENGTH} characters (got ${search.length}), the longest a name can be.`,
        'filter',
      );
    }
    const prefix = `${escapeLike(search)}%`;
    query = query.where((eb) =>
      eb.or([
        eb('students.family_name', 'like', prefix),
        eb('students.given_name', 'like', prefix),
        eb('students.full_name', 'like', prefix),
      ]),
    );
  }
  return { query, riskLevel };
}

export async function listStudents(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: StudentFilterValues,
  order: StudentOrderValues,
  args: PageArgs,
): Promise<ConnectionModel> {
  const { query, riskLevel } = studentsQuery(db, viewer, filter);
  const direction = order.direction === 'ASC' ? 'asc' : 'desc';
  const byName: SortKey<Student>[] = [
    {
      expression: sql.ref('students.family_name'),
      direction: order.field === 'NAME' ? direction : 'asc',
      value: (r) => r.family_name,
    },
    {
      expression: sql.ref('students.given_name'),
      direction: order.field === 'NAME' ? direction : 'asc',
      value: (r) => r.given_name,
    },
    { expression: sql.ref('students.id'), direction: order.field === 'NAME' ? direction : 'asc', value: (r) => r.id },
  ];
  const keys: SortKey<Student>[] =
    order.field === 'RISK' ? [{ expression: riskLevel, direction, value: (r) => r.risk_level }, ...byName] : byName;
  return paginate({
    query: query.selectAll('students'),
    keys,
    args,
    count: () => countCapped(db, query),
    countWithFirstPage: countsWithFirstPage(viewer),
  });
}

/** Students by key, if the viewer may see them (for `node` and `nodes`). */
export async function visibleStudentsById(db: Kysely<Database>, viewer: Viewer, keys: readonly SchoolKey[]) {
  return db
    .selectFrom('students')
    .selectAll()
    .where(bySchoolKeys('students', keys))
    .where(visibleStudentsPerRow(viewer))
    .execute();
}

// The loaders below run on most requests in the same few shapes: prepared (built and compiled once per shape).
const studentsByIdQuery = preparedQuery((db: Kysely<Database>, { schools, ids }: SchoolLists) =>
  db
    .selectFrom('students')
    .selectAll()
    .where(bySchoolLists('students', schools, ids)),
);

/** Students by key, for relations of records the viewer can already see (a visible case's student). */
export async function studentsById(db: Kysely<Database>, keys: readonly SchoolKey[]) {
  return studentsByIdQuery(db, schoolKeyLists('students', keys));
}

const riskProfilesQuery = preparedQuery((db: Kysely<Database>, { schools, ids }: SchoolLists) =>
  db
    .selectFrom('risk_profiles')
    .selectAll()
    .where(bySchoolLists('risk_profiles', schools, ids, 'student_id')),
);

/** Risk profiles by their students' keys. */
export async function riskProfilesByStudentId(db: Kysely<Database>, students: readonly SchoolKey[]) {
  return riskProfilesQuery(db, schoolKeyLists('risk_profiles', students));
}

const assessmentResultsQuery = preparedQuery(
  (db: Kysely<Database>, { schools, ids, termCode }: SchoolLists & { termCode: string }) =>
    db
      .selectFrom('assessment_results')
      .selectAll()
      .where(bySchoolLists('assessment_results', schools, ids, 'student_id'))
      .where('term_code', '=', termCode)
      .orderBy('subject'),
);

export async function assessmentResultsOf(db: Kysely<Database>, students: readonly SchoolKey[], termCode: string) {
  return assessmentResultsQuery(db, { ...schoolKeyLists('assessment_results', students), termCode });
}

/** The term that has most recently started: "this term" for coursework. */
export async function currentTermCode(db: Kysely<Database>, today: string): Promise<string | null> {
  const term = await db
    .selectFrom('academic_terms')
    .select('code')
    .where('starts_on', '<=', today)
    .orderBy('starts_on', 'desc')
    .limit(1)
    .executeTakeFirst();
  return term?.code ?? null;
}

/** Per-student counts of rows of a student-owned table, for nested totalCount. */
export async function countByStudent(
  db: Kysely<Database>,
  table: 'attendance_records' | 'behaviour_incidents',
  students: readonly SchoolKey[],
): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom(table)
    .select(['student_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where(bySchoolKeys(table, students, 'student_id'))
    .groupBy('student_id')
    .execute();
  return new Map(rows.map((row) => [row.student_id, Number(row.count)]));
}

/** The tables whose rows a student's record lists through their own scope (Student.alerts, Student.cases). */
export type StudentRecordTable = 'alerts' | 'intervention_cases';
export type StudentRecordScope<Table extends StudentRecordTable> =
  ((eb: ExpressionBuilder<Database, Table>) => Expression<SqlBool>) | null;

/** Some students' alerts or cases through `scope`; a null scope (a reader who may see none) reads none. */
export function studentRecordsOf<Table extends StudentRecordTable>(
  db: Kysely<Database>,
  table: Table,
  students: readonly SchoolKey[],
  scope: StudentRecordScope<Table>,
) {
  return (db.selectFrom(table) as unknown as SelectQueryBuilder<Database, Table, object>)
    .where(bySchoolKeys(table, students, 'student_id'))
    .where(scope ?? NOTHING);
}

/** studentRecordsOf counted per student, for nested totalCount. */
export async function countStudentRecords<Table extends StudentRecordTable>(
  db: Kysely<Database>,
  table: Table,
  students: readonly SchoolKey[],
  scope: StudentRecordScope<Table>,
): Promise<Map<number, number>> {
  const rows = (await studentRecordsOf(db, table, students, scope)
    .select([sql<number>`${sql.ref(`${table}.student_id`)}`.as('parent'), sql<number>`count(*)`.as('count')])
    .groupBy(sql.ref(`${table}.student_id`))
    .execute()) as { parent: number; count: number | string }[];
  return new Map(rows.map((row) => [row.parent, Number(row.count)]));
}

/** Some students' rows of a history table (attendance, incidents), for their nested connections. */
export function historyOf<Table extends 'attendance_records' | 'behaviour_incidents'>(
  db: Kysely<Database>,
  table: Table,
  students: readonly SchoolKey[],
) {
  return db
    .selectFrom(table as 'attendance_records')
    .selectAll()
    .where(bySchoolKeys(table, students, 'student_id'));
}

/** A school's students by their external ids (the integrator's names for them). */
export async function studentsByExternalId(db: Kysely<Database>, schoolId: number, externalIds: readonly string[]) {
  return db
    .selectFrom('students')
    .select(['id', 'school_id', 'classroom_id', 'external_id'])
    .where('school_id', '=', schoolId)
    .where('external_id', 'in', externalIds)
    .execute();
}

/** Whether each of a school's students, by external id, is still enrolled, and since when they left. */
export async function enrolmentsByExternalId(db: Kysely<Database>, schoolId: number, externalIds: readonly string[]) {
  return db
    .selectFrom('students')
    .select(['external_id', 'is_active', 'left_on'])
    .where('school_id', '=', schoolId)
    .where('external_id', 'in', externalIds)
    .execute();
}
