/**
 * Who may see which students, as a where-clause every student query applies: lists, counts, lookups by id and
 * nested fields all agree, and a student you may not see does not exist for you.
 */
import type { Database } from '@pastoral/db';
import { type Expression, type ExpressionBuilder, type JoinBuilder, type SqlBool, sql } from 'kysely';
import { districtWide, NOTHING } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';

/** Staff who see a whole school: its pastoral leads and admins. */
export function seesWholeSchool(viewer: Viewer): boolean {
  return viewer.role === 'PASTORAL_LEAD' || viewer.role === 'SCHOOL_ADMIN';
}

/**
 * A form master sees their classrooms' students, and any student whose case or alert is assigned to them;
 * school staff see their school; district admins see everyone.
 *
 * Everyone but a district admin sees one school, and every scope names it: a form master's classrooms, cases and
 * alerts are all of their own school (a case's owner belongs to its student's school), so a deployment sharded
 * by school answers from that school's shard.
 */
export function visibleStudents(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'students'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return districtWide('district-lists');
    if (viewer.schoolId === null) return NOTHING;
    if (seesWholeSchool(viewer)) return eb('students.school_id', '=', viewer.schoolId);
    // One set of ids, read once and then each student looked up by key. As an OR of the three conditions,
    // MariaDB read every student of the district (50,000 rows, 16 ms) to test each; the derived table inside
    // IN is what makes it materialise the set rather than run a subquery per student.
    const ids = studentsAssignedTo(viewer, viewer.schoolId);
    if (viewer.classroomIds.length > 0) ids.unshift(studentsOfClassrooms(viewer.classroomIds, viewer.schoolId));
    return sql<SqlBool>`(${sql.ref('students.school_id')} = ${viewer.schoolId} and ${sql.ref('students.id')} in (select visible.id from (${sql.join(ids, sql` union `)}) as visible))`;
  };
}

/** The ids of the students a case or alert of the viewer's is about, as two selects. */
function studentsAssignedTo(viewer: Viewer, schoolId: number) {
  return [
    sql`select intervention_cases.student_id as id from intervention_cases where intervention_cases.school_id = ${schoolId} and intervention_cases.assigned_to = ${viewer.user.id}`,
    sql`select alerts.student_id from alerts where alerts.school_id = ${schoolId} and alerts.assigned_to = ${viewer.user.id}`,
  ];
}

/** The ids of the students of some classrooms of a school, as a select. */
function studentsOfClassrooms(classroomIds: number[], schoolId: number) {
  return sql`select own.id from students as own where own.school_id = ${schoolId} and own.classroom_id in (${sql.join(classroomIds)})`;
}

/** A student's risk profile, joined by school and id as every join of a school's tables. */
export function profileOfStudent(join: JoinBuilder<Database, 'students' | 'risk_profiles'>) {
  return join
    .onRef('risk_profiles.school_id', '=', 'students.school_id')
    .onRef('risk_profiles.student_id', '=', 'students.id');
}

/** A form master, or anyone else whose scope is their classrooms and assignments rather than a school. */
function seesOwnClassrooms(viewer: Viewer): boolean {
  return viewer.role !== 'DISTRICT_ADMIN' && !seesWholeSchool(viewer);
}

/**
 * Whether the viewer's lists of cases and alerts start from their own (`Viewer.defaultsToOwnWork`): those whose
 * view is their classrooms and assignments work their own caseload first; the rest run the school's.
 */
export function startsFromOwnWork(viewer: Viewer): boolean {
  return seesOwnClassrooms(viewer);
}

/**
 * Records about a student that are assigned to a member of staff (alerts, cases): a form master sees those of
 * their classrooms' students and those assigned to them; school staff their school's; district admins all.
 *
 * `narrowedTo` repeats the list's own status filter inside a form master's set, so that the set is read from
 * `(…, status, …)` indexes instead of whole (an inbox of 14 new alerts read 200 and more to keep them). It only
 * ever drops rows the list's filter drops too: the scope is the same with it or without it.
 */
