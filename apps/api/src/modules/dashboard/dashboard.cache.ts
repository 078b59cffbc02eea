/**
 * The dashboard's figures, cached per viewer for up to DASHBOARD_CACHE_TTL_S (5 minutes by default), and never
 * stale after a change: every write that changes what dashboards count (an alert, a case, a student's records,
 * a risk profile) moves its school's generation on, and a cached entry is found only under the generations it
 * was computed at. A school's staff read their school's generation; district staff read the district's, which
 * every school's change also moves on.
 *
 * In-process by default (an LRU of DASHBOARD_CACHE_ENTRIES); in Redis when REDIS_URL is set, so that several
 * processes and hosts share the entries and, above all, the generations.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Viewer } from '../auth/viewer.ts';

export interface DashboardCacheStats {
  hits: number;
  misses: number;
  /** Schools whose generation moved on. */
  invalidations: number;
}

/** What a request holds: the generations it read, so that all its parts agree and are read once. */
export interface DashboardCacheView {
  /** The value cached for this viewer under `part`, or `compute()` stored there and returned. */
  read<T>(part: string, compute: () => Promise<T>): Promise<T>;
}

export interface DashboardCache {
  /** The viewer's view of the cache, at the generations of their scope as they are now. */
  forViewer(viewer: Viewer): Promise<DashboardCacheView>;
  /** Every cached figure counting something of these schools is forgotten; null means every school. */
  invalidate(schoolIds: Iterable<number | null>): Promise<void>;
  stats(): DashboardCacheStats;
}

/**
 * Other processes holding their own in-process caches (the other workers of a cluster): a change here must
 * reach them before the response that made it leaves.
 */
export interface CachePeers {
  /** Tells every peer that these scopes moved on; resolves once they have applied it. */
  publish(scopes: string[]): Promise<void>;
  /** Applies what a peer published. */
  subscribe(apply: (scopes: string[]) => void): void;
}

export interface DashboardCacheSettings {
  ttlSeconds: number;
  maxEntries: number;
}

/**
 * Audit actions that change nothing a dashboard counts. Every other action does, so a new kind of write
 * invalidates until someone decides it need not.
 */
const DASHBOARD_NEUTRAL_ACTIONS = new Set([
  'session.signed_in',
  'session.sign_in_failed',
  'session.signed_out',
  'case_note.restricted_read',
  'student.disclosed',
  'api_token.created',
  'api_token.revoked',
  'audit.purged',
]);

export function changesDashboards(action: string): boolean {
  return !DASHBOARD_NEUTRAL_ACTIONS.has(action);
}

/** The generations a viewer's figures depend on: their school's (or the district's), and everything's. */
function scopesOf(viewer: Viewer): [string, string] {
  return [viewer.schoolId === null ? 'district' : `school:${viewer.schoolId}`, 'all'];
}

/** Everything the figures depend on besides the data: who, in which role, over which classrooms. */
function viewerKey(viewer: Viewer): string {
  return `${viewer.user.id}:${viewer.role}:${viewer.schoolId ?? 'district'}:${viewer.classroomIds.join(',')}`;
}

/** The scopes a change to these schools moves on. */
function scopesChangedBy(schoolIds: Iterable<number | null>): Set<string> {
  const scopes = new Set<string>();
  for (const schoolId of schoolIds) {
    if (schoolId === null) scopes.add('all');
    else scopes.add(`school:${schoolId}`).add('district');
  }
  return scopes;
}

/** No cache: every read computes. DASHBOARD_CACHE_TTL_S=0. */
export function noDashboardCache(): DashboardCache {
  let misses = 0;
  return {
    forViewer: async () => ({
      read: (_part, compute) => {
        misses += 1;
        return compute();
      },
    }),
    invalidate: async () => {},
    stats: () => ({ hits: 0, misses, invalidations: 0 }),
  };
}

/**
 * One process's cache: a Map in least-recently-used order, with generations kept beside it. With `peers`
 * (the other workers), a change moves their generations on too.
 */
