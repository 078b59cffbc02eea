/** The HTTP server: routes and plugins, no domain logic. */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDisableSuggestions } from '@apollo/server/plugin/disableSuggestions';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import fastifyStatic from '@fastify/static';
import {
  type DatabaseHandle,
  type DatabaseUnavailableError,
  isStatementTimeout,
  type ReadState,
  readFromPrimaryOnly,
  withReadState,
} from '@pastoral/db';
import { unwrapResolverError } from '@apollo/server/errors';
import { getOperationAST, GraphQLError } from 'graphql';
import { sql } from 'kysely';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { auditActor, createContext, type GraphQLContext } from './context.ts';
import { typeAccessPlugin } from './graphql/type-access.ts';
import { readsRecordingPlugin, RecordedViews } from './modules/audit-log/request-reads.ts';
import { accessRefusalsPlugin } from './modules/audit-log/access-refusals.ts';
import type { LoaderOptions } from './loaders.ts';
import { ReferenceCache } from './reference-cache.ts';
import {
  aliasLimitRule,
  costLimitPlugin,
  depthLimitRule,
  documentShapeLimit,
  LIMITS,
  noSubscriptionsRule,
  oncePerRequestRule,
  rootFieldLimitRule,
} from './graphql/limits.ts';
import { buildSchema } from './graphql/schema.ts';
import { type CompiledExecutor, compiledExecutor } from './graphql/compiled-executor.ts';
import { PERSISTED_QUERY_TTL_SECONDS, RedisKeyValueCache } from './graphql/persisted-queries.ts';
import { createMetrics, type Metrics, metricsListener } from './metrics.ts';
import { SHUTDOWN_GRACE_MS, workerCachePeers } from './cluster.ts';
import { bearerToken, registerHttpRefusals } from './http-conventions.ts';
import { registerSecurityHeaders, withPlaygroundPolicy } from './security-headers.ts';
import { readCookie, serverCookie, sessionCookieName, viewerForSession } from './modules/auth/session.ts';
import { authenticateToken } from './modules/api-tokens/api-token.ts';
import { loadRiskRules } from './modules/risk/risk.rules-file.ts';
import { bearerChallenge, invalidCredential, withoutQuotedValue, withoutVariableValue } from './graphql/errors.ts';
import { type CachedSessionStore, cachedSessionStore } from './modules/auth/session-cache.ts';
import { databaseSessionStore, type SessionStore } from './modules/auth/session-store.ts';
import { redisCachePeers } from './redis-peers.ts';
import { NO_RATE_LIMIT, registerRateLimit } from './rate-limit.ts';
import {
  DeadlinePlugin,
  RequestDeadlineError,
  StatementBudget,
  StatementBudgetError,
  requestDeadline,
  withRequestDeadline,
} from './request-deadline.ts';
import { scheduleAuditArchive } from './modules/audit-log/audit-archive.job.ts';
import {
  type DashboardCache,
  dashboardCacheNamespace,
  memoryDashboardCache,
  noDashboardCache,
  redisDashboardCache,
} from './modules/dashboard/dashboard.cache.ts';

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

/** Where the web build puts the GraphQL playground (apps/web/vite.playground.config.ts), below its root. */
const PLAYGROUND_DIRECTORY = 'playground';
/** How long /readyz waits for the database before it answers 503. */
const READINESS_TIMEOUT_MS = 2_000;
/** The largest request body: a GraphQL document with its variables, or an ingest batch of 1,000 records. */
export const BODY_LIMIT_BYTES = 1024 * 1024;
/** A caller's own request id is kept when it looks like one; anything else gets a fresh id. */
const REQUEST_ID = /^[A-Za-z0-9._:-]{8,64}$/;

