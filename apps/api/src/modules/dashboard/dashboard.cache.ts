/**
 * The dashboard's figures, cached per viewer for up to DASHBOARD_CACHE_TTL_S (5 minutes by default), and never
 * stale after a change: every write that changes what dashboards count (an alert, a case, a student's records,
 * a risk profile) moves the generations of the scopes it touches on, and a cached entry is found only under the
 * generations it was computed at. A school's staff read their school's generation; district staff read the
 * district's, which every school's change also moves on. A form master's figures count only the alerts and
 * cases assigned to them and their classrooms' students: they read their own assignee generation, which a
 * change to an alert or case assigned to them (before or after) moves on, and their school's roster
 * generation, which every other kind of change in the school moves on (an import, a risk recompute). So one
 * colleague's triage does not empty the whole school's cache.
 *
 * In-process by default (an LRU of DASHBOARD_CACHE_ENTRIES); in Redis when REDIS_URL is set, so that several
 * processes and hosts share the entries and, above all, the generations.
 */
import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AuditEvent } from '../audit-log/audit.writer.ts';
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
  /** Moves these scopes' generations on (from dashboardScopesChangedBy): what they counted is forgotten. */
  invalidate(scopes: Iterable<string>): Promise<void>;
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
  'session.sign_in_throttled',
  'session.signed_out',
  'session.ended',
  // A viewer's cached figures are keyed by their role already (viewerKey).
  'user.password_changed',
  'user.role_changed',
  'case_note.restricted_read',
  'student.disclosed',
  'api_token.created',
  'api_token.revoked',
  'audit.purged',
  // A note changes no status, owner or review date of its case (addCaseNote).
  'case.note_added',
  // Records count on a dashboard only through the risk levels they lead to: their recompute is an event of its
  // own, and so is every alert it raises or resolves.
  'attendance.recorded',
  'behaviour.recorded',
  'assessments.recorded',
]);

/** The scope every cached figure depends on: a change beyond any one school, or forgetting everything. */
export const EVERY_DASHBOARD = 'all';

/** The generations an audited change moves on; none when it changes nothing a dashboard counts. */
export function dashboardScopesChangedBy(event: AuditEvent): string[] {
  if (DASHBOARD_NEUTRAL_ACTIONS.has(event.action)) return [];
  // A recompute that moved no student's level moved no figure and no one into the newly-at-risk list.
  if (event.action === 'risk.recomputed' && event.levelChanged === 0) return [];
  if (event.schoolId === null) return [EVERY_DASHBOARD];
  const school = [`school:${event.schoolId}`, 'district'];
  if ('assignees' in event) {
    // An alert or case: it counts on its school's dashboards and on its assignees' own.
    const people = new Set(event.assignees.filter((id): id is number => id !== null));
    return [...school, ...[...people].map((id) => `assignee:${id}`)];
  }
  // Anything else (students, records, risk profiles, the roster) may count on every dashboard of the school.
  return [...school, `roster:${event.schoolId}`];
}

/** The generations a viewer's figures depend on. */
function scopesOf(viewer: Viewer): string[] {
  if (viewer.schoolId === null) return ['district', EVERY_DASHBOARD];
  if (viewer.role === 'FORM_MASTER') {
    return [`assignee:${viewer.user.id}`, `roster:${viewer.schoolId}`, EVERY_DASHBOARD];
  }
  return [`school:${viewer.schoolId}`, EVERY_DASHBOARD];
}

/** Everything the figures depend on besides the data: who, in which role, over which classrooms. */
function viewerKey(viewer: Viewer): string {
  return `${viewer.user.id}:${viewer.role}:${viewer.schoolId ?? 'district'}:${viewer.classroomIds.join(',')}`;
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
    async invalidate(changed) {
      const scopes = [...new Set(changed)];
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
    async invalidate(scopes) {
      await moveOn(new Set(scopes));
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
    await cache.invalidate([EVERY_DASHBOARD]);
    if (failure) throw failure;
    return true;
  } finally {
    redis.disconnect();
  }
}