export function memoryDashboardCache(
  { ttlSeconds, maxEntries }: DashboardCacheSettings,
  peers?: CachePeers,
): DashboardCache {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  const generations = new Map<string, number>();
  const stats = { hits: 0, misses: 0, invalidations: 0 };
  const moveOn = (scopes: Iterable<string>) => {
    for (const scope of scopes) {
      generations.set(scope, (generations.get(scope) ?? 0) + 1);
      stats.invalidations += 1;
    }
  };
  peers?.subscribe(moveOn);
  return {
    async forViewer(viewer) {
      const prefix = `${viewerKey(viewer)}@${scopesOf(viewer)
        .map((scope) => generations.get(scope) ?? 0)
        .join('.')}`;
      return {
        async read<T>(part: string, compute: () => Promise<T>): Promise<T> {
          const key = `${prefix}/${part}`;
          const entry = entries.get(key);
          if (entry && entry.expiresAt > Date.now()) {
            stats.hits += 1;
            entries.delete(key);
            entries.set(key, entry);
            return entry.value as T;
          }
          stats.misses += 1;
          const value = await compute();
          entries.delete(key);
          if (entries.size >= maxEntries) entries.delete(entries.keys().next().value as string);
          entries.set(key, { value, expiresAt: Date.now() + ttlSeconds * 1000 });
          return value;
        },
      };
    },
    async invalidate(schoolIds) {
      const scopes = [...scopesChangedBy(schoolIds)];
      moveOn(scopes);
      if (scopes.length > 0) await peers?.publish(scopes);
    },
    stats: () => ({ ...stats }),
  };
}

/**
 * The cache in Redis: entries expire by Redis's own TTL, generations are counters every process increments.
 * Values are JSON, so they must be plain data. When Redis does not answer, the figures are computed as if
 * nothing were cached: the dashboard is slower, never wrong and never down.
 */
export function redisDashboardCache(
  redis: Redis,
  {
    ttlSeconds,
    namespace,
  }: DashboardCacheSettings & {
    /** Which database the figures are of: deployments (and tests) sharing one Redis never see each other's. */
    namespace: string;
  },
  onError: (error: unknown) => void,
): DashboardCache {
  const KEY_PREFIX = `pastoral:dashboard:${namespace}:`;
  const stats = { hits: 0, misses: 0, invalidations: 0 };
  const generationKey = (scope: string) => `${KEY_PREFIX}generation:${scope}`;
  // Generations this process could not move on while Redis was away. Until they are moved on, this process
  // reads nothing from the cache: an entry from before the change would be stale.
  const pending = new Set<string>();

  async function moveOn(scopes: Iterable<string>): Promise<boolean> {
    for (const scope of scopes) pending.add(scope);
    if (pending.size === 0) return true;
    const pipeline = redis.multi();
    const moving = [...pending];
    for (const scope of moving) pipeline.incr(generationKey(scope));
    try {
      await pipeline.exec();
    } catch (error) {
      onError(error);
      return false;
    }
    for (const scope of moving) pending.delete(scope);
    stats.invalidations += moving.length;
    return true;
  }

  // While Redis cannot be trusted, every read counts afresh.
  const uncached: DashboardCacheView = {
    read: (_part, compute) => {
      stats.misses += 1;
      return compute();
    },
  };
  return {
    async forViewer(viewer) {
      if (pending.size > 0 && !(await moveOn([]))) return uncached;
      const generations = await redis.mget(scopesOf(viewer).map(generationKey)).catch((error: unknown) => {
        onError(error);
        return null;
      });
      if (!generations) return uncached;
      const prefix = `${KEY_PREFIX}${viewerKey(viewer)}@${generations.map((value) => value ?? '0').join('.')}`;
      return {
        async read<T>(part: string, compute: () => Promise<T>): Promise<T> {
          const key = `${prefix}/${part}`;
          const cached = await redis.get(key).catch((error: unknown) => {
            onError(error);
            return null;
          });
          if (cached !== null) {
            stats.hits += 1;
            return JSON.parse(cached) as T;
          }
          stats.misses += 1;
          const value = await compute();
          await redis.set(key, JSON.stringify(value), 'EX', ttlSeconds).catch(onError);
          return value;
        },
      };
    },
    async invalidate(schoolIds) {
      await moveOn(scopesChangedBy(schoolIds));
    },
    stats: () => ({ ...stats }),
  };
}

/** The Redis namespace of one database's figures (its password-free description, hashed). */
export function dashboardCacheNamespace(databaseDescription: string): string {
  return createHash('sha256').update(databaseDescription).digest('hex').slice(0, 12);
}

/**
 * For the command line: a job that changed data outside any request (a risk recompute, a CSV import) makes
 * every API process forget every dashboard, through Redis. Without Redis there is no channel to the API's
 * in-process caches, and the figures catch up within DASHBOARD_CACHE_TTL_S: false is returned so it can be said.
 */
export async function forgetEveryDashboard(
  redisUrl: string | undefined,
  databaseDescription: string,
): Promise<boolean> {
  if (!redisUrl) return false;
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 2 });
  try {
    let failure: unknown = null;
    const cache = redisDashboardCache(
      redis,
      { ttlSeconds: 1, maxEntries: 1, namespace: dashboardCacheNamespace(databaseDescription) },
      (error) => (failure = error),
    );
    await cache.invalidate([null]);
    if (failure) throw failure;
    return true;
  } finally {
    redis.disconnect();
  }
}
