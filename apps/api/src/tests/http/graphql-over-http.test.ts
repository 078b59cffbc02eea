/**
 * GraphQL over HTTP: conformance (graphql-http's audits against the running server), CSRF prevention, no
 * batching, GET never mutating, body and token limits, client mistakes in both executors, and production's
 * closed doors.
 */
import { testEngines } from '@pastoral/db/testing';
import { auditServer } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

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
