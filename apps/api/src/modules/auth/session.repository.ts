import type { Database } from '@pastoral/db';
import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';

/**
 * A user's classrooms as one column of the user's own row ("3,7"), so that reading who is signed in stays one
 * statement: as a second statement it was a round trip on every request of every form master. The classrooms
 * are those of the user's own school, which names the shard they live on.
 */
export const classroomIdsOfUsers = sql<
  string | null
>`(select group_concat(classroom_assignments.classroom_id) from classroom_assignments where classroom_assignments.school_id = users.school_id and classroom_assignments.user_id = users.id)`;

/** The classroom ids of `classroomIdsOfUsers`, in ascending order. */
export function parseClassroomIds(column: unknown): number[] {
  if (column === null || column === undefined) return [];
  return String(column)
    .split(',')
    .map(Number)
    .sort((a, b) => a - b);
}

export interface NewSession {
  idHash: string;
  userId: number;
  now: string;
  expiresAt: string;
  ip: string | null;
  userAgent: string | null;
}

export async function insertSession(db: Kysely<Database>, session: NewSession): Promise<void> {
  await db
    .insertInto('sessions')
    .values({
      id_hash: session.idHash,
      user_id: session.userId,
      created_at: session.now,
      last_seen_at: session.now,
      expires_at: session.expiresAt,
      ip: session.ip,
      user_agent: session.userAgent,
    })
    .execute();
}

/**
 * A live session, its active user and their classrooms, in one statement: the first thing every signed-in
 * request needs.
 */
export async function findSessionWithUser(db: Kysely<Database>, idHash: string, idleSince: string, now: string) {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id_hash as session_id_hash',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
      classroomIdsOfUsers.as('classroom_ids'),
    ])
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .where('sessions.last_seen_at', '>', idleSince)
    .where('users.is_active', '=', 1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { session_id_hash, session_last_seen_at, session_expires_at, classroom_ids, ...user } = row;
  return {
    user,
    classroomIds: parseClassroomIds(classroom_ids),
    session: {
      idHash: session_id_hash,
      userId: user.id,
      lastSeenAt: session_last_seen_at,
      expiresAt: session_expires_at,
    },
  };
}

export async function touchSession(db: Kysely<Database>, idHash: string, now: string): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Kysely<Database>, idHash: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('id_hash', '=', idHash).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** A user's sessions still usable at `now` (not past their end, used since `idleSince`), most recently used first. */
export function liveSessions(
  db: Kysely<Database>,
  scope: (eb: ExpressionBuilder<Database, 'sessions'>) => Expression<SqlBool>,
  { now, idleSince }: { now: string; idleSince: string },
) {
  return db
    .selectFrom('sessions')
    .selectAll()
    .where(scope)
    .where('expires_at', '>', now)
    .where('last_seen_at', '>', idleSince)
    .orderBy('last_seen_at', 'desc')
    .orderBy('id', 'desc');
}

/** Deletes sessions of one user by id; returns how many went. */
export async function deleteSessionsOfUser(db: Kysely<Database>, userId: number, ids: number[]): Promise<number> {
  if (ids.length === 0) return 0;
  const result = await db
    .deleteFrom('sessions')
    .where('user_id', '=', userId)
    .where('id', 'in', ids)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** liveSessions among some ids: the sessions `node` may find. */
export async function liveSessionsById(
  db: Kysely<Database>,
  scope: (eb: ExpressionBuilder<Database, 'sessions'>) => Expression<SqlBool>,
  live: { now: string; idleSince: string },
  ids: readonly number[],
) {
  return liveSessions(db, scope, live).where('id', 'in', ids).execute();
}

/** Deletes the sessions that ended by `now`: the sweep's. */
export async function deleteExpiredSessions(db: Kysely<Database>, now: string): Promise<number> {
  const result = await db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
