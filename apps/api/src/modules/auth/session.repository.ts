import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';

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

/** A live session and its active user, in one statement: the first thing every signed-in request needs. */
export async function findSessionWithUser(db: Kysely<Database>, idHash: string, idleSince: string, now: string) {
  const row = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .selectAll('users')
    .select([
      'sessions.id_hash as session_id_hash',
      'sessions.last_seen_at as session_last_seen_at',
      'sessions.expires_at as session_expires_at',
    ])
    .where('sessions.id_hash', '=', idHash)
    .where('sessions.expires_at', '>', now)
    .where('sessions.last_seen_at', '>', idleSince)
    .where('users.is_active', '=', 1)
    .executeTakeFirst();
  if (!row) return undefined;
  const { session_id_hash, session_last_seen_at, session_expires_at, ...user } = row;
  return {
    user,
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

export async function classroomIdsOfUser(db: Kysely<Database>, userId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('classroom_assignments')
    .select('classroom_id')
    .where('user_id', '=', userId)
    .orderBy('classroom_id')
    .execute();
  return rows.map((row) => row.classroom_id);
}
