/** /healthz and /readyz: whether the process is alive, and whether it can serve (its database answers). */
import type { DatabaseHandle } from '@pastoral/db';
import type { Logger } from 'pino';
import { pingDatabase } from '../modules/maintenance/health.repository.ts';
import type { ServerApp } from './fastify-app.ts';

/** How long /readyz waits for the database before it answers 503. */
const READINESS_TIMEOUT_MS = 2_000;

export function registerHealthRoutes(app: ServerApp, database: DatabaseHandle, logger: Logger): void {
  // Liveness: the process is up and its event loop turns. Never touches the database, so a database outage
  // does not get the process restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: the database answers. A load balancer stops sending traffic while this is 503.
  app.get('/readyz', async (_request, reply) => {
    try {
      await withTimeout(pingDatabase(database.db), READINESS_TIMEOUT_MS);
      const replicas = database.replicas();
      // Replicas out of rotation do not make the API unready: their reads go to the primary.
      return {
        status: 'ready',
        database: 'ok',
        ...(replicas.length > 0
          ? {
              replicas: replicas.map(({ description, health, lagMs }) => ({ description, health, lagMs })),
            }
          : {}),
      };
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', database: 'unreachable' });
    }
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
