/**
 * Tests of the HTTP API against a real database: a server on a fresh database seeded with the demo profile,
 * clients that sign in as the well-known accounts, and a count of the SQL statements each request sends.
 *
 * Every statement a request sends is held to the sharding rule (school-predicates.ts): a tenant table read or
 * changed without its school fails the test that sent it, so the whole API suite is the query-capture check.
 */
import type { PoolLimits } from '@pastoral/db';
import { schoolPredicateProblems, type TestDatabase, type TestEngine } from '@pastoral/db/testing';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { SEED_PROFILES } from '../seed/profiles.ts';
import { seedDatabase } from '../seed/seed.ts';
import { DISTRICT_WIDE_REASONS } from '../school-scope.ts';
import { buildServer } from '../server.ts';
import { DEMO_PASSWORD, SEED_AS_OF as AS_OF } from './seeded-database.ts';

export { DEMO_PASSWORD, SEED_AS_OF as AS_OF } from './seeded-database.ts';

export interface GraphQLResponse<Data = Record<string, unknown>> {
  status: number;
  headers: Record<string, string | number | string[] | undefined>;
  body: { data?: Data | null; errors?: { message: string; extensions?: Record<string, unknown>; path?: unknown[] }[] };
  /** SQL statements the request sent, in order. */
  statements: string[];
  /** The same statements with their parameters, to be EXPLAINed as sent. */
  queries: SentQuery[];
}

export interface SentQuery {
  sql: string;
  parameters: readonly unknown[];
}

export interface RawResponse {
  status: number;
  headers: GraphQLResponse['headers'];
  body: string;
  /** SQL statements the request sent, in order. */
  statements: string[];
  /** The same statements with their parameters, to be EXPLAINed as sent. */
  queries: SentQuery[];
}

export interface ApiHarness {
  database: TestDatabase;
  app: Awaited<ReturnType<typeof buildServer>>;
  /** Posts a GraphQL operation, as the holder of `cookie` if given. */
  graphql<Data = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    cookie?: string,
  ): Promise<GraphQLResponse<Data>>;
  /** Posts a GraphQL operation from the client address `address`, as the holder of `cookie` if given. */
  graphqlFrom<Data = Record<string, unknown>>(
    address: string,
    query: string,
    variables?: Record<string, unknown>,
    cookie?: string,
  ): Promise<GraphQLResponse<Data>>;
  /** Posts a GraphQL operation as an integrator holding the API token `token`. */
  graphqlWithToken<Data = Record<string, unknown>>(
    query: string,
    variables: Record<string, unknown>,
    token: string,
  ): Promise<GraphQLResponse<Data>>;
  /** Sends any HTTP request to the server, recording the SQL statements it causes. */
  request(options: InjectOptions): Promise<RawResponse>;
  /** Signs in and returns the session cookie to send back. */
  signIn(email: string, password?: string): Promise<string>;
  close(): Promise<void>;
}

const REVIEWED_REASONS = Object.keys(DISTRICT_WIDE_REASONS);
/** Statements already checked: a suite sends a few hundred shapes of statement, thousands of times. */
const checkedStatements = new Map<string, string[]>();

/** The problems of one statement under the sharding rule (school-predicates.ts), remembered by its text. */
export function shardingProblems(statement: string): string[] {
  let problems = checkedStatements.get(statement);
  if (!problems) {
    problems = schoolPredicateProblems(statement, REVIEWED_REASONS);
    checkedStatements.set(statement, problems);
  }
  return problems;
}

/** Fails with every statement of a request that names no school where it must. */
function assertEveryStatementNamesItsSchool(statements: string[], request: string): void {
  const failures = statements.flatMap((statement) => {
    const problems = shardingProblems(statement);
    return problems.length === 0 ? [] : [`${problems.join('; ')}\n    in: ${statement.replace(/\s+/g, ' ')}`];
  });
  if (failures.length > 0) {
    throw new Error(
      `${request} sent ${failures.length} statement(s) that a deployment sharded by school would scatter ` +
        `(name the school, or mark a reviewed district-wide read; see school-scope.ts):\n  ${failures.join('\n  ')}`,
    );
  }
}

