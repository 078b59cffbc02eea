import type { Database } from '@pastoral/db';
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Viewer } from './viewer.ts';

/**
 * Sessions are their user's alone: nobody, an admin included, lists or ends another's. (An operator ends a
 * user's sessions by changing their password or role: see endSessionsOfUser.)
 */
export function ownSessions(viewer: Viewer) {
  return sessionsOfUser(viewer.user.id);
}

/** All of one user's sessions, for the rules that end them (a password or role changed, too many sessions). */
export function sessionsOfUser(userId: number) {
  return (eb: ExpressionBuilder<Database, 'sessions'>): Expression<SqlBool> => eb('sessions.user_id', '=', userId);
}