export function visibleStudentRecords<Table extends 'alerts' | 'intervention_cases'>(
  table: Table,
  viewer: Viewer,
  narrowedTo: { status?: readonly string[] } = {},
) {
  return (eb: ExpressionBuilder<Database, Table>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return districtWide('district-lists');
    if (viewer.schoolId === null) return NOTHING;
    const school = eb(sql.ref(`${table}.school_id`), '=', viewer.schoolId);
    if (seesWholeSchool(viewer)) return school;
    const mine = eb.and([school, eb(sql.ref(`${table}.assigned_to`), '=', viewer.user.id)]);
    if (viewer.classroomIds.length === 0) return mine;
    // As with visibleStudents: one materialised set of ids, each record then read by key. The OR of "mine" and
    // "my classes' students'" read a form master's whole school of alerts to test each (39 ms, and 600 ms
    // and more under load, on the district seed); the union reads two indexes (1.3 ms).
    const records = sql.table(table);
    const status =
      narrowedTo.status && narrowedTo.status.length > 0
        ? sql` and own.status in (${sql.join(narrowedTo.status)})`
        : sql``;
    return sql<SqlBool>`(${sql.ref(`${table}.school_id`)} = ${viewer.schoolId} and ${sql.ref(`${table}.id`)} in (select visible.id from (
      select own.id from ${records} as own where own.school_id = ${viewer.schoolId} and own.assigned_to = ${viewer.user.id}${status}
      union
      select own.id from ${records} as own inner join students as pupil on pupil.school_id = own.school_id and pupil.id = own.student_id
      where own.school_id = ${viewer.schoolId} and pupil.classroom_id in (${sql.join(viewer.classroomIds)})${status}
    ) as visible))`;
  };
}

/**
 * visibleStudentRecords for a query already narrowed by key (records by id, or the alerts and cases of a few
 * students): the same rows, each tested on its own. With a key index driving, the OR costs a probe per row,
 * where the materialised set reads every record of the viewer's classrooms first (a student's alerts on the
 * district seed: 0.31 ms against 0.81 ms).
 */
export function visibleStudentRecordsPerRow<Table extends 'alerts' | 'intervention_cases'>(
  table: Table,
  viewer: Viewer,
) {
  return (eb: ExpressionBuilder<Database, Table>): Expression<SqlBool> => {
    if (!seesOwnClassrooms(viewer) || viewer.classroomIds.length === 0 || viewer.schoolId === null) {
      return visibleStudentRecords(table, viewer)(eb);
    }
    return sql<SqlBool>`(${sql.ref(`${table}.school_id`)} = ${viewer.schoolId} and (${sql.ref(`${table}.assigned_to`)} = ${viewer.user.id} or ${sql.ref(`${table}.student_id`)} in (
      ${studentsOfClassrooms(viewer.classroomIds, viewer.schoolId)})))`;
  };
}

/** visibleStudents for a query already narrowed by key (students by id): each student tested on its own. */
export function visibleStudentsPerRow(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'students'>): Expression<SqlBool> => {
    if (!seesOwnClassrooms(viewer) || viewer.schoolId === null) return visibleStudents(viewer)(eb);
    const school = sql<SqlBool>`${sql.ref('students.school_id')} = ${viewer.schoolId}`;
    const assigned = sql<SqlBool>`${sql.ref('students.id')} in (${sql.join(studentsAssignedTo(viewer, viewer.schoolId), sql` union `)})`;
    if (viewer.classroomIds.length === 0) return sql<SqlBool>`(${school} and ${assigned})`;
    return sql<SqlBool>`(${school} and (${sql.ref('students.classroom_id')} in (${sql.join(viewer.classroomIds)}) or ${assigned}))`;
  };
}

/**
 * Whether the viewer's lists are counted in their first page's statement: a form master's scope (a few
 * classrooms and their assignments, a few hundred rows) is read whole to be sorted anyway, so the count costs
 * nothing more there and a statement less. A school's or the district's lists stop at their LIMIT instead.
 */
export function countsWithFirstPage(viewer: Viewer): boolean {
  return seesOwnClassrooms(viewer);
}
