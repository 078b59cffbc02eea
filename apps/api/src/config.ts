/**
 * The one place that reads the environment. Every variable is validated once, at start, and the typed result
 * is passed down; nothing else touches `process.env`.
 */
import { DatabaseUrlError, parseDatabaseUrl } from '@pastoral/db';
import { Cron } from 'croner';
import { z } from 'zod';

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int({ error: `expected a whole number from ${min} to ${max}` })
    .min(min, { error: `expected a whole number from ${min} to ${max}` })
    .max(max, { error: `expected a whole number from ${min} to ${max}` });

/** What is wrong with a database URL (without echoing it: it may hold a password), or null. */
function databaseUrlProblem(url: string, engine?: 'mysql'): string | null {
  try {
    const target = parseDatabaseUrl(url);
    if (engine && target.engine !== engine) {
      return `a read replica must be a mysql:// URL; got ${url.split(':')[0]}:`;
    }
    return null;
  } catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error;
    return error.message;
  }
}

const environmentSchema = z.object({
  NODE_ENV: z
    .enum(['development', 'production', 'test'], { error: 'expected development, production or test' })
    .default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: wholeNumber(0, 65535).default(4000),
  DATABASE_URL: z
    .string()
    .default('file:./data/pastoral.sqlite')
    .superRefine((url, context) => {
      const problem = databaseUrlProblem(url);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  DATABASE_REPLICA_URLS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .superRefine((urls, context) => {
      for (const url of urls) {
        const problem = databaseUrlProblem(url, 'mysql');
        if (problem) context.addIssue({ code: 'custom', message: problem });
      }
    }),
  REPLICA_MAX_LAG_S: wholeNumber(1, 3_600).default(5),
  WEB_CONCURRENCY: wholeNumber(1, 64).optional(),
  DB_POOL_SIZE: wholeNumber(1, 500).default(20),
  DB_POOL_OVERFLOW: wholeNumber(0, 500).default(10),
  DB_POOL_MAX_WAITING: wholeNumber(0, 100_000).default(500),
  DB_ACQUIRE_TIMEOUT_MS: wholeNumber(10, 120_000).default(2_000),
  DB_CONNECT_TIMEOUT_MS: wholeNumber(100, 120_000).default(10_000),
  SLOW_QUERY_MS: wholeNumber(0, 600_000).default(500),
  REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000).default(10_000),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'expected fatal, error, warn, info, debug, trace or silent',
    })
    .default('info'),
  REDIS_URL: z.url({ protocol: /^rediss?$/, error: 'expected redis://host:port or rediss://host:port' }).optional(),
  SEED_PASSWORD: z.string().min(8, { error: 'expected at least 8 characters' }).default('pastoral-demo'),
  WEB_DIST_DIR: z.string().optional(),
  RISK_RULES_FILE: z.string().optional(),
  CORS_ORIGINS: z
    .string()
    .optional()
    .superRefine((value, context) => {
      for (const origin of value
        ?.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean) ?? []) {
        if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
          context.addIssue({
            code: 'custom',
            message: `expected origins such as https://app.school.example, comma-separated; "${origin}" is not one`,
          });
        }
      }
    }),
  INTROSPECTION: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
  PLAYGROUND: z.enum(['true', 'false'], { error: 'expected true or false' }).optional(),
  TRUST_PROXY: z.enum(['true', 'false'], { error: 'expected true or false' }).default('false'),
  DASHBOARD_CACHE_TTL_S: wholeNumber(0, 3_600).default(300),
  DASHBOARD_CACHE_ENTRIES: wholeNumber(1, 1_000_000).default(10_000),
  SESSION_CACHE_TTL_S: wholeNumber(0, 60).default(30),
  SESSION_CACHE_ENTRIES: wholeNumber(1, 1_000_000).default(20_000),
  SESSION_MAX_PER_USER: wholeNumber(1, 100).default(10),
  REFERENCE_CACHE_TTL_S: wholeNumber(0, 3_600).default(60),
  REFERENCE_CACHE_ENTRIES: wholeNumber(1, 1_000_000).default(20_000),
  METRICS_TOKEN: z.string().min(16, { error: 'expected at least 16 characters (a random secret)' }).optional(),
  METRICS_PORT: wholeNumber(1, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  GRAPHQL_EXECUTOR: z.enum(['jit', 'graphql-js'], { error: 'expected jit or graphql-js' }).default('jit'),
  AUDIT_ARCHIVE_SCHEDULE: z
    .string()
    .optional()
    .superRefine((pattern, context) => {
      if (pattern === undefined) return;
      try {
        new Cron(pattern, { paused: true }).stop();
      } catch {
        context.addIssue({
          code: 'custom',
          message: 'expected a cron expression (minute hour day month weekday), such as "0 2 * * *" for 02:00 daily',
        });
      }
    }),
  AUDIT_ARCHIVE_AFTER_DAYS: wholeNumber(1, 36_500).default(90),
  AUDIT_ARCHIVE_BATCH: wholeNumber(100, 50_000).default(5_000),
  RATE_LIMIT_WINDOW_S: wholeNumber(1, 3_600).default(60),
  RATE_LIMIT_STAFF: wholeNumber(1, 100_000_000).default(600),
  RATE_LIMIT_TOKEN: wholeNumber(1, 100_000_000).default(1_200),
  RATE_LIMIT_ANONYMOUS: wholeNumber(1, 100_000_000).default(300),
});

