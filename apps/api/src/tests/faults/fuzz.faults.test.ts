/**
 * Fuzzing the API (issue #8, item 7): thousands of operations generated from the schema (fuzz-operations.ts),
 * valid-looking and hostile, sent through the real server as staff of every role, as integrators holding API
 * tokens, anonymously and with bogus credentials, to servers configured for production (with graphql-jit and
 * with graphql-js) and for development. It proves that no request, however wrong, gets a 5xx, a body that is not
 * JSON, an INTERNAL_SERVER_ERROR, a stack trace, a database's own error text, or an error that quotes a value the
 * request sent (in a variable or in the document: it may be a password or a birth date); and that the server
 * still answers afterwards.
 *
 * A failure prints fast-check's seed and path, and the request, shrunk. To replay it: FUZZ_SEED=<seed>
 * FUZZ_PATH=<path>; FUZZ_SHRINK=false skips the shrinking, FUZZ_RUNS sets the number of operations, and
 * FUZZ_KEEP_GOING=1 runs them all and lists the first failure of each kind, each with its own FUZZ_PATH.
 */
import { testEngines } from '@pastoral/db/testing';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { buildSchema } from '../../graphql/schema.ts';
import { sessionCookieName } from '../../modules/auth/session.ts';
import { buildServer } from '../../server.ts';
import { type ApiHarness, DEMO_PASSWORD, startApiHarness, TEST_RATE_LIMITS } from '../../testing/api-harness.ts';
import { fuzzRequests } from '../../testing/fuzz-operations.ts';
import { type FuzzRequest, valuesSent } from '../../testing/fuzz-requests.ts';
import type { SeededValues } from '../../testing/fuzz-values.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10_000);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Math.floor(Math.random() * 2 ** 31);
const PATH = process.env.FUZZ_PATH || undefined;
/** Run all the operations and list the first failure of each kind, rather than stop at the first and shrink it. */
const KEEP_GOING = process.env.FUZZ_KEEP_GOING === '1';

/**
 * Three servers on one database. Most requests go to production, as users meet it; graphql-js executes what
 * graphql-jit compiles, so a bug of either shows; development reveals error details, which must still hold no
 * database text and no internal errors.
 */
const SERVERS = {
  production: { environment: { NODE_ENV: 'production' }, weight: 6 },
  'production, graphql-js': { environment: { NODE_ENV: 'production', GRAPHQL_EXECUTOR: 'graphql-js' }, weight: 2 },
  development: { environment: { NODE_ENV: 'development' }, weight: 2 },
} as const;
type ServerName = keyof typeof SERVERS;

const STAFF = {
  'form master': 'form.master@s01.pastoral.example',
  'pastoral lead': 'pastoral.lead@s01.pastoral.example',
  'school admin': 'school.admin@s01.pastoral.example',
  'district admin': 'district.admin@pastoral.example',
} as const;
type StaffRole = keyof typeof STAFF;
type TokenHolder = 'school token' | 'district token';
type Caller = StaffRole | TokenHolder | 'anonymous' | 'unknown token' | 'stale cookie';

const CALLERS: { arbitrary: fc.Arbitrary<Caller>; weight: number }[] = [
  ...(Object.keys(STAFF) as StaffRole[]).map((role) => ({ arbitrary: fc.constant<Caller>(role), weight: 3 })),
  { arbitrary: fc.constant<Caller>('school token'), weight: 2 },
  { arbitrary: fc.constant<Caller>('district token'), weight: 2 },
  { arbitrary: fc.constant<Caller>('anonymous'), weight: 2 },
  { arbitrary: fc.constant<Caller>('unknown token'), weight: 1 },
  { arbitrary: fc.constant<Caller>('stale cookie'), weight: 1 },
];

const EVERY_SCOPE = [
  'ROSTER_WRITE',
  'ATTENDANCE_WRITE',
  'BEHAVIOUR_WRITE',
  'ASSESSMENTS_WRITE',
  'STUDENTS_READ',
  'CASES_READ',
  'ALERTS_READ',
  'AUDIT_READ',
];

/**
 * What a response must never show. The generator's own strings hold none of these, so an error that echoes the
 * caller's input back cannot match.
 */