/** The operation a request carried, to name it in a failure. */
function summary(options: InjectOptions): string {
  const payload = typeof options.payload === 'string' ? options.payload : '';
  return payload.replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * Rate limits of test servers (rate-limit.ts), far above the defaults and set here explicitly: a suite sends
 * thousands of requests from one address and one session (the authorization matrix, fuzzing, load under faults),
 * which the defaults would rightly refuse. rate-limit.test.ts tests the limit itself, on the defaults as well.
 */
export const TEST_RATE_LIMITS = {
  RATE_LIMIT_STAFF: '100000000',
  RATE_LIMIT_TOKEN: '100000000',
  RATE_LIMIT_ANONYMOUS: '100000000',
};

/** A clock that starts at the seed's as-of date and runs at the wall clock's pace from there. */
export function seedClock(): () => Date {
  const started = Date.now();
  return () => new Date(AS_OF.getTime() + (Date.now() - started));
}

export async function startApiHarness(
  engine: TestEngine,
  options: {
    seed?: boolean;
    environment?: Record<string, string>;
    pool?: Partial<PoolLimits>;
    /** The server's clock (see buildServer); the wall clock unless given, as seedClock() gives the seed's. */
    clock?: () => Date;
  } = {},
): Promise<ApiHarness> {
  let recording: SentQuery[] | null = null;
  const database = await engine.createDatabase({
    pool: options.pool,
    log: (event) => {
      if (recording && event.level === 'query') {
        recording.push({ sql: event.query.sql, parameters: event.query.parameters });
      }
    },
  });
  if (options.seed !== false) {
    await seedDatabase(database.handle, {
      profile: SEED_PROFILES.demo,
      seed: 1,
      asOf: AS_OF,
      password: DEMO_PASSWORD,
    });
  }
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', ...TEST_RATE_LIMITS, ...options.environment });
  const app = await buildServer({
    config,
    database: database.handle,
    logger: createLogger(config),
    clock: options.clock,
  });

  async function graphql<Data>(query: string, variables?: Record<string, unknown>, cookie?: string) {
    return post<Data>(query, variables, cookie ? { cookie } : {});
  }

  async function request(options: InjectOptions): Promise<RawResponse> {
    const queries: SentQuery[] = [];
    recording = queries;
    let response: Awaited<ReturnType<typeof app.inject>>;
    try {
      response = await app.inject(options);
    } finally {
      recording = null;
    }
    const statements = queries.map((query) => query.sql);
    assertEveryStatementNamesItsSchool(
      statements,
      `${options.method ?? 'GET'} ${String(options.url)} ${summary(options)}`,
    );
    return { status: response.statusCode, headers: response.headers, body: response.body, statements, queries };
  }

  async function post<Data>(
    query: string,
    variables: Record<string, unknown> | undefined,
    auth: Record<string, string>,
    remoteAddress?: string,
  ): Promise<GraphQLResponse<Data>> {
    const response = await request({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...auth },
      payload: JSON.stringify({ query, variables }),
      ...(remoteAddress ? { remoteAddress } : {}),
    });
    return { ...response, body: JSON.parse(response.body) as GraphQLResponse<Data>['body'] };
  }

  return {
    database,
    app,
    graphql,
    request,
    graphqlFrom: (address, query, variables, cookie) => post(query, variables, cookie ? { cookie } : {}, address),
    graphqlWithToken: (query, variables, token) => post(query, variables, { authorization: `Bearer ${token}` }),
    async signIn(email, password = DEMO_PASSWORD) {
      const response = await graphql<{ signIn: { userErrors: { message: string }[] } }>(
        'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
        { input: { email, password } },
      );
      const setCookie = response.headers['set-cookie'];
      const cookie = String(Array.isArray(setCookie) ? setCookie[0] : (setCookie ?? '')).split(';')[0];
      if (!cookie) throw new Error(`sign-in as ${email} failed: ${JSON.stringify(response.body)}`);
      return cookie;
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** Two API servers on one seeded database, sharing Redis as two processes or hosts would. */
export interface ServersSharingRedis {
  api: ApiHarness;
  other: Awaited<ReturnType<typeof buildServer>>;
}

/**
 * Registers hooks that start, before the suite, a harness and a second server on its database, both with
 * REDIS_URL set to `redisUrl` and `environment` on top; they are closed after it. What they share is only what
 * they share through the database and Redis.
 */
export function serversSharingRedis(
  engine: TestEngine,
  redisUrl: string,
  environment: Record<string, string> = {},
): ServersSharingRedis {
  const servers = {} as ServersSharingRedis;
  beforeAll(async () => {
    servers.api = await startApiHarness(engine, { environment: { REDIS_URL: redisUrl, ...environment } });
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ...TEST_RATE_LIMITS,
      REDIS_URL: redisUrl,
      ...environment,
    });
    servers.other = await buildServer({ config, database: servers.api.database.handle, logger: createLogger(config) });
  });
  afterAll(async () => {
    await servers.other?.close();
    await servers.api?.close();
  });
  return servers;
}
