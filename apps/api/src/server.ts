/** The HTTP server: routes and plugins, no domain logic. */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { DatabaseHandle } from '@pastoral/db';
import { sql } from 'kysely';
import Fastify from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.ts';

export interface ServerDependencies {
  config: Config;
  database: DatabaseHandle;
  logger: Logger;
}

/** How long /readyz waits for the database before it answers 503. */
const READINESS_TIMEOUT_MS = 2_000;

export async function buildServer({ config, database, logger }: ServerDependencies) {
  const app = Fastify({ loggerInstance: logger });

  // Liveness: the process is up and its event loop turns. Never touches the database, so a database outage
  // does not get the process restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: the database answers. A load balancer stops sending traffic while this is 503.
  app.get('/readyz', async (_request, reply) => {
    try {
      await withTimeout(sql`select 1`.execute(database.db), READINESS_TIMEOUT_MS);
      return { status: 'ready', database: 'ok' };
    } catch (error) {
      logger.warn({ err: error }, 'readiness check failed');
      return reply.code(503).header('retry-after', '5').send({ status: 'unavailable', database: 'unreachable' });
    }
  });

  const webRoot = config.webDistDir ?? defaultWebRoot();
  if (existsSync(webRoot)) {
    await app.register(fastifyStatic, {
      root: webRoot,
      wildcard: false,
      // Our own cache policy below, not send's default max-age=0.
      cacheControl: false,
      // Vite fingerprints everything under assets/: cache it for a year; index.html is always revalidated.
      setHeaders: (response, path) => {
        response.setHeader(
          'cache-control',
          path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
    // Client-side routes (/cases/123) load the app shell; unknown API-like paths still get a JSON 404.
    app.setNotFoundHandler((request, reply) => {
      const wantsHtml = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
      if (wantsHtml)
        return reply
          .type('text/html')
          .header('cache-control', 'no-cache')
          .sendFile('index.html', { cacheControl: false });
      return reply.code(404).send({ error: 'Not Found', message: `No route for ${request.method} ${request.url}` });
    });
  } else {
    logger.warn({ webRoot }, 'web app not built: run `pnpm build` to serve it');
  }

  return app;
}

/** apps/web/dist, found from this file in the source tree (src/) and in the bundle (dist/) alike. */
function defaultWebRoot(): string {
  return fileURLToPath(new URL('../../web/dist/', import.meta.url));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts listening and closes everything cleanly on SIGTERM or SIGINT. */
export async function startServer(dependencies: ServerDependencies) {
  const { config, database, logger } = dependencies;
  const app = await buildServer(dependencies);
  await app.listen({ host: config.http.host, port: config.http.port });
  const shutdown = async (signal: string) => {
    logger.info({ signal }, 'shutting down');
    await app.close();
    await database.destroy();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return app;
}
