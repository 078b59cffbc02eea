/**
 * The HTTP surface: GraphQL over HTTP conformance (graphql-http's audits against the running server), request
 * ids, CSRF prevention, no batching, GET never mutating, body limits, and production's closed doors.
 */
import { connect, type AddressInfo } from 'node:net';
import { createDb } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { auditServer } from 'graphql-http';
import { sql } from 'kysely';
import { type Logger, pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { DeadlinePlugin, RequestDeadlineError } from '../../request-deadline.ts';
import { buildServer } from '../../server.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { connectAsAnotherSession } from '../../testing/other-session.ts';

const engine = testEngines()[0]!;

describe('GraphQL over HTTP', () => {
  let api: ApiHarness;
  let url: string;
  beforeAll(async () => {
    api = await startApiHarness(engine, { seed: false });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const address = api.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    url = `http://127.0.0.1:${address.port}/graphql`;
  });
  afterAll(() => api.close());

  it("passes every MUST of graphql-http's server audits", async () => {
    const results = await auditServer({ url, fetchFn: fetch });
    const errors = results.filter((result) => result.status === 'error').map((result) => `${result.id} ${result.name}`);
    expect(errors).toEqual([]);
    expect(results.length).toBeGreaterThan(20);
  });

  it('names every response with a request id, keeping a well-formed one the caller sent', async () => {
    const fresh = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ viewer { role } }"}',
    });
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'trace-1234-abcd' },
      body: '{"query":"{ viewer { role } }"}',
    });
    expect(kept.headers.get('x-request-id')).toBe('trace-1234-abcd');
    const refused = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'bad id with spaces\n' },
      body: '{"query":"{ viewer { role } }"}',
    }).catch(() => null);
    expect(refused?.headers.get('x-request-id') ?? '').not.toContain(' ');
  });

  it('refuses a simple cross-site POST (CSRF) and a GET that would mutate', async () => {
    const csrf = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"query":"mutation { signOut { signedOut } }"}',
    });
    expect(csrf.status).toBe(400);
    expect(await csrf.text()).toContain('Cross-Site Request Forgery');
    const get = await fetch(`${url}?query=${encodeURIComponent('mutation { signOut { signedOut } }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(get.status).toBe(405);
  });

  it('refuses batched requests', async () => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ query: '{ viewer { role } }' }, { query: '{ viewer { role } }' }]),
    });
    expect(response.status).toBe(400);
  });

  it('answers a syntax error with 400, not 500, and refuses documents over the token limit', async () => {
    const syntax = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"query":"{ viewer { "}',
    });
    expect(syntax.status).toBe(400);
    const tokens = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ ${'viewer { role } '.repeat(1500)} }` }),
    });
    expect(tokens.status).toBe(400);
    expect(JSON.stringify(await tokens.json())).toContain(
      'The document has more than 5000 tokens, the limit; send a smaller document or split it.',
    );
  });
});

describe.each(['jit', 'graphql-js'])('variables of the wrong type or shape, executed by %s', (executor) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness(engine, { seed: false, environment: { GRAPHQL_EXECUTOR: executor } });
  });
  afterAll(() => api.close());
  const SIGN_IN = 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }';

  it.each([
    [
      { email: 42, password: 'Secret-1' },
      'Variable "$input" at "input.email" is not valid: String cannot represent a non string value.',
    ],
    [
      { email: 'a@b.c', password: 'Secret-2', extra: 1 },
      'Variable "$input" is not valid: Field "extra" is not defined by type "SignInInput".',
    ],
    [
      { email: 'a@b.c', password: 12345 },
      'Variable "$input" at "input.password" is not valid: String cannot represent a non string value.',
    ],
  ])('answers %j with a 400 that names the variable and why, quoting no value', async (input, message) => {
    const response = await api.graphql(SIGN_IN, { input });
    expect(response.status).toBe(400);
    expect(response.body).toEqual({
      errors: [{ message, locations: [{ line: 1, column: 11 }], extensions: { code: 'BAD_USER_INPUT' } }],
    });
    expect(response.statements).toEqual([]);
  });
});

