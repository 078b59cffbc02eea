import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { EVERYTHING, NOTHING, seesWholeSchool } from '../students/student.policy.ts';

/** A form master sees the alerts of their classrooms' students and the alerts assigned to them. */
export function visibleAlerts(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'alerts'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    if (seesWholeSchool(viewer)) {
      return viewer.schoolId === null ? NOTHING : eb('alerts.school_id', '=', viewer.schoolId);
    }
    const mine = eb('alerts.assigned_to', '=', viewer.user.id);
    if (viewer.classroomIds.length === 0) return mine;
    return eb.or([
      mine,
      eb(
        'alerts.student_id',
        'in',
        eb.selectFrom('students').select('students.id').where('students.classroom_id', 'in', viewer.classroomIds),
      ),
    ]);
  };
}
