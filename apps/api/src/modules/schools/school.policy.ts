import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { EVERYTHING, NOTHING } from '../../school-scope.ts';

/** District admins see every school; everyone else their own. */
export function visibleSchools(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'schools'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    return viewer.schoolId === null ? NOTHING : eb('schools.id', '=', viewer.schoolId);
  };
}