describe.each(['jit', 'graphql-js'])('client mistakes executed by %s, in production', (executor) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness(engine, {
      seed: false,
      environment: { NODE_ENV: 'production', GRAPHQL_EXECUTOR: executor },
    });
  });
  afterAll(() => api.close());
  const post = async (body: object) => {
    const response = await api.request({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    const { errors } = JSON.parse(response.body) as { errors: { message: string; extensions: { code: string } }[] };
    return { status: response.status, error: { message: errors[0]!.message, code: errors[0]!.extensions.code } };
  };

  it.each([
    [
      'an operation name that names nothing',
      { query: 'query { __typename }', operationName: 'Missing' },
      { message: 'Unknown operation named "Missing".', code: 'OPERATION_RESOLUTION_FAILURE' },
    ],
    [
      'a subscription',
      { query: 'subscription { __typename }' },
      {
        message: 'This API has no subscriptions; ask with a query, and ask again for changes.',
        code: 'GRAPHQL_VALIDATION_FAILED',
      },
    ],
    [
      "a persisted query hash that is not the query's",
      { query: '{ __typename }', extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } } },
      {
        message:
          'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it; send the hash of this query.',
        code: 'BAD_REQUEST',
      },
    ],
    [
      'a persisted query version other than 1',
      { extensions: { persistedQuery: { version: 2, sha256Hash: 'a'.repeat(64) } } },
      { message: 'Persisted queries are version 1: send extensions.persistedQuery.version 1.', code: 'BAD_REQUEST' },
    ],
    [
      'more than 50 variable errors',
      {
        query: 'query ($f: AlertFilter) { alerts(filter: $f) { totalCount } }',
        variables: { f: { status: Array.from({ length: 51 }, () => null) } },
      },
      {
        message: 'The variables have more than 50 errors; correct the ones reported and send again.',
        code: 'BAD_USER_INPUT',
      },
    ],
  ])('answers %s with a 400 that says so, not as a server error', async (_name, body, error) => {
    const response = await post(body);
    expect(response.status).toBe(400);
    if (error.code === 'BAD_USER_INPUT') {
      // graphql-js reports the first 50 errors, then this one.
      const all = await api.request({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify(body),
      });
      const errors = (JSON.parse(all.body) as { errors: { message: string; extensions: { code: string } }[] }).errors;
      expect(errors).toHaveLength(51);
      expect(errors.at(-1)).toMatchObject({ message: error.message, extensions: { code: error.code } });
    } else {
      expect(response.error).toEqual(error);
    }
  });
});

describe('in production', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness(engine, { environment: { NODE_ENV: 'production' } });
  });
  afterAll(() => api.close());

  it('has no introspection, no "Did you mean" hints and no stack traces', async () => {
    const introspection = await api.graphql('{ __schema { types { name } } }');
    expect(introspection.status).toBe(400);
    expect(JSON.stringify(introspection.body)).toContain('introspection');
    const typo = await api.graphql('{ viewr { role } }');
    expect(typo.status).toBe(400);
    expect(JSON.stringify(typo.body)).not.toContain('Did you mean');
    expect(JSON.stringify(typo.body)).not.toContain('stacktrace');
  });

  it('serves no playground unless PLAYGROUND=true', async () => {
    const page = await api.app.inject({ url: '/graphql', headers: { accept: 'text/html' } });
    expect(page.body).not.toContain('GraphQL playground');
    expect((await api.app.inject({ url: '/graphiql', headers: { accept: 'text/html' } })).body).not.toContain(
      'GraphQL playground',
    );
  });

  it('sets the session cookie with the __Host- prefix and Secure', async () => {
    const response = await api.graphql(
      'mutation { signIn(input: { email: "form.master@s01.pastoral.example", password: "pastoral-demo" }) { userErrors { message } } }',
    );
    expect(String(response.headers['set-cookie'])).toMatch(
      /^__Host-pastoral_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200; Secure$/,
    );
  });
});