export async function buildServer({
  config,
  database,
  logger,
  loaderOptions,
  metrics = createMetrics(),
  clock = () => new Date(),
  rateLimit,
}: ServerDependencies) {
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
  registerHttpRefusals(app, BODY_LIMIT_BYTES);
  await registerSecurityHeaders(app);

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
  const documentShape = documentShapeLimit<GraphQLContext>();
  const compiled = config.graphql.executor === 'jit' ? compiledExecutor(schema) : null;
  registerServerMetrics(metrics, database, dashboardCache, sessions, compiled, referenceCache);
  const apollo = new ApolloServer<GraphQLContext>({
    ...(compiled ? { gateway: compiled.gateway } : { schema }),
    // Set explicitly rather than left to NODE_ENV defaults.
    introspection: config.graphql.introspection,
    includeStacktraceInErrorResponses: config.graphql.revealErrorDetails,
    hideSchemaDetailsFromClientErrors: !config.graphql.revealErrorDetails,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    // Automatic persisted queries (the web app sends hashes): shared through Redis when there is one.
    persistedQueries: {
      ttl: PERSISTED_QUERY_TTL_SECONDS,
      ...(redis
        ? {
            cache: new RedisKeyValueCache(redis, 'pastoral:apq:', (error) =>
              logger.warn({ err: error }, 'persisted queries: Redis did not answer; asking clients for the text'),
            ),
          }
        : {}),
    },
    // Counted by the parser itself, so a syntax error is still a 400 (graphql-armor's token plugin made it 500).
    parseOptions: { maxTokens: LIMITS.maxTokens },
    validationRules: [
      documentShape.rule,
      depthLimitRule(LIMITS.maxDepth),
      aliasLimitRule(LIMITS.maxAliases),
      rootFieldLimitRule(LIMITS.maxRootFields),
      oncePerRequestRule('signIn'),
      noSubscriptionsRule(),
    ],
    plugins: [
      fastifyApolloDrainPlugin(app),
      // Apollo's implicit cache-control plugin costs about a third of its CPU per request and serves us nothing.
      ApolloServerPluginCacheControlDisabled(),
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginLandingPageDisabled(),
      ...(config.graphql.revealErrorDetails ? [] : [ApolloServerPluginDisableSuggestions()]),
      documentShape.plugin,
      costLimitPlugin(),
      typeAccessPlugin(),
      readsRecordingPlugin((context) => {
        // The record of what was read is not the query's to pay for: it may take the statement or two past
        // the budget that the query itself may not.
        if (context.statementBudget) context.statementBudget.limit = Number.POSITIVE_INFINITY;
        return {
          db: context.db,
          dialect: context.dialect,
          reads: context.reads,
          recordedViews: context.recordedViews,
          actor: auditActor(context),
          viewerId: context.viewer?.user.id ?? null,
          now: context.now,
          today: context.today,
        };
      }),
      accessRefusalsPlugin(auditActor),
      serviceUnavailablePlugin(),
      operationTypePlugin(LIMITS.maxStatementsPerQuery),
      errorLoggingPlugin(),
      dashboardInvalidationPlugin(),
      operationMetricsPlugin(metrics),
    ],
    formatError: (formatted, error) => {
      const cause = unwrapResolverError(error);
      if (isDatabaseUnavailable(cause)) {
        return { message: cause.message, path: formatted.path, extensions: { code: 'DATABASE_UNAVAILABLE' } };
      }
      if (cause instanceof StatementBudgetError) {
        return { message: cause.message, path: formatted.path, extensions: { code: 'QUERY_TOO_COSTLY' } };
      }
      if (cause instanceof RequestDeadlineError || isStatementTimeout(cause)) {
        const message =
          cause instanceof RequestDeadlineError
            ? cause.message
            : `A database statement ran past the ${config.requestTimeoutMs} ms request deadline and was stopped; ask for less at once, or retry.`;
        return { message, path: formatted.path, extensions: { code: 'REQUEST_TIMEOUT' } };
      }
      const clientMistake = CLIENT_MISTAKES[formatted.message];
      if (clientMistake) {
        return { message: clientMistake.message, extensions: { code: clientMistake.code } };
      }
      // Apollo marks everything that is not a deliberate GraphQL error INTERNAL_SERVER_ERROR: a bug, whose details
      // stay in the log. (A class check would not do: Apollo and our code may load different copies of graphql.)
      // Logged by errorLoggingPlugin, with the request's id.
      if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
        if (!config.graphql.revealErrorDetails) {
          return {
            message: 'Internal server error',
            path: formatted.path,
            extensions: { code: 'INTERNAL_SERVER_ERROR' },
          };
        }
      }
      if (formatted.message.startsWith('Context creation failed: ')) {
        // Raised while reading the session or token, where Apollo prefixes this to our own message.
        return { ...formatted, message: formatted.message.slice('Context creation failed: '.length) };
      }
      const variableMessage = withoutVariableValue(formatted.message, (error as GraphQLError).originalError?.message);
      // Not even a stack trace in development: it quotes the value too.
      if (variableMessage) {
        return { message: variableMessage, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
      }
      const unquoted = withoutQuotedValue(formatted.message);
      if (unquoted !== formatted.message) {
        return {
          message: unquoted,
          locations: formatted.locations,
          path: formatted.path,
          extensions: { code: formatted.extensions?.code },
        };
      }
      if (formatted.message.startsWith('GET requests only support query operations')) {
        return { ...formatted, message: 'A mutation must be sent with POST; GET carries queries only.' };
      }
      const tooManyTokens = /^Syntax Error: Document contains more that (\d+) tokens/.exec(formatted.message);
      if (tooManyTokens) {
        return {
          ...formatted,
          message: `The document has more than ${tooManyTokens[1]} tokens, the limit; send a smaller document or split it.`,
        };
      }
      return formatted;
    },
  });
  await apollo.start();
  const graphqlHandler = fastifyApolloHandler(apollo, {
    context: async (request, reply) => {
      const sessionId = readCookie(request.headers.cookie, sessionCookieName(config));
      const now = clock();
      const bearer = bearerToken(request.headers.authorization);
      const token = bearer
        ? await authenticateToken(database.db, bearer, now).catch((error: unknown) => {
            if (isDatabaseUnavailable(error)) throw serviceUnavailable(error.message, error.retryAfterSeconds);
            throw error;
          })
        : null;
      if (bearer === '') {
        throw invalidCredential(
          'The Authorization header names the Bearer scheme but no token; send Bearer and the token.',
        );
      }
      if (bearer && !token) {
        throw invalidCredential('The API token is not valid: it is unknown, revoked or expired.');
      }
      const viewer =
        sessionId && !token
          ? await viewerForSession(sessions, sessionId, now).catch((error: unknown) => {
              if (isDatabaseUnavailable(error)) throw serviceUnavailable(error.message, error.retryAfterSeconds);
              throw error;
            })
          : null;
      if (token || viewer)
        await rateLimiter.credentialProved(request, token ? { bearer: bearer! } : { sessionId: sessionId! });
      const statementBudget = new StatementBudget();
      return createContext({
        db: database.db.withPlugin(
          // The deadline the route set for the whole request, which the client-side statement timeout reads too.
          new DeadlinePlugin(
            requestDeadline() ?? Date.now() + config.requestTimeoutMs,
            config.requestTimeoutMs,
            statementBudget,
          ),
        ),
        statementBudget,
        dialect: database.dialect,
        config,
        logger: request.log as Logger,
        viewer,
        token,
        sessions,
        riskRules,
        dashboardCache,
        referenceCache,
        recordedViews,
        loaderOptions,
        now,
        request: {
          id: request.id,
          ip: request.ip ?? null,
          userAgent: request.headers['user-agent'] ?? null,
          idempotencyKey:
            typeof request.headers['idempotency-key'] === 'string' ? request.headers['idempotency-key'] : null,
        },
        setCookie: (cookie) => void reply.header('set-cookie', cookie),
      });
    },
  });
  const webRoot = config.webDistDir ?? defaultWebRoot();
  // The web build puts GraphiQL in a directory of its own, so that with the playground off none of it is served.
  const playgroundRoot = `${webRoot}/${PLAYGROUND_DIRECTORY}`;
  const playground = config.graphql.playground && existsSync(`${playgroundRoot}/playground.html`);
  const sendPlayground = (reply: FastifyReply) =>
    withPlaygroundPolicy(reply)
      .type('text/html')
      .header('cache-control', 'no-cache')
      .sendFile('playground.html', playgroundRoot, { cacheControl: false });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: (request, reply) => {
      // A browser opening /graphql gets the playground; programs asking for JSON get GraphQL.
      const query = request.query as Record<string, unknown>;
      const wantsPage =
        request.method === 'GET' && !query.query && (request.headers.accept ?? '').includes('text/html');
      if (wantsPage && playground) return sendPlayground(reply);
      // The handler's types expect Fastify's default logger type; ours is pino's, the same at run time.
      const handle = () =>
        withRequestDeadline(config.requestTimeoutMs, () =>
          graphqlHandler.call(app as never, request as never, reply as never),
        );
      // Which of the caller's reads may go to a replica: only asked where there are replicas.
      if (config.database.replicaUrls.length === 0) return handle();
      const readState: ReadState = {
        wroteAt: Number(readCookie(request.headers.cookie, WROTE_AT_COOKIE)) || 0,
        wroteNow: null,
      };
      readStates.set(request, readState);
      return withReadState(readState, handle);
    },
  });
  if (playground) {
    app.get('/graphiql', (_request, reply) => sendPlayground(reply));
  }

  // A request that wrote tells its caller when, so that the caller's reads (on any API host) go to the primary
  // until a replica has caught up with that write. Only with replicas: without them every read is the primary's.
  const readStates = new WeakMap<object, ReadState>();
  if (config.database.replicaUrls.length > 0) {
    app.addHook('onSend', async (request, reply) => {
      const wroteNow = readStates.get(request)?.wroteNow;
      if (!wroteNow) return;
      const maxAge = Math.ceil(config.database.replicaMaxLagMs / 1000) + 60;
      const existing = reply.getHeader('set-cookie');
      const cookies = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
      reply.header('set-cookie', [...cookies, serverCookie(config, WROTE_AT_COOKIE, wroteNow, maxAge)]);
    });
  }

  serveMetrics(app, config, metrics);

  // Liveness: the process is up and its event loop turns. Never touches the database, so a database outage
  // does not get the process restarted.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: the database answers. A load balancer stops sending traffic while this is 503.
  app.get('/readyz', async (_request, reply) => {
    try {
      await withTimeout(sql`select 1`.execute(database.db), READINESS_TIMEOUT_MS);
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

  if (existsSync(webRoot)) {
    await app.register(fastifyStatic, {
      root: webRoot,
      // A route for each file found now, none for a path that names no file; none for the playground's when it
      // is off, which leaves their paths to the not-found handler below.
      wildcard: false,
      globIgnore: playground ? [] : [`${PLAYGROUND_DIRECTORY}/**`],
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

/** Pool, cache and executor figures, read at each scrape. */
function registerServerMetrics(
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

/** Each GraphQL request's latency, by its operation's name, and whether it answered with errors. */
function operationMetricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, document, request, response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors?.length ?? 0) : 0;
          // A document that failed validation has no resolved operation, but it may well be named.
          const name =
            operationName ??
            (document ? getOperationAST(document, request.operationName)?.name?.value : undefined) ??
            request.operationName ??
            null;
          metrics.observeOperation(name, (performance.now() - started) / 1000, errors > 0 ? 'error' : 'ok');
        },
      };
    },
  };
}

/**
 * /metrics for Prometheus: on the main port only with METRICS_TOKEN as a bearer token, and on METRICS_PORT
 * (bound to METRICS_HOST, 127.0.0.1 unless set) without one. Neither set: no metrics are served.
 */
function serveMetrics(
  app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>,
  config: Config,
  metrics: Metrics,
): void {
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

/**
 * Redis answers in well under a millisecond; a command unanswered after this is taken as Redis being away, and
 * what asked for it goes on without it (the dashboard computes, persisted queries ask for the text).
 */
const REDIS_COMMAND_TIMEOUT_MS = 300;

function connectRedis(url: string, logger: Logger): Redis {
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
 * Mistakes of the client that Apollo and graphql-js report without a code, which would pass for server errors
 * ("Internal server error" in production): each with its code and what to send instead.
 */
const CLIENT_MISTAKES: Record<string, { code: string; message: string }> = {
  'Unsupported persisted query version': {
    code: 'BAD_REQUEST',
    message: 'Persisted queries are version 1: send extensions.persistedQuery.version 1.',
  },
  'provided sha does not match query': {
    code: 'BAD_REQUEST',
    message:
      'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it; send the hash of this query.',
  },
  'Too many errors processing variables, error limit reached. Execution aborted.': {
    code: 'BAD_USER_INPUT',
    message: 'The variables have more than 50 errors; correct the ones reported and send again.',
  },
};

/** The time of the caller's last write (ms since the epoch), kept by the caller for read-your-own-writes. */
const WROTE_AT_COOKIE = 'pastoral_wrote_at';

/** By name, not class: the error may come from another copy of the module (bundled and source). */
function isDatabaseUnavailable(error: unknown): error is DatabaseUnavailableError {
  return (error as { name?: string } | null)?.name === 'DatabaseUnavailableError';
}

function serviceUnavailable(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'DATABASE_UNAVAILABLE',
      http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}

/**
 * Once Apollo knows what the request is: queries get a statement budget (one that outruns it is answered 400, as
 * the other limits are: it is the query that must ask for less), and mutations read from the primary only.
 */
function operationTypePlugin(limit: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation === 'query' && contextValue.statementBudget)
            contextValue.statementBudget.limit = limit;
          // A mutation decides what to write on what it reads: from the primary, never a replica's older copy.
          if (operation?.operation === 'mutation') readFromPrimaryOnly();
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          if (errors.some((error) => error.extensions?.code === 'QUERY_TOO_COSTLY')) response.http.status = 400;
        },
      };
    },
  };
}

