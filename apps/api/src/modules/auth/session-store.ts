/**
 * Where sessions live: the database, keyed by the SHA-256 of the session id, shared by every API process. (With
 * REDIS_URL, Redis only carries the news of ended sessions between processes' caches: see server.ts.)
 */
import type { Database, User } from '@pastoral/db';
import type { Kysely } from 'kysely';
import {
  deleteSession,
  findSessionWithUser,
  insertSession,
  type NewSession,
  touchSession,
} from './session.repository.ts';

export interface StoredSession {
  idHash: string;
  userId: number;
  lastSeenAt: string;
  expiresAt: string;
}

export interface SessionStore {
  readonly kind: 'database';
  /** Stores a new session; `db` is the sign-in's transaction, for a store that lives in the database. */
  create(session: NewSession, db: Kysely<Database>): Promise<void>;
  /** A live session (not past its absolute end, active since `idleSince`) and its active user. */
  findWithUser(
    idHash: string,
    idleSince: string,
    now: string,
  ): Promise<{ session: StoredSession; user: User; classroomIds: number[] } | null>;
  touch(idHash: string, now: string, idleMs: number): Promise<void>;
  /** Ends a session; `db` is the sign-out's transaction. Returns whether there was one. */
  delete(idHash: string, db: Kysely<Database>): Promise<boolean>;
  /** Told once the transaction that ended sessions has committed: copies of them anywhere are forgotten. */
  ended(idHashes: readonly string[]): Promise<void>;
}

export function databaseSessionStore(db: Kysely<Database>): SessionStore {
  return {
    kind: 'database',
    create: (session, trx) => insertSession(trx, session),
    // One statement: the session joined with its user.
    findWithUser: async (idHash, idleSince, now) => (await findSessionWithUser(db, idHash, idleSince, now)) ?? null,
    touch: (idHash, now) => touchSession(db, idHash, now),
    delete: async (idHash, trx) => (await deleteSession(trx, idHash)) > 0,
    ended: async () => {},
  };
}
