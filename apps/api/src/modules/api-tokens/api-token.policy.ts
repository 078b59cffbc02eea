import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { EVERYTHING, NOTHING } from '../../school-scope.ts';

/** School admins manage their school's tokens; district admins all of them; nobody else any. */
export function visibleApiTokens(viewer: Viewer) {
  return (eb: ExpressionBuilder<Database, 'api_tokens'>): Expression<SqlBool> => {
    if (viewer.role === 'DISTRICT_ADMIN') return EVERYTHING;
    if (viewer.role === 'SCHOOL_ADMIN' && viewer.schoolId !== null)
      return eb('api_tokens.school_id', '=', viewer.schoolId);
    return NOTHING;
  };
}