const STACK_TRACE = [/\n\s+at /, /^\s*at .+:\d+:\d+\)?$/m, /node_modules/, /\.(?:ts|js|mjs|cjs):\d+/, /file:\/\//];
const DATABASE_TEXT = [
  /\bselect\s.+\sfrom\s/i,
  /\binsert\s+into\b/i,
  /\bupdate\s+`?\w+`?\s+set\b/i,
  /\bdelete\s+from\b/i,
  /\bER_[A-Z_]{3,}/,
  /\bSQLITE_[A-Z]+/,
  /SqliteError/,
  /SQL syntax/i,
  /\bno such (?:table|column)\b/i,
  /Incorrect \w+ value/,
  /Data too long/,
  /Duplicate entry/,
  /constraint failed/i,
  /Out of range value/,
];

/**
 * Sent values too short or too common to tell an echo from the server's own words: "student" is in many a
 * message, and a message may name the schema's types, fields and enum values, and list the values allowed.
 */
function echoable(value: string, schemaWords: ReadonlySet<string>): boolean {
  return value.length >= 6 && !/^[a-z_]+$/.test(value) && !/^[A-Z][A-Z0-9_]*$/.test(value) && !schemaWords.has(value);
}

/** The names a schema gives its types, fields, arguments and enum values. */
function wordsOf(schema: ReturnType<typeof buildSchema>): Set<string> {
  const words = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    words.add(type.name);
    const members = 'getFields' in type ? Object.values(type.getFields()) : 'getValues' in type ? type.getValues() : [];
    for (const member of members) {
      words.add(member.name);
      for (const argument of 'args' in member ? member.args : []) words.add(argument.name);
    }
  }
  return words;
}

/** The words of a response that are the server's own: its errors' messages and extensions, and userErrors. */
function serverWordsOf(body: unknown): string[] {
  const words: string[] = [];
  const strings = (value: unknown): void => {
    if (typeof value === 'string') words.push(value);
    else if (Array.isArray(value)) value.forEach(strings);
    else if (value && typeof value === 'object') Object.values(value).forEach(strings);
  };
  const userErrors = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(userErrors);
    else if (value && typeof value === 'object') {
      for (const [key, entry] of Object.entries(value)) {
        if (key === 'userErrors') strings(entry);
        else userErrors(entry);
      }
    }
  };
  const { errors, data } = (body ?? {}) as { errors?: unknown; data?: unknown };
  strings(errors);
  userErrors(data);
  return words;
}

interface Fuzzed {
  server: ServerName;
  caller: Caller;
  /** The client's address, varied so that sign-in throttling by address does not close the door on every case. */
  address: string;
  request: FuzzRequest;
}

