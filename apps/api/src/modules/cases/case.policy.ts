import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { EVERYTHING, NOTHING, seesWholeSchool } from '../students/student.policy.ts';

/** A form master sees the cases of their classrooms' students and the cases assigned to them. */
export function visibleCases(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'intervention_cases'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    if (seesWholeSchool(viewer)) {
      return viewer.schoolId === null ? NOTHING : eb('intervention_cases.school_id', '=', viewer.schoolId);
    }
    const mine = eb('intervention_cases.assigned_to', '=', viewer.user.id);
    if (viewer.classroomIds.length === 0) return mine;
    return eb.or([
      mine,
      eb(
        'intervention_cases.student_id',
        'in',
        eb.selectFrom('students').select('students.id').where('students.classroom_id', 'in', viewer.classroomIds),
      ),
    ]);
  };
}