/** Every environment variable the configuration reads. */
export const CONFIG_VARIABLES = Object.keys(environmentSchema.shape);

export interface Config {
  env: 'development' | 'production' | 'test';
  http: { host: string; port: number };
  /** Worker processes serving the port; undefined: one per core. (SQLite is always served by one.) */
  webConcurrency: number | undefined;
  database: {
    url: string;
    /** Connections kept for steady load, and how many more a burst may open (the cap is their sum). */
    poolSize: number;
    poolOverflow: number;
    /** Requests that may wait for a connection; the next one gets a 503 at once. */
    poolMaxWaiting: number;
    /** How long a request waits for a connection before it gets a 503. */
    acquireTimeoutMs: number;
    connectTimeoutMs: number;
    slowQueryMs: number;
    /** Read replicas (DATABASE_REPLICA_URLS); empty for none. */
    replicaUrls: string[];
    /** A replica further behind than this leaves the rotation (REPLICA_MAX_LAG_S). */
    replicaMaxLagMs: number;
  };
  /** A request's deadline: no statement of it starts or runs past this. */
  requestTimeoutMs: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  redisUrl: string | undefined;
  seedPassword: string;
  /** The web app's production build, served by the API; undefined to use the one beside the code. */
  webDistDir: string | undefined;
  graphql: {
    /** Schema introspection: on outside production, off in production unless INTROSPECTION=true. */
    introspection: boolean;
    /** Stack traces and "Did you mean" hints in error responses: development and test only. */
    revealErrorDetails: boolean;
    /** The bundled GraphiQL at /graphql (for browsers) and /graphiql: on outside production unless PLAYGROUND=false. */
    playground: boolean;
    /**
     * What runs operations: graphql-jit, compiling each document once (the default), or graphql-js, the reference
     * implementation, kept for comparison and as a way back should a compiled result ever differ.
     */
    executor: 'jit' | 'graphql-js';
  };
  /** Origins (scheme://host[:port]) a separately hosted web app may call the API from, with its cookie. */
  corsOrigins: string[];
  /** A district's own risk cut points (JSON); the defaults when unset. */
  riskRulesFile: string | undefined;
  /** Whether to take the client's address from X-Forwarded-For (behind a reverse proxy you run). */
  trustProxy: boolean;
  metrics: {
    /** Bearer token that opens /metrics on the main port; undefined: /metrics is not served there. */
    token: string | undefined;
    /** A port of its own for /metrics, without a token (keep it off the public network). */
    port: number | undefined;
    host: string;
  };
  /**
   * Sessions kept in the database, cached in-process (unused with REDIS_URL): a sign-out reaches every worker at
   * once, a change to an account made outside the API within ttlSeconds (0: not cached).
   */
  sessionCache: { ttlSeconds: number; maxEntries: number };
  /** Live sessions a user may have at once; signing in beyond it ends their oldest. */
  maxSessionsPerUser: number;
  /** Classrooms and terms, which no request changes, kept per process (see reference-cache.ts); 0 s: off. */
  referenceCache: { ttlSeconds: number; maxEntries: number };
  dashboardCache: {
    /** How long a viewer's dashboard figures may be served from the cache; 0 turns the cache off. */
    ttlSeconds: number;
    /** Entries kept in the in-process cache (unused with Redis, where entries expire by their TTL). */
    maxEntries: number;
  };
  /**
   * Requests to /graphql each principal may send per window (rate-limit.ts): a session, an API token (each its
   * own budget), and a client address for requests that prove no one.
   */
  rateLimit: { windowSeconds: number; staff: number; token: number; anonymous: number };
  auditArchive: {
    /** When this process runs the audit log's archival (a cron expression); undefined: never, leave it to cron. */
    schedule: string | undefined;
    /** Entries older than this many days move to the archive. */
    olderThanDays: number;
    /** Entries moved per transaction. */
    batchSize: number;
  };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment; a bad value throws one error that names every bad variable and what it expects. */
export function loadConfig(environment: Record<string, string | undefined> = process.env): Config {
  // An empty variable means "not set", as it does in a shell or a compose file.
  const present = Object.fromEntries(Object.entries(environment).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = present[name];
      const shown = value === undefined ? '' : ` (got "${name === 'DATABASE_URL' ? '…' : value}")`;
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  return {
    env: env.NODE_ENV,
    http: { host: env.HOST, port: env.PORT },
    webConcurrency: env.WEB_CONCURRENCY,
    database: {
      url: env.DATABASE_URL,
      poolSize: env.DB_POOL_SIZE,
      poolOverflow: env.DB_POOL_OVERFLOW,
      poolMaxWaiting: env.DB_POOL_MAX_WAITING,
      acquireTimeoutMs: env.DB_ACQUIRE_TIMEOUT_MS,
      connectTimeoutMs: env.DB_CONNECT_TIMEOUT_MS,
      slowQueryMs: env.SLOW_QUERY_MS,
      replicaUrls: env.DATABASE_REPLICA_URLS,
      replicaMaxLagMs: env.REPLICA_MAX_LAG_S * 1000,
    },
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    logLevel: env.LOG_LEVEL,
    redisUrl: env.REDIS_URL,
    seedPassword: env.SEED_PASSWORD,
    webDistDir: env.WEB_DIST_DIR,
    graphql: {
      introspection: env.INTROSPECTION === undefined ? env.NODE_ENV !== 'production' : env.INTROSPECTION === 'true',
      revealErrorDetails: env.NODE_ENV !== 'production',
      playground: env.PLAYGROUND === undefined ? env.NODE_ENV !== 'production' : env.PLAYGROUND === 'true',
      executor: env.GRAPHQL_EXECUTOR,
    },
    trustProxy: env.TRUST_PROXY === 'true',
    metrics: { token: env.METRICS_TOKEN, port: env.METRICS_PORT, host: env.METRICS_HOST },
    dashboardCache: { ttlSeconds: env.DASHBOARD_CACHE_TTL_S, maxEntries: env.DASHBOARD_CACHE_ENTRIES },
    sessionCache: { ttlSeconds: env.SESSION_CACHE_TTL_S, maxEntries: env.SESSION_CACHE_ENTRIES },
    maxSessionsPerUser: env.SESSION_MAX_PER_USER,
    referenceCache: { ttlSeconds: env.REFERENCE_CACHE_TTL_S, maxEntries: env.REFERENCE_CACHE_ENTRIES },
    rateLimit: {
      windowSeconds: env.RATE_LIMIT_WINDOW_S,
      staff: env.RATE_LIMIT_STAFF,
      token: env.RATE_LIMIT_TOKEN,
      anonymous: env.RATE_LIMIT_ANONYMOUS,
    },
    auditArchive: {
      schedule: env.AUDIT_ARCHIVE_SCHEDULE,
      olderThanDays: env.AUDIT_ARCHIVE_AFTER_DAYS,
      batchSize: env.AUDIT_ARCHIVE_BATCH,
    },
    riskRulesFile: env.RISK_RULES_FILE,
    corsOrigins:
      env.CORS_ORIGINS?.split(',')
        .map((entry) => entry.trim())
        .filter(Boolean) ?? [],
  };
}
