/**
 * Secrets (issue #8, item 8): passwords, session ids and API tokens never appear in the logs, in error
 * responses or in the audit log, and the database holds them only as hashes. The API runs as a real command,
 * logging everything it can (LOG_LEVEL=trace, every statement as a slow query), through every path a secret
 * takes: sign-in right and wrong, a session used and ended, a token made, used, refused and revoked, and
 * requests that fail in parsing, validation and variable coercion while carrying a password. Then every line it
 * logged, every error it answered and every row of every table is searched for each secret.
 */
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testing/free-port.ts';
import { type ServeCommand, startServeCommand } from '../../testing/processes.ts';
import { createSeededDatabase, DEMO_PASSWORD } from '../../testing/seeded-database.ts';

const SIGN_IN = 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }';
/** Passwords tried and refused, each distinctive enough that finding it anywhere is a leak. */
const WRONG_PASSWORD = 'Wrong-Horse-Battery-4711';
const UNKNOWN_ACCOUNT_PASSWORD = 'Nobody-Knows-This-0815';
const INLINE_PASSWORD = 'Inline-Secret-In-The-Document-2208';
const VARIABLE_PASSWORD = 'Variable-Secret-Coerced-3319';
const FORGED_TOKEN = 'pastoral_forged_token_5f1c9a7e2b4d4c0e8a3f';
/** The production session cookie (startServeCommand runs in production, as users meet it). */
const COOKIE = '__Host-pastoral_session';

describe.each(testEngines())('secrets on $name', (engine) => {
  let database: TestDatabase;
  let serve: ServeCommand;
  let base: string;
  /** The `errors` of every response, as sent. */
  const errorBodies: string[] = [];
  /** Secrets the server handed out, to look for afterwards. */
  const issued: { sessionIds: string[]; tokens: string[] } = { sessionIds: [], tokens: [] };

  async function post(query: string, variables: object = {}, headers: Record<string, string> = {}) {
    const response = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const text = await response.text();
    const body = JSON.parse(text) as { data?: Record<string, unknown> | null; errors?: unknown[] };
    if (body.errors) errorBodies.push(JSON.stringify(body.errors));
    return { response, body };
  }

  async function signIn(email: string, password: string) {
    const { response, body } = await post(SIGN_IN, { input: { email, password } });
    const sessionId = response.headers.get('set-cookie')?.split(';')[0]?.split('=')[1];
    if (sessionId) issued.sessionIds.push(sessionId);
    return { sessionId, body };
  }

  beforeAll(async () => {
    database = await createSeededDatabase(engine, 1);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    serve = await startServeCommand(database.url, {
      PORT: String(port),
      METRICS_PORT: '',
      WEB_CONCURRENCY: '1',
      LOG_LEVEL: 'trace',
      SLOW_QUERY_MS: '0',
    });

    // Sign-in: right, wrong, unknown account.
    const admin = await signIn('school.admin@s01.pastoral.example', DEMO_PASSWORD);
    await signIn('school.admin@s01.pastoral.example', WRONG_PASSWORD);
    await signIn('nobody@pastoral.example', UNKNOWN_ACCOUNT_PASSWORD);
    const cookie = { cookie: `${COOKIE}=${admin.sessionId}` };
    expect((await post('{ viewer { role } }', {}, cookie)).body.data).toEqual({ viewer: { role: 'SCHOOL_ADMIN' } });

    // An API token: made, used, refused where its scope does not reach, revoked, refused.
    const created = await post(
      `mutation { createApiToken(input: { name: "Secrets test", scopes: [STUDENTS_READ] }) {
        token apiToken { id } userErrors { message } } }`,
      {},
      cookie,
    );
    const { token, apiToken } = created.body.data!.createApiToken as { token: string; apiToken: { id: string } };
    issued.tokens.push(token);
    const bearer = { authorization: `Bearer ${token}` };
    expect((await post('{ students(first: 2) { nodes { fullName } } }', {}, bearer)).response.status).toBe(200);
    await post('{ cases(first: 1) { totalCount } }', {}, bearer);
    await post(`mutation { revokeApiToken(input: { id: "${apiToken.id}" }) { userErrors { message } } }`, {}, cookie);
    expect((await post('{ students(first: 1) { totalCount } }', {}, bearer)).response.status).toBe(401);
    await post('{ students(first: 1) { totalCount } }', {}, { authorization: `Bearer ${FORGED_TOKEN}` });

    // Requests that fail before they run, carrying a password: a syntax error, a validation error, a variable
    // of the wrong shape (GraphQL's coercion error quotes the value it refused).
    await post(`mutation { signIn(input: { email: "a@b.c", password: "${INLINE_PASSWORD}" }) { userErrors { `);
    await post(`mutation { signIn(input: { email: "a@b.c", password: "${INLINE_PASSWORD}", extra: 1 }) { token } }`);
    await post(SIGN_IN, { input: { email: 'a@b.c', password: VARIABLE_PASSWORD, rememberMe: true } });
    await post(SIGN_IN, { input: { email: 42, password: VARIABLE_PASSWORD } });

    // The session: used with a forged id, then ended and refused.
    await post('{ viewer { role } }', {}, { cookie: `${COOKIE}=${FORGED_TOKEN}` });
    await post('mutation { signOut { signedOut } }', {}, cookie);
    expect((await post('{ viewer { role } }', {}, cookie)).body.data).toEqual({ viewer: null });
  });
  afterAll(async () => {
    if (serve?.process.exitCode === null) serve.process.kill('SIGKILL');
    await database?.drop();
  });

  const secrets = () => [
    DEMO_PASSWORD,
    WRONG_PASSWORD,
    UNKNOWN_ACCOUNT_PASSWORD,
    INLINE_PASSWORD,
    VARIABLE_PASSWORD,
    FORGED_TOKEN,
    ...issued.sessionIds,
    ...issued.tokens,
  ];
  const found = (text: string) => secrets().filter((secret) => text.includes(secret));

  it('handed out a session id and a token to look for, and logged every statement', () => {
    expect(issued.sessionIds).toHaveLength(1);
    expect(issued.tokens).toHaveLength(1);
    expect(serve.output()).toContain('"msg":"slow query"');
    expect(errorBodies.length).toBeGreaterThanOrEqual(6);
  });

  it('never logs one', () => {
    expect(found(serve.output())).toEqual([]);
  });

  it('never answers one in an error', () => {
    expect(found(errorBodies.join('\n'))).toEqual([]);
  });

  it('keeps none in the database, audit log included: only hashes', async () => {
    const { db } = database.handle;
    const leaks: string[] = [];
    const tables =
      engine.name === 'sqlite'
        ? await sql<{ name: string }>`select name from sqlite_master where type = 'table'`.execute(db)
        : await sql<{ name: string }>`select table_name as name from information_schema.tables
            where table_schema = database()`.execute(db);
    for (const { name } of tables.rows) {
      const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
      for (const secret of found(JSON.stringify(rows.rows))) leaks.push(`${name}: ${secret.slice(0, 6)}…`);
    }
    expect(tables.rows.map((table) => table.name)).toEqual(expect.arrayContaining(['audit_log', 'sessions']));
    expect(leaks).toEqual([]);
  });
});
