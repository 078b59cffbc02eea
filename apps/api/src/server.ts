/**
 * The HTTP server, assembled: the Fastify app, the stores requests share, Apollo, and the routes. Each part is
 * in server/; no domain logic here.
 */
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from '@pastoral/db';
import type { Logger } from 'pino';
import { SHUTDOWN_GRACE_MS } from './cluster.ts';
import type { Config } from './config.ts';
import { compiledExecutor } from './graphql/compiled-executor.ts';
import { buildSchema } from './graphql/schema.ts';
import type { LoaderOptions } from './keyed-loaders.ts';
import { createMetrics, type Metrics } from './server/metrics.ts';
import { scheduleAuditArchive } from './modules/audit-log/audit-archive.job.ts';
import { RecordedViews } from './modules/audit-log/request-reads.ts';
import { dashboardCacheNamespace } from './modules/dashboard/dashboard.cache.ts';
import { loadRiskRules } from './modules/risk/risk.rules-file.ts';
import { NO_RATE_LIMIT, registerRateLimit } from './server/rate-limit.ts';
import { ReferenceCache } from './reference-cache.ts';
import { startApollo } from './server/apollo.ts';
import { createFastifyApp } from './server/fastify-app.ts';
import { registerGraphqlRoute } from './server/graphql-route.ts';
import { registerHealthRoutes } from './server/health-routes.ts';
import { registerServerMetrics, serveMetrics } from './server/prometheus.ts';
import { requestContext } from './server/request-context.ts';
import { connectRedis, createDashboardCache, sessionStore } from './server/shared-stores.ts';
import { registerWebApp, webAppFiles } from './server/web-app.ts';

export { BODY_LIMIT_BYTES } from './server/fastify-app.ts';

export interface ServerDependencies {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
  /** `{ batch: false }` only for the benchmark's naive baseline (the N+1 shape); batched otherwise. */
  loaderOptions?: LoaderOptions;
  /** Where the server's metrics go; the same registry the database handle counts statements in. */
  metrics?: Metrics;
  /**
   * The time requests act at: the wall clock. Tests of seeded data run at the data's own date, so that "this
   * week" means the seed's week whatever day the suite runs on.
   */
  clock?: () => Date;
  /** `false` only for the benchmark's baseline without the rate limit (rate-limit.ts); limited otherwise. */
  rateLimit?: false;
}

export async function buildServer({
  config,
  database,
  logger,
  loaderOptions,
  metrics = createMetrics(),
  clock = () => new Date(),
  rateLimit,
}: ServerDependencies) {
  const app = await createFastifyApp(config, logger);

  const riskRules = loadRiskRules(config.riskRulesFile);
  const redis = config.redisUrl ? connectRedis(config.redisUrl, logger) : null;
  const rateLimiter =
    rateLimit === false
      ? NO_RATE_LIMIT
      : registerRateLimit(app, {
          config,
          redis,
          namespace: dashboardCacheNamespace(database.description),
          logger,
          metrics,
        });
  const { store: sessions, close: closeSessions } = sessionStore(config, redis, database, logger);
  app.addHook('onClose', closeSessions);
  if (redis) app.addHook('onClose', async () => void (await redis.quit()));
  const dashboardCache = createDashboardCache(config, redis, database, logger);
  const referenceCache = new ReferenceCache(config.referenceCache);
  const recordedViews = new RecordedViews();
  if (config.auditArchive.schedule) {
    const { schedule: cron, ...settings } = config.auditArchive;
    const archival = scheduleAuditArchive(database, { cron, ...settings }, logger);
    logger.info({ cron, nextRun: archival.nextRun() }, 'audit archival scheduled');
    app.addHook('onClose', () => archival.stop());
  }

  const schema = buildSchema();
  const compiled = config.graphql.executor === 'jit' ? compiledExecutor(schema) : null;
  registerServerMetrics(metrics, database, dashboardCache, sessions, compiled, referenceCache);
  const apollo = await startApollo(app, { config, schema, compiled, redis, logger, metrics });
  const context = requestContext({
    config,
    database,
    sessions,
    rateLimiter,
    riskRules,
    dashboardCache,
    referenceCache,
    recordedViews,
    loaderOptions,
    clock,
  });
  const webApp = webAppFiles(config, defaultWebRoot());
  registerGraphqlRoute(app, { config, apollo, context, webApp });
  serveMetrics(app, config, metrics);
  registerHealthRoutes(app, database, logger);
  await registerWebApp(app, webApp, logger);
  return app;
}

/** apps/web/dist, found from this file in the source tree (src/) and in the bundle (dist/) alike. */
function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../web/dist/', import.meta.url));
}

/** Starts listening and closes everything cleanly on SIGTERM or SIGINT. */
export async function startServer(dependencies: ServerDependencies) {
  const { config, database, logger } = dependencies;
  const app = await buildServer(dependencies);
  await app.listen({ host: config.http.host, port: config.http.port });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing the requests in flight');
    // A request that never ends must not keep the process from stopping.
    setTimeout(() => {
      logger.error({ graceMs: SHUTDOWN_GRACE_MS }, 'requests still in flight after the grace period; exiting');
      process.exit(1);
    }, SHUTDOWN_GRACE_MS).unref();
    await app.close();
    await database.destroy();
    logger.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return app;
}
