import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { districtWide, NOTHING } from '../../school-scope.ts';

/** A form master sees their own classrooms; other school staff their school's; district admins all. */
export function visibleClassrooms(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'classrooms'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return districtWide('district-lists');
    if (viewer.schoolId === null) return NOTHING;
    const school = eb('classrooms.school_id', '=', viewer.schoolId);
    if (viewer.role === 'FORM_MASTER') {
      return viewer.classroomIds.length === 0
        ? NOTHING
        : eb.and([school, eb('classrooms.id', 'in', viewer.classroomIds)]);
    }
    return school;
  };
}
