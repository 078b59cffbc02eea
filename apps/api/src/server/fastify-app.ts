/** The Fastify instance every route hangs on: body limit, request ids, CORS, refusals and security headers. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifyCompress from '@fastify/compress';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { registerHttpRefusals } from './http-conventions.ts';
import { registerSecurityHeaders } from './security-headers.ts';

/** The server's Fastify instance, logging through pino. */
export type ServerApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

/** The largest request body: a GraphQL document with its variables, or an ingest batch of 1,000 records. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/**
 * JSON answers (GraphQL's among them) at least this long go out compressed. Below it the saving is a few hundred
 * bytes at most, and a small answer fits in one TCP packet (about 1,400 bytes) compressed or not, so compressing
 * it would cost CPU and save the network nothing. A fixed figure, not a setting: no operator has a reason to move it.
 */
export const COMPRESS_THRESHOLD_BYTES = 1024;
/** JSON and GraphQL's JSON: the web app's files are compressed when built (web-app.ts), the rest is small. */
const COMPRESSED_TYPES = /^application\/(?:graphql-response\+)?json(?:;|$)/;

/** A caller's own request id is kept when it looks like one; anything else gets a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export async function createFastifyApp(config: Config, logger: Logger): Promise<ServerApp> {
  const app = Fastify({
    loggerInstance: logger,
    // A request that reaches a server shutting down was already routed to it: it is served (with Connection:
    // close), not refused. New connections are refused once the server stops listening, which is what tells a
    // load balancer to send them elsewhere.
    return503OnClosing: false,
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
  });
  // Every response names its request, so a user's report can be matched with the log lines it left.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // A web app hosted on another origin may call with its cookie only from the origins listed in CORS_ORIGINS.
    const origin = request.headers.origin;
    if (origin && config.corsOrigins.includes(origin)) {
      reply.header('access-control-allow-origin', origin);
      reply.header('access-control-allow-credentials', 'true');
      reply.header('vary', 'Origin');
      if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
        reply.header('access-control-allow-methods', 'GET, POST, OPTIONS');
        reply.header(
          'access-control-allow-headers',
          'content-type, authorization, idempotency-key, x-request-id, apollo-require-preflight',
        );
        reply.header('access-control-max-age', '600');
        return reply.code(204).send();
      }
    }
  });
  // Registered before any route: it hooks each route as the route is added. Brotli at the plugin's quality 4 (11
  // costs milliseconds a response) or gzip, as the caller accepts. Compression is for answers only: the plugin's
  // inflating of compressed request bodies stays off, and bodies are read as they were before.
  await app.register(fastifyCompress, {
    encodings: ['br', 'gzip'],
    threshold: COMPRESS_THRESHOLD_BYTES,
    customTypes: COMPRESSED_TYPES,
    globalDecompression: false,
  });
  registerHttpRefusals(app, BODY_LIMIT_BYTES);
  await registerSecurityHeaders(app);
  return app;
}
