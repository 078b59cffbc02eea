/**
 * Sessions and their users, kept in-process for up to SESSION_CACHE_TTL_S (30 s): most requests then learn
 * who is asking without a database statement, which on the load test's mix was one statement in five.
 *
 * - A session that ends through the API (sign-out, signing out another session or everywhere, the limit of
 *   sessions per user) is forgotten, once its end has committed, by every worker of the host before the response
 *   leaves; with REDIS_URL, by every process of every host within milliseconds (Redis pub/sub), or within the
 *   TTL while Redis is down.
 * - A cached session is still checked against its idle and absolute ends at every use.
 * - The command line changes passwords and roles, which end the user's sessions: with REDIS_URL it tells every
 *   process at once (forgetEndedSessions); without, each process's copy lasts out its TTL.
 */
import { Redis } from 'ioredis';
import { redisCachePeers } from '../../redis-peers.ts';
import type { CachePeers } from '../dashboard/dashboard.cache.ts';
import type { SessionStore } from './session-store.ts';

type Found = NonNullable<Awaited<ReturnType<SessionStore['findWithUser']>>>;

export interface SessionCacheSettings {
  /** How long a session read from the store is used before it is read again; 0: not cached. */
  ttlSeconds: number;
  maxEntries: number;
}

export interface SessionCacheStats {
  hits: number;
  misses: number;
}

export interface CachedSessionStore extends SessionStore {
  stats(): SessionCacheStats;
}

export function cachedSessionStore(
  store: SessionStore,
  { ttlSeconds, maxEntries }: SessionCacheSettings,
  peers?: CachePeers,
): CachedSessionStore {
  // In least-recently-used order: a hit moves its entry to the end, a full cache drops the first.
  const entries = new Map<string, { found: Found; until: number }>();
  const stats = { hits: 0, misses: 0 };
  const forget = (idHashes: Iterable<string>) => {
    for (const idHash of idHashes) entries.delete(idHash);
  };
  peers?.subscribe(forget);
  return {
    kind: store.kind,
    create: (session, db) => store.create(session, db),
    async findWithUser(idHash, idleSince, now) {
      const entry = entries.get(idHash);
      if (entry) {
        entries.delete(idHash);
        const { session } = entry.found;
        if (entry.until > Date.now() && session.expiresAt > now && session.lastSeenAt > idleSince) {
          stats.hits += 1;
          entries.set(idHash, entry);
          return entry.found;
        }
      }
      stats.misses += 1;
      const found = await store.findWithUser(idHash, idleSince, now);
      if (found) {
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
        entries.set(idHash, { found, until: Date.now() + ttlSeconds * 1000 });
      }
      return found;
    },
    async touch(idHash, now, idleMs) {
      await store.touch(idHash, now, idleMs);
      // The copy moves on with the store, or every request after the touch interval would touch again.
      const entry = entries.get(idHash);
      if (entry) entry.found = { ...entry.found, session: { ...entry.found.session, lastSeenAt: now } };
    },
    async delete(idHash, db) {
      entries.delete(idHash);
      return store.delete(idHash, db);
    },
    async ended(idHashes) {
      if (idHashes.length === 0) return;
      // After the commit: a worker that read the session again before it would otherwise keep it for the TTL.
      forget(idHashes);
      await Promise.all([store.ended(idHashes), peers?.publish([...idHashes])]);
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * For the command line: sessions a password or role change ended are forgotten by every API process at once,
 * through Redis, as a sign-out's are. Without Redis there is no channel to the API's in-process caches: false is
 * returned, and each process refuses the sessions once its copy is older than SESSION_CACHE_TTL_S.
 */
export async function forgetEndedSessions(redisUrl: string | undefined, idHashes: readonly string[]): Promise<boolean> {
  if (!redisUrl) return false;
  if (idHashes.length === 0) return true;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    let failure: unknown = null;
    await redisCachePeers(redis, 'sessions', (error) => (failure = error)).publish([...idHashes]);
    if (failure) throw failure;
    return true;
  } finally {
    redis.disconnect();
  }
}
