/** What the server tells Prometheus: the /metrics route, and the figures it reads at each scrape. */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { DatabaseHandle } from '@pastoral/db';
import type { Config } from '../config.ts';
import type { CompiledExecutor } from '../graphql/compiled-executor.ts';
import { bearerChallenge } from '../graphql/errors.ts';
import { bearerToken } from './http-conventions.ts';
import { type Metrics, metricsListener } from './metrics.ts';
import type { DashboardCache } from '../modules/dashboard/dashboard.cache.ts';
import type { CachedSessionStore } from '../modules/auth/session-cache.ts';
import type { SessionStore } from '../modules/auth/session-store.ts';
import type { ReferenceCache } from '../reference-cache.ts';
import type { ServerApp } from './fastify-app.ts';

/** Pool, cache and executor figures, read at each scrape. */
export function registerServerMetrics(
  metrics: Metrics,
  database: DatabaseHandle,
  dashboardCache: DashboardCache,
  sessions: SessionStore,
  compiled: CompiledExecutor | null,
  referenceCache: ReferenceCache,
): void {
  const pool = () => database.poolStats();
  const gauges: [string, string, () => number][] = [
    ['pastoral_db_pool_connections_open', 'Database connections open, busy or idle.', () => pool()?.open ?? 0],
    ['pastoral_db_pool_connections_in_use', 'Database connections lent to a request now.', () => pool()?.inUse ?? 0],
    ['pastoral_db_pool_waiting', 'Requests waiting for a database connection.', () => pool()?.waiting ?? 0],
    [
      'pastoral_db_pool_connections_max',
      'The most connections this process opens (pool size plus overflow).',
      () => (pool() ? pool()!.limits.size + pool()!.limits.overflow : 1),
    ],
  ];
  const counters: [string, string, () => number][] = [
    [
      'pastoral_dashboard_cache_hits_total',
      'Dashboard figures served from the cache.',
      () => dashboardCache.stats().hits,
    ],
    ['pastoral_dashboard_cache_misses_total', 'Dashboard figures counted afresh.', () => dashboardCache.stats().misses],
    [
      'pastoral_dashboard_cache_invalidations_total',
      'Scopes (a school, the district) whose cached dashboards a change made stale.',
      () => dashboardCache.stats().invalidations,
    ],
    [
      'pastoral_reference_cache_hits_total',
      'Classrooms and terms found in the process cache.',
      () => referenceCache.stats().hits,
    ],
    [
      'pastoral_reference_cache_misses_total',
      'Classrooms and terms read from the database.',
      () => referenceCache.stats().misses,
    ],
  ];
  if ('stats' in sessions) {
    const stats = (sessions as CachedSessionStore).stats;
    counters.push(
      ['pastoral_session_cache_hits_total', 'Requests whose session was found in the cache.', () => stats().hits],
      ['pastoral_session_cache_misses_total', 'Requests whose session was read from the store.', () => stats().misses],
    );
  }
  if (compiled) {
    gauges.push([
      'pastoral_graphql_compiled_documents',
      'Documents held compiled by graphql-jit.',
      () => compiled.stats().cached,
    ]);
    counters.push(
      [
        'pastoral_graphql_compiled_document_hits_total',
        'Requests whose document was already compiled.',
        () => compiled.stats().hits,
      ],
      [
        'pastoral_graphql_compiled_document_misses_total',
        'Requests whose document had to be compiled.',
        () => compiled.stats().misses,
      ],
    );
  }
  for (const [name, help, read] of gauges) metrics.gauge(name, help, read);
  for (const [name, help, read] of counters) metrics.counterFrom(name, help, read);
}

/**
 * /metrics for Prometheus: on the main port only with METRICS_TOKEN as a bearer token, and on METRICS_PORT
 * (bound to METRICS_HOST, 127.0.0.1 unless set) without one. Neither set: no metrics are served.
 */
export function serveMetrics(app: ServerApp, config: Config, metrics: Metrics): void {
  const { token, port, host } = config.metrics;
  if (token) {
    const expected = createHash('sha256').update(token).digest();
    app.get('/metrics', async (request, reply) => {
      const sent = bearerToken(request.headers.authorization);
      const given = createHash('sha256')
        .update(sent ?? '')
        .digest();
      if (!timingSafeEqual(given, expected)) {
        return reply
          .code(401)
          .header('www-authenticate', bearerChallenge(sent === null ? null : 'The metrics token is not the one set.'))
          .send({ error: 'Unauthorized', message: 'Send the METRICS_TOKEN as "Authorization: Bearer <token>".' });
      }
      return reply.type(metrics.contentType).send(await metrics.render());
    });
  }
  if (port !== undefined) {
    const server = metricsListener(
      () => metrics.render(),
      metrics.contentType,
      (error) => app.log.error({ err: error }, 'metrics could not be rendered'),
    );
    app.addHook('onListen', () => new Promise<void>((resolve) => server.listen(port, host, resolve)));
    app.addHook('onClose', () => new Promise<void>((resolve) => server.close(() => resolve())));
  }
}
