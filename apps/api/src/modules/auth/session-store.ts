/**
 * Where sessions live: the database by default, Redis when REDIS_URL is set (so several API processes share
 * them without a table every request reads). Both keep the same record, keyed by the SHA-256 of the session id.
 */
import { type Database, fromTimestamp, type User } from '@pastoral/db';
import type { Redis } from 'ioredis';
import type { Kysely } from 'kysely';
import {
  classroomIdsOfUsers,
  deleteSession,
  parseClassroomIds,
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
  readonly kind: 'database' | 'redis';
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
  /** Told once the transaction that ended a session has committed: copies of it anywhere are forgotten. */
  ended(idHash: string): Promise<void>;
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

const KEY_PREFIX = 'pastoral:session:';

export function redisSessionStore(redis: Redis, db: Kysely<Database>): SessionStore {
  const key = (idHash: string) => `${KEY_PREFIX}${idHash}`;
  return {
    kind: 'redis',
    async create(session) {
      const ttl = fromTimestamp(session.expiresAt).getTime() - fromTimestamp(session.now).getTime();
      await redis
        .multi()
        .hset(key(session.idHash), {
          userId: session.userId,
          createdAt: session.now,
          lastSeenAt: session.now,
          expiresAt: session.expiresAt,
          ip: session.ip ?? '',
          userAgent: session.userAgent ?? '',
        })
        .pexpire(key(session.idHash), ttl)
        .exec();
    },
    async findWithUser(idHash, idleSince, now) {
      const [userId, lastSeenAt, expiresAt] = await redis.hmget(key(idHash), 'userId', 'lastSeenAt', 'expiresAt');
      if (!userId || !lastSeenAt || !expiresAt || expiresAt <= now || lastSeenAt <= idleSince) return null;
      const row = await db
        .selectFrom('users')
        .selectAll()
        .select(classroomIdsOfUsers.as('classroom_ids'))
        .where('id', '=', Number(userId))
        .where('is_active', '=', 1)
        .executeTakeFirst();
      if (!row) return null;
      const { classroom_ids, ...user } = row;
      return {
        session: { idHash, userId: user.id, lastSeenAt, expiresAt },
        user,
        classroomIds: parseClassroomIds(classroom_ids),
      };
    },
    async touch(idHash, now, idleMs) {
      // The key lives until the idle limit from now, never past the absolute end.
      const expiresAt = await redis.hget(key(idHash), 'expiresAt');
      if (!expiresAt) return;
      const ttl = Math.min(idleMs, fromTimestamp(expiresAt).getTime() - fromTimestamp(now).getTime());
      await redis.multi().hset(key(idHash), 'lastSeenAt', now).pexpire(key(idHash), Math.max(1, ttl)).exec();
    },
    delete: async (idHash) => (await redis.del(key(idHash))) > 0,
    ended: async () => {},
  };
}
