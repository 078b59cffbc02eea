import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { EVERYTHING } from '../../school-scope.ts';

/** Staff see their school's staff (to know who owns a case) and themselves; district admins see everyone. */
export function visibleUsers(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'users'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    const self = eb('users.id', '=', viewer.user.id);
    return viewer.schoolId === null ? self : eb.or([self, eb('users.school_id', '=', viewer.schoolId)]);
  };
}
