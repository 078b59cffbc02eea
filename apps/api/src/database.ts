import { createDb, type DatabaseHandle } from '@pastoral/db';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { Metrics } from './server/metrics.ts';
import { timeLeftInRequest } from './server/request-deadline.ts';

/**
 * Opens the configured database, logging every statement slower than `SLOW_QUERY_MS` with its SQL, and
 * counting every statement in `metrics` when given.
 */
/** How long admin work (migrations, seeding, imports) waits for a connection: a busy server is no reason to fail. */
export const ADMIN_ACQUIRE_TIMEOUT_MS = 120_000;

export function openDatabase(
  config: Config,
  logger: Logger,
  purpose: 'serve' | 'admin' = 'serve',
  metrics?: Metrics,
): DatabaseHandle {
  const {
    url,
    poolSize,
    poolOverflow,
    poolMaxWaiting,
    acquireTimeoutMs,
    connectTimeoutMs,
    slowQueryMs,
    replicaUrls,
    replicaMaxLagMs,
  } = config.database;
  return createDb(url, {
    pool: {
      size: poolSize,
      overflow: poolOverflow,
      maxWaiting: poolMaxWaiting,
      // A request fails fast; admin work waits as long as a connection takes to come, like its statements.
      acquireTimeoutMs: purpose === 'serve' ? acquireTimeoutMs : Math.max(acquireTimeoutMs, ADMIN_ACQUIRE_TIMEOUT_MS),
    },
    connectTimeoutMs,
    // Requests have a deadline; migrations, seeding and other admin work run as long as they need.
    statementTimeoutMs: purpose === 'serve' ? config.requestTimeoutMs : undefined,
    queryTimeoutMs: purpose === 'serve' ? timeLeftInRequest : undefined,
    // Admin work (migrations, imports, archival) reads what it just wrote: the primary only.
    replicaUrls: purpose === 'serve' ? replicaUrls : [],
    replicaMaxLagMs,
    onReplicaHealthChange: (replica) =>
      logger[replica.health === 'in rotation' ? 'info' : 'warn'](
        { replica: replica.description, health: replica.health, lagMs: replica.lagMs },
        replica.health === 'in rotation' ? 'read replica in rotation' : 'read replica out of rotation',
      ),
    log: (event) => {
      metrics?.observeStatement(event.query.sql, event.queryDurationMillis, event.level === 'error');
      if (event.level === 'error') {
        logger.debug({ sql: event.query.sql, durationMs: event.queryDurationMillis }, 'statement failed');
      } else if (event.queryDurationMillis >= slowQueryMs) {
        logger.warn({ sql: event.query.sql, durationMs: Math.round(event.queryDurationMillis) }, 'slow query');
      }
    },
  });
}

/**
 * The migrations folder: bundled beside the code in a production build (`dist/migrations`), or the repository's
 * `migrations/` when running from source.
 */
export function migrationsFolder(): string {
  const bundled = fileURLToPath(new URL('./migrations/', import.meta.url));
  if (existsSync(bundled)) return bundled;
  return fileURLToPath(new URL('../../../migrations/', import.meta.url));
}