describe.each(testEngines())('fuzzing the API on $name', (engine) => {
  let api: ApiHarness;
  const servers = {} as Record<ServerName, Awaited<ReturnType<typeof buildServer>>>;
  /** Error lines the servers logged, to show beside a failure: the cause Apollo keeps out of the response. */
  const logged: string[] = [];
  /** Session ids by role; a cookie is named for the server it goes to. */
  const sessions = {} as Record<StaffRole, string>;
  const tokens = {} as Record<TokenHolder, string>;
  let seeded: SeededValues;
  /** The schema's own names, which an answer may well share with a value sent. */
  let schemaWords: ReadonlySet<string> = new Set();

  const post = (
    server: ServerName,
    query: string,
    variables: Record<string, unknown>,
    headers: Record<string, string>,
  ) =>
    servers[server].inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ query, variables }),
    });

  const signIn = async (role: StaffRole) => {
    const response = await post(
      'production',
      'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
      { input: { email: STAFF[role], password: DEMO_PASSWORD } },
      {},
    );
    const setCookie = String(response.headers['set-cookie'] ?? '');
    const sessionId = /^[^=]+=([^;]+)/.exec(setCookie)?.[1];
    if (!sessionId) throw new Error(`sign-in as ${role} failed: ${response.body}`);
    return sessionId;
  };

  const createToken = async (holder: TokenHolder) => {
    // A session of its own each time: a fuzzed signOutEverywhere of the admin's ends every other one.
    const session = await signIn(holder === 'school token' ? 'school admin' : 'district admin');
    const response = await post(
      'production',
      'mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { token userErrors { message } } }',
      { input: { name: `fuzz ${holder}`, scopes: EVERY_SCOPE } },
      { cookie: `${sessionCookieName({ env: 'production' })}=${session}` },
    );
    const token = (response.json() as { data?: { createApiToken: { token: string | null } } }).data?.createApiToken
      .token;
    if (!token) throw new Error(`could not create the ${holder}: ${response.body}`);
    return token;
  };

  const credentials = (caller: Caller, server: ServerName): Record<string, string> => {
    const cookieName = sessionCookieName({ env: SERVERS[server].environment.NODE_ENV });
    switch (caller) {
      case 'school token':
      case 'district token':
        return { authorization: `Bearer ${tokens[caller]}` };
      case 'anonymous':
        return {};
      case 'unknown token':
        return { authorization: 'Bearer pst_notatokenweissued0000000000000000' };
      case 'stale cookie':
        return { cookie: `${cookieName}=${'A'.repeat(43)}` };
      default:
        return { cookie: `${cookieName}=${sessions[caller]}` };
    }
  };

  beforeAll(async () => {
    api = await startApiHarness(engine);
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) }) as Logger;
    for (const [name, { environment }] of Object.entries(SERVERS) as [ServerName, (typeof SERVERS)[ServerName]][]) {
      const config = loadConfig({ ...TEST_RATE_LIMITS, ...environment, LOG_LEVEL: 'error' });
      servers[name] = await buildServer({ config, database: api.database.handle, logger });
    }
    for (const role of Object.keys(STAFF) as StaffRole[]) sessions[role] = await signIn(role);
    tokens['school token'] = await createToken('school token');
    tokens['district token'] = await createToken('district token');
    seeded = await seededValues();
  });

  afterAll(async () => {
    for (const server of Object.values(servers)) await server.close();
    await api?.close();
  });

  /** Ids and cursors the callers can see, so that most requests reach rows; realistic values from the database. */
  async function seededValues(): Promise<SeededValues> {
    const ids = new Set<string>();
    const cursors = new Set<string>();
    const collectIds = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collectIds);
      else if (value && typeof value === 'object') {
        for (const [key, entry] of Object.entries(value)) {
          if (key === 'id' && typeof entry === 'string') ids.add(entry);
          else if (key === 'endCursor' && typeof entry === 'string') cursors.add(entry);
          else collectIds(entry);
        }
      }
    };
    const page = 'pageInfo { endCursor }';
    const visible = `{
      viewer { user { id school { id } } classrooms { id students(first: 2) { ${page} } } sessions { id } }
      students(first: 6) {
        ${page}
        nodes {
          id classroom { id } school { classrooms(first: 2) { ${page} } }
          alerts(first: 3) { ${page} nodes { id } }
          cases(first: 3) { ${page} nodes { id timeline(first: 3) { ${page} nodes { id } } } }
          attendance(first: 2) { ${page} } behaviourIncidents(first: 2) { ${page} }
        }
      }
      byRisk: students(first: 2, orderBy: { field: RISK, direction: DESC }) { ${page} }
      alerts(first: 6) { ${page} nodes { id assignedTo { id } } }
      bySeverity: alerts(first: 2, orderBy: { field: SEVERITY, direction: ASC }) { ${page} }
      cases(first: 6) { ${page} nodes { id } }
      byReview: cases(first: 2, orderBy: { field: NEXT_REVIEW_AT, direction: ASC }) { ${page} }
      auditLog(first: 4) { ${page} nodes { id } }
      apiTokens(first: 4) { ${page} nodes { id } }
      schools(first: 1) { ${page} nodes { id } }
      dashboard { newlyAtRisk(first: 1) { ${page} } }
    }`;
    for (const caller of [...(Object.keys(STAFF) as StaffRole[]), 'district token'] as const) {
      collectIds((await post('production', visible, {}, credentials(caller, 'production'))).json());
    }
    const db = api.database.handle.db;
    const column = async (rows: Promise<{ value: string }[]>) => (await rows).map((row) => row.value);
    const emails = await column(db.selectFrom('users').select('email as value').orderBy('id').limit(12).execute());
    return {
      globalIds: [...ids],
      stringsByName: {
        // Never the accounts the fuzzing signs in as: failed sign-ins would throttle them.
        email: [...emails.filter((email) => !Object.values(STAFF).includes(email as never)), 'nobody@pastoral.example'],
        password: [DEMO_PASSWORD, 'not-the-password'],
        schoolCode: [...(await column(db.selectFrom('schools').select('code as value').execute())), 'S99'],
        studentExternalId: await column(db.selectFrom('students').select('external_id as value').limit(8).execute()),
        externalId: await column(db.selectFrom('students').select('external_id as value').limit(4).execute()),
        classroomName: await column(db.selectFrom('classrooms').select('name as value').limit(6).execute()),
        term: await column(db.selectFrom('academic_terms').select('code as value').execute()),
        subject: ['ENGLISH', 'MATHS', 'SCIENCE', 'HISTORY'],
        category: ['DISRUPTION', 'BULLYING', 'ATTENDANCE', 'lower case'],
        action: ['case.opened', 'session.signed_in', 'student.disclosed', 'alert.acknowledged'],
        entityType: ['alert', 'case', 'case_event', 'user', 'student'],
        grade: ['9', '5', '1', 'U', 'A*'],
        search: ['Sm', 'Jo', 'a', 'St'],
        cursor: [...cursors],
      },
    };
  }

  /** Everything wrong with a response; empty when it is one a user may see. */
  function problemsOf(response: LightMyRequestResponse, server: ServerName, request: FuzzRequest): string[] {
    const problems: string[] = [];
    const retryAfter = response.headers['retry-after'];
    if (response.statusCode >= 500 && !(response.statusCode === 503 && retryAfter)) {
      problems.push(`status ${response.statusCode}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(response.body);
    } catch {
      return [...problems, 'the body is not JSON'];
    }
    const revealsDetails = SERVERS[server].environment.NODE_ENV !== 'production';
    const errors = (body as { errors?: unknown }).errors;
    // What the server wrote in its own words: GraphQL errors, or Fastify's { error, message } for a bad request.
    const texts: string[] = [];
    if (Array.isArray(errors)) {
      for (const error of errors as { message?: unknown; extensions?: Record<string, unknown> }[]) {
        const { stacktrace, ...extensions } = error.extensions ?? {};
        if (extensions.code === 'INTERNAL_SERVER_ERROR')
          problems.push(`INTERNAL_SERVER_ERROR: ${String(error.message)}`);
        if (stacktrace !== undefined && !revealsDetails) problems.push('a stacktrace in production');
        texts.push(String(error.message), JSON.stringify(extensions));
      }
    } else if (!(body as { data?: unknown }).data) {
      texts.push(response.body);
    }
    for (const text of texts) {
      for (const pattern of STACK_TRACE) if (pattern.test(text)) problems.push(`a stack trace (${pattern}): ${text}`);
      for (const pattern of DATABASE_TEXT) if (pattern.test(text)) problems.push(`database text (${pattern}): ${text}`);
    }
    const serverWords = serverWordsOf(body);
    for (const value of valuesSent(request).filter((sent) => echoable(sent, schemaWords))) {
      const quoting = serverWords.find((words) => words.includes(value));
      if (quoting) problems.push(`an answer quotes a value the request sent (${JSON.stringify(value)}): ${quoting}`);
    }
    return problems;
  }

  /**
   * A fuzzed signOut, signOutSession or signOutEverywhere may end the caller's session (never another user's), a
   * fuzzed revokeApiToken may end a token: make new ones.
   */
  async function restoreCredentials(fuzzed: Fuzzed, response: LightMyRequestResponse): Promise<void> {
    if (fuzzed.caller in STAFF && fuzzed.request.document.includes('signOut')) {
      sessions[fuzzed.caller as StaffRole] = await signIn(fuzzed.caller as StaffRole);
    }
    if ((fuzzed.caller === 'school token' || fuzzed.caller === 'district token') && response.statusCode === 401) {
      tokens[fuzzed.caller] = await createToken(fuzzed.caller);
    }
  }

  it(`answers ${RUNS} generated operations without a 5xx, an internal error, a stack trace, SQL or an echo`, async () => {
    const schema = buildSchema();
    schemaWords = wordsOf(schema);
    const serverNames = Object.keys(SERVERS) as ServerName[];
    const fuzzed: fc.Arbitrary<Fuzzed> = fc.record({
      server: fc.oneof(...serverNames.map((name) => ({ arbitrary: fc.constant(name), weight: SERVERS[name].weight }))),
      caller: fc.oneof(...CALLERS),
      address: fc.tuple(fc.nat(255), fc.nat(255)).map(([high, low]) => `10.77.${high}.${low}`),
      request: fuzzRequests({ schema, seeded }),
    });
    const statuses = new Map<number, number>();
    /** FUZZ_KEEP_GOING: the first failure of each kind, by kind, instead of stopping (and shrinking) at the first. */
    const failures = new Map<string, string>();
    let run = 0;
    const started = performance.now();
    console.info(`fuzzing on ${engine.name}: FUZZ_SEED=${SEED}${PATH ? ` FUZZ_PATH=${PATH}` : ''}, ${RUNS} runs`);
    await fc.assert(
      fc.asyncProperty(fuzzed, async (fuzz) => {
        const index = run++;
        const loggedBefore = logged.length;
        const response = await servers[fuzz.server].inject({
          method: fuzz.request.method,
          url: fuzz.request.url,
          headers: { ...fuzz.request.headers, ...credentials(fuzz.caller, fuzz.server) },
          payload: fuzz.request.body,
          remoteAddress: fuzz.address,
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        const problems = problemsOf(response, fuzz.server, fuzz.request);
        if (problems.length > 0) {
          const report = [
            ...problems,
            `response ${response.statusCode}: ${response.body.slice(0, 2_000)}`,
            ...logged.slice(loggedBefore).map((line) => `server log: ${line.slice(0, 2_000)}`),
          ].join('\n');
          if (!KEEP_GOING) throw new Error(report);
          const kind = kindOfFailure(problems, logged.slice(loggedBefore));
          if (!failures.has(kind)) {
            const request = JSON.stringify(fuzz).slice(0, 3_000);
            failures.set(kind, `FUZZ_SEED=${SEED} FUZZ_PATH=${index}\n${request}\n${report}`);
          }
        }
        await restoreCredentials(fuzz, response);
      }),
      { numRuns: RUNS, seed: SEED, path: PATH, endOnFailure: process.env.FUZZ_SHRINK === 'false' },
    );
    const seconds = (performance.now() - started) / 1000;
    const byStatus = JSON.stringify(Object.fromEntries([...statuses].sort(([a], [b]) => a - b)));
    console.info(`fuzzed ${run} operations on ${engine.name} in ${seconds.toFixed(1)} s; statuses: ${byStatus}`);
    // Allowed, as a 503 with Retry-After is an honest answer, but worth a look: nothing here should overload the pool.
    const unavailable = statuses.get(503) ?? 0;
    if (unavailable > 0)
      console.warn(`${unavailable} operations on ${engine.name} were answered 503 Service Unavailable`);
    expect([...failures.values()]).toEqual([]);
  }, 360_000);

  it('still answers afterwards: a plain query on every server, liveness, and a signed-in viewer', async () => {
    for (const name of Object.keys(SERVERS) as ServerName[]) {
      const health = await post(name, '{ __typename }', {}, {});
      expect(health.statusCode).toBe(200);
      expect(health.json()).toEqual({ data: { __typename: 'Query' } });
      expect((await servers[name].inject({ url: '/healthz' })).statusCode).toBe(200);
    }
    const viewer = await post(
      'production',
      '{ viewer { role } }',
      {},
      { cookie: `${sessionCookieName({ env: 'production' })}=${await signIn('district admin')}` },
    );
    expect(viewer.json()).toEqual({ data: { viewer: { role: 'DISTRICT_ADMIN' } } });
  });
});

/**
 * A failure without the particulars of its request (names, values, numbers), to tell kinds of failure apart: its
 * problems, and the cause the server logged, which production keeps out of the response.
 */
function kindOfFailure(problems: string[], logLines: string[]): string {
  const causes = logLines.map((line) => String((JSON.parse(line) as { err?: { message?: string } }).err?.message));
  return [...problems, ...causes].map((text) => text.split(/["{[]/)[0]!.replace(/\d+/g, 'N').slice(0, 70)).join('; ');
}