describe.each(testEngines())('HTTP conventions on $name', (engine) => {
  let api: ApiHarness;
  let token: string;
  beforeAll(async () => {
    // As clients meet it: no stack traces in the errors.
    api = await startApiHarness(engine, { environment: { NODE_ENV: 'production' } });
    const admin = await api.signIn('school.admin@s01.pastoral.example');
    const created = await api.graphql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "Conventions", scopes: [STUDENTS_READ] }) { token } }',
      {},
      admin,
    );
    token = created.body.data!.createApiToken.token;
  });
  afterAll(() => api.close());

  const post = (payload: string, headers: Record<string, string> = {}) =>
    api.request({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...headers },
      payload,
    });
  const STUDENTS = JSON.stringify({ query: '{ students(first: 1) { totalCount } }' });

  it('reads the Bearer scheme in any case, as RFC 9110 has it', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      const response = await post(STUDENTS, { authorization: `${scheme}  ${token}` });
      expect({ scheme, status: response.status }).toEqual({ scheme, status: 200 });
      expect(JSON.parse(response.body)).toEqual({ data: { students: { totalCount: expect.any(Number) } } });
    }
  });

  it("answers 401 with RFC 6750's WWW-Authenticate: invalid_token for a refused token, the scheme alone without one", async () => {
    const unknown = await post(STUDENTS, { authorization: `bearer pst_${'A'.repeat(43)}` });
    const empty = await post(STUDENTS, { authorization: 'Bearer' });
    const anonymous = await post(STUDENTS);
    const challenges = [unknown, empty, anonymous].map((response) => ({
      status: response.status,
      challenge: response.headers['www-authenticate'],
      body: JSON.parse(response.body) as unknown,
    }));
    const message = (text: string) => [{ message: text, extensions: { code: 'UNAUTHENTICATED' } }];
    expect(challenges).toEqual([
      {
        status: 401,
        challenge:
          'Bearer error="invalid_token", error_description="The API token is not valid: it is unknown, revoked or expired."',
        body: { errors: message('The API token is not valid: it is unknown, revoked or expired.') },
      },
      {
        status: 401,
        challenge:
          'Bearer error="invalid_token", error_description="The Authorization header names the Bearer scheme but no token; send Bearer and the token."',
        body: {
          errors: message('The Authorization header names the Bearer scheme but no token; send Bearer and the token.'),
        },
      },
      {
        status: 401,
        challenge: 'Bearer',
        body: {
          data: null,
          errors: [
            {
              ...message('Sign in first: this field needs a signed-in user.')[0],
              locations: [{ line: 1, column: 3 }],
              path: ['students'],
            },
          ],
        },
      },
    ]);
  });

  it.each([
    [
      'a body over 1 MiB',
      () => post(JSON.stringify({ query: `{ viewer { role } } # ${'x'.repeat(1024 * 1024)}` })),
      413,
      'PAYLOAD_TOO_LARGE',
      'The request body is larger than 1024 KiB; send a smaller document or fewer records per request.',
    ],
    [
      'a content type it does not read',
      () => post('<query/>', { 'content-type': 'application/xml' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send the request body as application/json (GraphQL over HTTP), not application/xml.',
    ],
    [
      'a body that is not JSON',
      () => post('{"query": "{ viewer { role } }", "variables": {"password": "hunter2'),
      400,
      'BAD_REQUEST',
      'The request body is not valid JSON; send a JSON object such as {"query": "{ viewer { role } }"}.',
    ],
    [
      'an empty body',
      () => post(''),
      400,
      'BAD_REQUEST',
      'The request body is empty; send a JSON object such as {"query": "{ viewer { role } }"}.',
    ],
    [
      'a method /graphql does not take',
      () =>
        api.request({
          method: 'PUT',
          url: '/graphql',
          headers: { 'content-type': 'application/json' },
          payload: STUDENTS,
        }),
      405,
      'METHOD_NOT_ALLOWED',
      '/graphql takes GET, POST, OPTIONS, not PUT: send queries with GET or POST, mutations with POST.',
    ],
  ])('refuses %s with a GraphQL error and its status', async (_name, send, status, code, message) => {
    const response = await send();
    expect({
      status: response.status,
      type: response.headers['content-type'],
      body: JSON.parse(response.body),
    }).toEqual({
      status,
      type: 'application/json; charset=utf-8',
      body: { errors: [{ message, extensions: { code } }] },
    });
    if (status === 405) expect(response.headers.allow).toBe('GET, POST, OPTIONS');
    expect(response.statements).toEqual([]);
  });
});

const mysql = testEngines().find((candidate) => candidate.name === 'mysql');

describe.runIf(mysql)('when the database cannot serve', () => {
  it('answers 503 with Retry-After, fast, whether the session lookup or a resolver meets the busy pool', async () => {
    const database = await mysql!.createDatabase();
    const busy = createDb(database.url, { pool: { size: 1, overflow: 0, maxWaiting: 0, acquireTimeoutMs: 200 } });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const app = await buildServer({ config, database: busy, logger: createLogger(config) });
    try {
      const holding = sql`select sleep(1)`.execute(busy.db);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      for (const cookie of [undefined, `pastoral_session=${'a'.repeat(43)}`]) {
        const response = await app.inject({
          method: 'POST',
          url: '/graphql',
          headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
          payload: JSON.stringify({ query: '{ schools { totalCount } viewer { role } }' }),
        });
        if (!cookie) {
          // Anonymous: the resolver needs no database, so the session-free request still works.
          expect(response.statusCode).toBe(401);
          continue;
        }
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBeDefined();
        expect(response.json().errors[0]).toMatchObject({
          message: 'All 1 database connections are busy and 0 requests are already waiting.',
          extensions: { code: 'DATABASE_UNAVAILABLE' },
        });
      }
      expect(Date.now() - started).toBeLessThan(500);
      await holding;
    } finally {
      await app.close();
      await busy.destroy();
      await database.drop();
    }
  });
});

