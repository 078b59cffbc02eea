import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { EVERYTHING } from '../../school-scope.ts';

/**
 * Staff see their school's staff (to know who owns a case), the district's staff (who work on every school's
 * records: a concern a district admin raised names them), and themselves; district admins see everyone.
 */
export function visibleUsers(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    const self = eb('users.id', '=', viewer.user.id);
    const district = eb('users.school_id', 'is', null);
    return viewer.schoolId === null
      ? eb.or([self, district])
      : eb.or([self, district, eb('users.school_id', '=', viewer.schoolId)]);
  };
}
