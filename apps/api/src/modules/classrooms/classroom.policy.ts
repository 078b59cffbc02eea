import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { districtWide, NOTHING } from '../../school-scope.ts';

/**
 * Staff see their school's classrooms, district admins all of them. A form group's name is no one's personal
 * data, and a form master must be able to name the classroom of a student whose case is assigned to them; who is
 * in a classroom stays behind the students' own scope (Classroom.students).
 */
export function visibleClassrooms(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'classrooms'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return districtWide('district-lists');
    if (viewer.schoolId === null) return NOTHING;
    return eb('classrooms.school_id', '=', viewer.schoolId);
  };
}