describe.runIf(mysql)('the request deadline', () => {
  it('stops a statement that runs past it on the server, and answers 503', async () => {
    const api = await startApiHarness(mysql!);
    const handle = createDb(api.database.url, { statementTimeoutMs: 300 });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '300' });
    const app = await buildServer({ config, database: handle, logger: createLogger(config) });
    const locker = await connectAsAnotherSession(api.database.url);
    try {
      const cookie = await api.signIn('district.admin@pastoral.example');
      // Another session holds the table: our read waits, as it would behind a long migration or a stuck writer.
      await locker.query('lock tables schools write');
      const started = Date.now();
      const response = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', cookie },
        payload: JSON.stringify({ query: '{ schools { totalCount } }' }),
      });
      const elapsed = Date.now() - started;
      expect(response.statusCode).toBe(503);
      expect(response.json().errors[0]).toMatchObject({
        message:
          'A database statement ran past the 300 ms request deadline and was stopped; ask for less at once, or retry.',
        extensions: { code: 'REQUEST_TIMEOUT' },
      });
      expect(elapsed).toBeLessThan(1500);
    } finally {
      await locker.query('unlock tables');
      await locker.end();
      await app.close();
      await handle.destroy();
      await api.close();
    }
  });
});

describe('the deadline plugin', () => {
  it('sends no statement once the deadline has passed', async () => {
    const database = await engine.createDatabase();
    try {
      const late = database.handle.db.withPlugin(new DeadlinePlugin(Date.now() - 1, 250));
      await expect(late.selectFrom('schools').selectAll().execute()).rejects.toThrow(
        new RequestDeadlineError(
          'The request ran past its 250 ms deadline and was stopped; ask for less at once, or retry.',
        ),
      );
      const inTime = database.handle.db.withPlugin(new DeadlinePlugin(Date.now() + 10_000, 10_000));
      expect(await inTime.selectFrom('schools').selectAll().execute()).toEqual([]);
    } finally {
      await database.drop();
    }
  });
});

describe('a web app hosted on another origin', () => {
  it('may call with its cookie from an origin in CORS_ORIGINS, and from no other', async () => {
    const database = await engine.createDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', CORS_ORIGINS: 'https://app.school.example' });
    const app = await buildServer({ config, database: database.handle, logger: createLogger(config) });
    try {
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/graphql',
        headers: { origin: 'https://app.school.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.school.example');
      expect(preflight.headers['access-control-allow-credentials']).toBe('true');
      const stranger = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        payload: '{"query":"{ viewer { role } }"}',
      });
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('refuses a CORS_ORIGINS entry that is not an origin', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'app.school.example/path' })).toThrow(
      'CORS_ORIGINS: expected origins such as',
    );
  });
});

