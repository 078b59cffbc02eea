/**
 * What requests share, within a process and across processes and hosts: the Redis connection, the session
 * store and its cache, the dashboards' cache.
 */
import type { DatabaseHandle } from '@pastoral/db';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { workerCachePeers } from '../cluster.ts';
import type { Config } from '../config.ts';
import { cachedSessionStore } from '../modules/auth/session-cache.ts';
import { databaseSessionStore, type SessionStore } from '../modules/auth/session-store.ts';
import {
  type DashboardCache,
  dashboardCacheNamespace,
  memoryDashboardCache,
  noDashboardCache,
  redisDashboardCache,
} from '../modules/dashboard/dashboard.cache.ts';
import { redisCachePeers } from '../redis-peers.ts';

/**
 * Redis answers in well under a millisecond; a command unanswered after this is taken as Redis being away, and
 * what asked for it goes on without it (the dashboard computes, persisted queries ask for the text).
 */
const REDIS_COMMAND_TIMEOUT_MS = 300;

export function connectRedis(url: string, logger: Logger): Redis {
  // Commands wait for a reconnect only twice before failing, so that an outage costs each request little.
  const redis = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 2,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
  });
  // ioredis reconnects by itself; an outage is logged once, not at every attempt, and its end once.
  let down = false;
  redis.on('error', (error: unknown) => {
    if (down) return;
    down = true;
    logger.warn({ err: error }, 'Redis is unreachable; going on without it and reconnecting');
  });
  redis.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info('Redis is reachable again');
  });
  return redis;
}

/**
 * Sessions live in the database, with or without Redis, so that a Redis outage ends nobody's session; they are
 * cached in-process (SESSION_CACHE_TTL_S), and a session that ends is forgotten by every process of every host
 * through Redis when there is one, by the cluster's workers otherwise.
 */
export function sessionStore(
  config: Config,
  redis: Redis | null,
  database: DatabaseHandle,
  logger: Logger,
): { store: SessionStore; close(): Promise<void> } {
  const store = databaseSessionStore(database.db);
  if (config.sessionCache.ttlSeconds === 0) return { store, close: async () => {} };
  const peers = redis
    ? redisCachePeers(redis, 'sessions', (error) =>
        logger.warn({ err: error }, 'sessions: Redis did not answer; other processes forget ended sessions by TTL'),
      )
    : undefined;
  return {
    store: cachedSessionStore(store, config.sessionCache, peers ?? workerCachePeers('sessions')),
    close: async () => peers?.close(),
  };
}

export function createDashboardCache(
  config: Config,
  redis: Redis | null,
  database: DatabaseHandle,
  logger: Logger,
): DashboardCache {
  if (config.dashboardCache.ttlSeconds === 0) return noDashboardCache();
  if (!redis) return memoryDashboardCache(config.dashboardCache, workerCachePeers('dashboard'));
  const namespace = dashboardCacheNamespace(database.description);
  return redisDashboardCache(redis, { ...config.dashboardCache, namespace }, (error) =>
    logger.warn({ err: error }, 'dashboard cache: Redis did not answer; computing the figures instead'),
  );
}