/** A request that failed because the database could not serve it is a 503 with Retry-After, not a 200 or 500. */
function serviceUnavailablePlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          const unavailable = ['DATABASE_UNAVAILABLE', 'REQUEST_TIMEOUT'];
          if (errors.some((error) => unavailable.includes(String(error.extensions?.code)))) {
            response.http.status = 503;
            response.http.headers.set('retry-after', '2');
          }
        },
      };
    },
  };
}

/**
 * A request that changed schools' data forgets their cached dashboards before its response leaves, so the
 * viewer's next page, on any process, counts the change. (Forgetting inside the transaction would let another
 * request cache the figures from before the commit.)
 */
function dashboardInvalidationPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          if (contextValue.changedDashboards.size > 0)
            await contextValue.dashboardCache.invalidate(contextValue.changedDashboards);
        },
      };
    },
  };
}

/**
 * Sessions live in the database, with or without Redis, so that a Redis outage ends nobody's session; they are
 * cached in-process (SESSION_CACHE_TTL_S), and a session that ends is forgotten by every process of every host
 * through Redis when there is one, by the cluster's workers otherwise.
 */
function sessionStore(
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

function createDashboardCache(
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

/** Failures that are not deliberate GraphQL errors go to the request's log, which carries its request id. */
function errorLoggingPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const cause = error.originalError;
            if (!cause || cause.name === 'GraphQLError') continue;
            const unavailable = isDatabaseUnavailable(cause) || cause instanceof RequestDeadlineError;
            contextValue.logger[unavailable ? 'warn' : 'error']({ err: cause, path: error.path }, 'operation failed');
          }
        },
      };
    },
  };
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