describe.each(testEngines())('security headers on $name', (engine) => {
  const HEADERS = {
    'content-security-policy':
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self';font-src 'self';connect-src 'self';worker-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  const pick = (headers: Record<string, unknown>, names: string[]) =>
    Object.fromEntries(names.map((name) => [name, headers[name]]));

  it('sends the CSP, nosniff, Referrer-Policy and no framing on every response', async () => {
    const api = await startApiHarness(engine, { seed: false, environment: { NODE_ENV: 'production' } });
    try {
      for (const request of [
        { url: '/healthz' },
        { url: '/graphql', method: 'POST' as const, payload: { query: '{ viewer { role } }' } },
        {
          url: '/graphql',
          method: 'POST' as const,
          payload: 'not json',
          headers: { 'content-type': 'application/json' },
        },
        { url: '/nowhere', headers: { accept: 'application/json' } },
      ]) {
        const response = await api.app.inject(request);
        expect({ url: request.url, ...pick(response.headers, Object.keys(HEADERS)) }).toEqual({
          url: request.url,
          ...HEADERS,
        });
      }
    } finally {
      await api.close();
    }
  });

  it('sends Strict-Transport-Security only for a request that came over TLS, as a trusted proxy says', async () => {
    const overTls = { 'x-forwarded-proto': 'https' };
    const trusting = await startApiHarness(engine, { seed: false, environment: { TRUST_PROXY: 'true' } });
    const untrusting = await startApiHarness(engine, { seed: false, environment: { TRUST_PROXY: 'false' } });
    try {
      const hsts = async (api: ApiHarness, headers: Record<string, string>) =>
        (await api.app.inject({ url: '/healthz', headers })).headers['strict-transport-security'];
      expect({
        trustedProxyOverTls: await hsts(trusting, overTls),
        trustedProxyPlainHttp: await hsts(trusting, { 'x-forwarded-proto': 'http' }),
        noProxyHeader: await hsts(trusting, {}),
        untrustedHeader: await hsts(untrusting, overTls),
      }).toEqual({
        trustedProxyOverTls: 'max-age=31536000; includeSubDomains',
        trustedProxyPlainHttp: undefined,
        noProxyHeader: undefined,
        untrustedHeader: undefined,
      });
    } finally {
      await trusting.close();
      await untrusting.close();
    }
  });
});

describe.each(testEngines())('request ids on $name', (engine) => {
  let api: ApiHarness;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let port: number;
  /** Every line the server logs, at the most talkative level. */
  const logged: string[] = [];
  const SIGN_IN = JSON.stringify({
    query:
      'mutation { signIn(input: { email: "form.master@s01.pastoral.example", password: "pastoral-demo" }) { userErrors { message } } }',
  });

  beforeAll(async () => {
    api = await startApiHarness(engine);
    const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'trace' });
    const logger = pino({ level: 'trace' }, { write: (line: string) => void logged.push(line) }) as Logger;
    app = await buildServer({ config, database: api.database.handle, logger });
    await app.listen({ host: '127.0.0.1', port: 0 });
    port = (app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await api.close();
  });

  /** A sign-in over a socket, with these header lines written as given: a client may send any bytes. */
  function signInWith(headerLines: string[]): Promise<{ status: number; requestId: string | undefined }> {
    return new Promise((resolve, reject) => {
      let answer = '';
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          [
            'POST /graphql HTTP/1.1',
            'Host: 127.0.0.1',
            'Content-Type: application/json',
            `Content-Length: ${Buffer.byteLength(SIGN_IN)}`,
            'Connection: close',
            ...headerLines,
            '',
            SIGN_IN,
          ].join('\r\n'),
          'latin1',
        );
      });
      socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () =>
        resolve({
          status: Number(answer.split(' ')[1]),
          requestId: /^x-request-id: (.*)$/im.exec(answer)?.[1]?.trim(),
        }),
      );
    });
  }

  /** The request ids of the sign-ins the audit log holds. */
  const auditedRequestIds = async () =>
    (
      await api.database.handle.db
        .selectFrom('audit_log')
        .select('request_id')
        .where('action', '=', 'session.signed_in')
        .execute()
    ).map((row) => row.request_id);

  it('keeps a well-formed X-Request-Id, in the answer and the audit log', async () => {
    const answer = await signInWith(['X-Request-Id: trace-1234-abcd']);
    expect(answer).toEqual({ status: 200, requestId: 'trace-1234-abcd' });
    expect(await auditedRequestIds()).toContain('trace-1234-abcd');
  });

  it.each([
    ['too long', [`X-Request-Id: ${'a'.repeat(65)}`], 'a'.repeat(65)],
    ['with spaces', ['X-Request-Id: abc def ghi jkl'], 'abc def ghi jkl'],
    ['with letters beyond ASCII', ['X-Request-Id: \u00f1and\u00fa-12345678'], 'and\u00fa-12345678'],
    ['an e-mail address', ['X-Request-Id: jane.doe@example.org'], 'jane.doe@example.org'],
    ['sent twice', ['X-Request-Id: first-1234-abcd', 'X-Request-Id: second-5678-efgh'], 'first-1234-abcd'],
  ])(
    'replaces an X-Request-Id %s with a fresh one, in the answer, the audit log and the logs',
    async (_name, header, sent) => {
      const before = logged.length;
      const answer = await signInWith(header);
      expect(answer.status).toBe(200);
      expect(answer.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      const audited = await auditedRequestIds();
      expect(audited).toContain(answer.requestId);
      expect(audited.filter((id) => id?.includes(sent.slice(0, 12)))).toEqual([]);
      const lines = logged.slice(before);
      expect(lines.some((line) => line.includes(answer.requestId!))).toBe(true);
      expect(lines.filter((line) => line.includes(sent.slice(0, 12)))).toEqual([]);
    },
  );

  it.each([
    ['a carriage return', 'X-Request-Id: abc\rdef-12345678'],
    ['a line feed that would start a header of its own', 'X-Request-Id: abcd-12345678\nX-Injected: yes'],
  ])('refuses a request whose X-Request-Id holds %s before it reaches the API', async (_name, header) => {
    const audited = (await auditedRequestIds()).length;
    const before = logged.length;
    expect((await signInWith([header])).status).toBe(400);
    expect((await auditedRequestIds()).length).toBe(audited);
    expect(logged.slice(before).filter((line) => /12345678|Injected/.test(line))).toEqual([]);
  });
});
