/**
 * Who may see and manage API tokens: the read scope, and the action rules the token mutations call and
 * `ApiToken.viewerCan` / `Viewer.viewerCan` give the client, so that they cannot disagree.
 */
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

/** Whether the viewer manages any tokens at all: creates them, lists them, revokes them. */
export function managesApiTokens(viewer: Viewer): boolean {
  return viewer.role === 'SCHOOL_ADMIN' || viewer.role === 'DISTRICT_ADMIN';
}

/**
 * The school a new token of the viewer's is for, or null when the viewer may not create one for `requested`: a
 * school admin creates tokens for their own school only (theirs when none is named); a district admin for any
 * school, or district-wide (null).
 */
export function schoolOfNewToken(
  viewer: Viewer,
  requested: number | null,
): { allowed: true; schoolId: number | null } | { allowed: false } {
  if (viewer.role === 'DISTRICT_ADMIN') return { allowed: true, schoolId: requested };
  const schoolId = requested ?? viewer.schoolId;
  if (viewer.role === 'SCHOOL_ADMIN' && schoolId === viewer.schoolId) return { allowed: true, schoolId };
  return { allowed: false };
}

/** Whether the viewer may revoke the token (revoking a revoked token changes nothing, and is allowed). */
export function mayRevokeApiToken(viewer: Viewer, token: { school_id: number | null }): boolean {
  return viewer.role === 'DISTRICT_ADMIN' || (viewer.role === 'SCHOOL_ADMIN' && token.school_id === viewer.schoolId);
}
