/**
 * Who may see which students, as a where-clause every student query applies: lists, counts, lookups by id and
 * nested fields all agree, and a student you may not see does not exist for you.
 */
import type { Database } from '@pastoral/db';
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';

export const NOTHING = sql<SqlBool>`1 = 0`;
export const EVERYTHING = sql<SqlBool>`1 = 1`;

/** Staff who see a whole school: its pastoral leads and admins. */
export function seesWholeSchool(viewer: Viewer): boolean {
  return viewer.role === 'PASTORAL_LEAD' || viewer.role === 'SCHOOL_ADMIN';
}

/**
 * A form master sees their classrooms' students, and any student whose case or alert is assigned to them;
 * school staff see their school; district admins see everyone.
 */
export function visibleStudents(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'students'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    if (seesWholeSchool(viewer)) {
      return viewer.schoolId === null ? NOTHING : eb('students.school_id', '=', viewer.schoolId);
    }
    const assigned = [
      eb(
        'students.id',
        'in',
        eb.selectFrom('intervention_cases').select('student_id').where('assigned_to', '=', viewer.user.id),
      ),
      eb('students.id', 'in', eb.selectFrom('alerts').select('student_id').where('assigned_to', '=', viewer.user.id)),
    ];
    return eb.or(
      viewer.classroomIds.length > 0 ? [eb('students.classroom_id', 'in', viewer.classroomIds), ...assigned] : assigned,
    );
  };
}

/**
 * Records about a student that are assigned to a member of staff (alerts, cases): a form master sees those of
 * their classrooms' students and those assigned to them; school staff their school's; district admins all.
 */
export function visibleStudentRecords<Table extends 'alerts' | 'intervention_cases'>(table: Table, viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, Table>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    if (seesWholeSchool(viewer)) {
      return viewer.schoolId === null ? NOTHING : eb(sql.ref(`${table}.school_id`), '=', viewer.schoolId);
    }
    const mine = eb(sql.ref(`${table}.assigned_to`), '=', viewer.user.id);
    if (viewer.classroomIds.length === 0) return mine;
    return eb.or([mine, eb(sql.ref(`${table}.student_id`), 'in', studentsOfClassrooms(viewer.classroomIds))]);
  };
}

/** The ids of the students of some classrooms, as a subquery. */
function studentsOfClassrooms(classroomIds: number[]) {
  return sql`(select students.id from students where students.classroom_id in (${sql.join(classroomIds)}))`;
}
