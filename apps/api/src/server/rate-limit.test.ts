/**
 * The rate limit of /graphql (issue #19, item 9): a budget per principal (a staff session, an API token, the
 * address of requests that prove no one), the IETF RateLimit fields on every answer, 429 with Retry-After past
 * the budget, forged credentials charged to their address before any lookup, and with Redis one budget shared by
 * every server. On every engine, with and without Redis.
 */
import { randomBytes } from 'node:crypto';
import { testEngines } from '@pastoral/db/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { addressKey } from './rate-limit.ts';
import { buildServer } from '../server.ts';
import { dashboardCacheNamespace } from '../modules/dashboard/dashboard.cache.ts';
import { hashSessionId } from '../modules/auth/session.ts';
import { type ApiHarness, type RawResponse, serversSharingRedis, startApiHarness } from '../testing/api-harness.ts';

const redisUrl = process.env.TEST_REDIS_URL;
const DEFAULTS = { RATE_LIMIT_WINDOW_S: '', RATE_LIMIT_STAFF: '', RATE_LIMIT_TOKEN: '', RATE_LIMIT_ANONYMOUS: '' };
const SMALL = {
  RATE_LIMIT_WINDOW_S: '60',
  RATE_LIMIT_STAFF: '5',
  RATE_LIMIT_TOKEN: '8',
  RATE_LIMIT_ANONYMOUS: '3',
};
const VIEWER = '{ viewer { role } }';
const CREATE_TOKEN =
  'mutation ($name: String!) { createApiToken(input: { name: $name, scopes: [STUDENTS_READ] }) { token } }';
const SIGN_IN = 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }';

/** Sends a GraphQL request as `cookie` or `token` (or as no one) from the client address `from`. */
type Send = (options?: {
  cookie?: string;
  token?: string;
  authorization?: string;
  from?: string;
  query?: string;
  variables?: object;
}) => Promise<
  RawResponse & { json: { data?: unknown; errors?: { message: string; extensions?: Record<string, unknown> }[] } }
>;

type Server = Awaited<ReturnType<typeof buildServer>>;

function sender(app: ApiHarness | Server): Send {
  return async ({ cookie, token, authorization, from = '127.0.0.1', query = VIEWER, variables } = {}) => {
    const options = {
      method: 'POST' as const,
      url: '/graphql',
      remoteAddress: from,
      headers: {
        'content-type': 'application/json',
        ...(cookie ? { cookie } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(authorization ? { authorization } : {}),
      },
      payload: JSON.stringify({ query, variables }),
    };
    if ('request' in app) {
      const response = await app.request(options);
      return { ...response, json: JSON.parse(response.body) };
    }
    const response = await app.inject(options);
    return {
      status: response.statusCode,
      headers: response.headers,
      body: response.body,
      statements: [],
      queries: [],
      json: response.json(),
    };
  };
}

/** The two fields, as sent. */
const fields = (response: RawResponse) => ({
  policy: response.headers['ratelimit-policy'],
  limit: response.headers.ratelimit,
});

/** What a response's RateLimit field says: the policy's name, what is left, and the seconds to the window's end. */
function left(response: RawResponse): { name: string; r: number; t: number } {
  const match = /^"([a-z-]+)";r=(\d+);t=(\d+)$/.exec(String(response.headers.ratelimit));
  if (!match) throw new Error(`not a RateLimit field: ${String(response.headers.ratelimit)}`);
  return { name: match[1]!, r: Number(match[2]), t: Number(match[3]) };
}

const randomSessionCookie = () => `pastoral_session=${randomBytes(32).toString('base64url')}`;
const randomToken = () => `pst_${randomBytes(32).toString('base64url')}`;

async function signInFrom(send: Send, from: string, email: string): Promise<{ cookie: string; response: RawResponse }> {
  const response = await send({
    from,
    query: SIGN_IN,
    variables: { input: { email, password: 'pastoral-demo' } },
  });
  const cookie = String(response.headers['set-cookie']).split(';')[0]!;
  expect(cookie).toMatch(/^pastoral_session=[A-Za-z0-9_-]{43}$/);
  return { cookie, response };
}

async function createToken(send: Send, adminCookie: string, name: string): Promise<string> {
  const created = await send({ from: '198.51.100.99', cookie: adminCookie, query: CREATE_TOKEN, variables: { name } });
  return (created.json.data as { createApiToken: { token: string } }).createApiToken.token;
}

for (const engine of testEngines()) {
  describe(`the rate limit of /graphql on ${engine.name}, on the defaults`, () => {
    let api: ApiHarness;
    let send: Send;
    beforeAll(async () => {
      api = await startApiHarness(engine, { environment: DEFAULTS });
      send = sender(api);
    });
    afterAll(() => api?.close());

    it('puts the IETF fields on every /graphql answer: 600 a minute per session, 1,200 per token, 300 per address', async () => {
      const anonymous = await send({ from: '203.0.113.1' });
      expect(anonymous.status).toBe(200);
      expect(fields(anonymous)).toEqual({ policy: '"anonymous";q=300;w=60', limit: '"anonymous";r=299;t=60' });

      const { cookie, response: signedIn } = await signInFrom(send, '203.0.113.1', 'form.master@s01.pastoral.example');
      // The sign-in proved a session: it is counted against the session, and refunded to the address.
      expect(fields(signedIn)).toEqual({ policy: '"staff";q=600;w=60', limit: '"staff";r=599;t=60' });
      const asStaff = await send({ from: '203.0.113.1', cookie });
      expect(fields(asStaff).policy).toBe('"staff";q=600;w=60');
      expect(left(asStaff)).toMatchObject({ name: 'staff', r: 598 });
      expect(left(await send({ from: '203.0.113.1' }))).toMatchObject({ name: 'anonymous', r: 298 });

      const admin = await api.signIn('school.admin@s01.pastoral.example');
      const token = await createToken(send, admin, 'defaults');
      const asToken = await send({ token, query: '{ __typename }' });
      expect(asToken.status).toBe(200);
      expect(fields(asToken)).toEqual({ policy: '"api-token";q=1200;w=60', limit: '"api-token";r=1199;t=60' });

      // Answers that never reach GraphQL carry them too: a body too large, a body that is not JSON.
      const rawPost = (payload: string) =>
        api.request({
          method: 'POST',
          url: '/graphql',
          remoteAddress: '203.0.113.2',
          headers: { 'content-type': 'application/json' },
          payload,
        });
      const tooLarge = await rawPost(JSON.stringify({ query: `{ viewer { role } } #${'x'.repeat(1_100_000)}` }));
      expect(tooLarge.status).toBe(413);
      expect(fields(tooLarge)).toEqual({ policy: '"anonymous";q=300;w=60', limit: '"anonymous";r=299;t=60' });
      const notJson = await rawPost('{"query":');
      expect(notJson.status).toBe(400);
      expect(left(notJson)).toMatchObject({ name: 'anonymous', r: 298 });
    });

    it('leaves health, readiness and the web app unlimited', async () => {
      for (const url of ['/healthz', '/readyz', '/nowhere']) {
        const response = await api.request({ method: 'GET', url, remoteAddress: '203.0.113.3' });
        expect(response.headers).not.toHaveProperty('ratelimit');
        expect(response.headers).not.toHaveProperty('ratelimit-policy');
      }
    });

    it('lets one address sign in 400 sessions, 20 at a time, as the load test does with 5,000', async () => {
      // Twenty accounts at once: concurrent sign-ins of one account are the sign-in throttle's to count.
      const staff = await api.database.handle.db.selectFrom('users').select('email').orderBy('id').limit(20).execute();
      expect(staff).toHaveLength(20);
      const answers: RawResponse[] = [];
      for (let round = 0; round < 20; round++) {
        const signedIn = await Promise.all(staff.map(({ email }) => signInFrom(send, '203.0.113.6', email)));
        answers.push(...signedIn.map(({ response }) => response));
      }
      expect(answers.filter((response) => response.status !== 200)).toEqual([]);
      expect(answers.every((response) => left(response).name === 'staff')).toBe(true);
      // Every sign-in was refunded to the address, whose budget is whole.
      expect(left(await send({ from: '203.0.113.6' }))).toMatchObject({ name: 'anonymous', r: 299 });
    });

    it("refuses an address's 301st anonymous request in a minute with 429 and Retry-After", async () => {
      for (let i = 1; i <= 300; i++) {
        const response = await send({ from: '203.0.113.4' });
        expect(response.status).toBe(200);
        expect(left(response).r).toBe(300 - i);
      }
      const refused = await send({ from: '203.0.113.4' });
      expect(refused.status).toBe(429);
      expect(refused.statements).toEqual([]);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(refused.headers.ratelimit).toBe(`"anonymous";r=0;t=${retryAfter}`);
      expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(refused.json).toEqual({
        errors: [
          {
            message:
              `Too many requests: retry after ${retryAfter} s. This address has sent 300 requests in 60 s without a ` +
              'valid session or API token, its budget. Sign in or send a valid token (each has a budget of its own); ' +
              'behind a shared proxy an administrator can set TRUST_PROXY or raise RATE_LIMIT_ANONYMOUS.',
            extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
          },
        ],
      });
      // Another address is untouched.
      expect(fields(await send({ from: '203.0.113.5' })).limit).toBe('"anonymous";r=299;t=60');
    });
  });

  describe(`the rate limit of /graphql on ${engine.name}, with small budgets`, () => {
    let api: ApiHarness;
    let send: Send;
    let tokens: string[];
    beforeAll(async () => {
      api = await startApiHarness(engine, { environment: SMALL });
      send = sender(api);
      const admin = await api.signIn('school.admin@s01.pastoral.example');
      tokens = [];
      for (const name of ['first', 'second']) tokens.push(await createToken(send, admin, name));
    });
    afterAll(() => api?.close());

    it('refuses a session past its budget, with a message that says when to retry and how to get more', async () => {
      const { cookie } = await signInFrom(send, '198.51.100.1', 'form.master@s01.pastoral.example');
      // The sign-in was the session's first request.
      for (let r = 3; r >= 0; r--) {
        const response = await send({ from: '198.51.100.1', cookie });
        expect(response.status).toBe(200);
        expect(response.json.data).toEqual({ viewer: { role: 'FORM_MASTER' } });
        expect(left(response)).toMatchObject({ name: 'staff', r });
      }
      const refused = await send({ from: '198.51.100.1', cookie });
      expect(refused.status).toBe(429);
      expect(refused.statements).toEqual([]);
      const retryAfter = Number(refused.headers['retry-after']);
      expect(fields(refused)).toEqual({ policy: '"staff";q=5;w=60', limit: `"staff";r=0;t=${retryAfter}` });
      expect(refused.json.errors).toEqual([
        {
          message:
            `Too many requests: retry after ${retryAfter} s. This session has sent 5 requests in 60 s, its budget. ` +
            'If staff need more, an administrator can raise RATE_LIMIT_STAFF.',
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
        },
      ]);

      // Another session, the same user's next one, and the address itself each keep their own budget.
      const colleague = await signInFrom(send, '198.51.100.1', 'pastoral.lead@s01.pastoral.example');
      expect(left(await send({ from: '198.51.100.1', cookie: colleague.cookie }))).toMatchObject({
        name: 'staff',
        r: 3,
      });
      const again = await signInFrom(send, '198.51.100.1', 'form.master@s01.pastoral.example');
      expect(left(await send({ from: '198.51.100.1', cookie: again.cookie }))).toMatchObject({ name: 'staff', r: 3 });
      expect(left(await send({ from: '198.51.100.1' }))).toMatchObject({ name: 'anonymous', r: 2 });
      expect((await send({ from: '198.51.100.1', cookie })).status).toBe(429);
    });

    it('gives every API token a budget of its own, apart from sessions', async () => {
      const [first, second] = tokens as [string, string];
      for (let r = 7; r >= 0; r--) {
        const response = await send({ from: '198.51.100.2', token: first, query: '{ __typename }' });
        expect(response.status).toBe(200);
        expect(fields(response).policy).toBe('"api-token";q=8;w=60');
        expect(left(response)).toMatchObject({ name: 'api-token', r });
      }
      const refused = await send({ from: '198.51.100.2', token: first, query: '{ __typename }' });
      expect(refused.status).toBe(429);
      expect(refused.json.errors![0]!.message).toBe(
        `Too many requests: retry after ${refused.headers['retry-after']} s. This API token has sent 8 requests in ` +
          '60 s, its budget; each token has its own. Send records in batches of up to 1,000, or ask the administrator ' +
          'to raise RATE_LIMIT_TOKEN.',
      );
      // From the same address: the second token, a session and anonymous requests are untouched.
      expect(left(await send({ from: '198.51.100.2', token: second, query: '{ __typename }' }))).toMatchObject({
        name: 'api-token',
        r: 7,
      });
      const { cookie } = await signInFrom(send, '198.51.100.2', 'form.master@s02.pastoral.example');
      expect(left(await send({ from: '198.51.100.2', cookie }))).toMatchObject({ name: 'staff', r: 3 });
      expect(left(await send({ from: '198.51.100.2' }))).toMatchObject({ name: 'anonymous', r: 2 });
    });

    it('charges forged cookies and tokens to their address, and refuses them before any lookup once it is spent', async () => {
      const { cookie } = await signInFrom(send, '198.51.100.3', 'form.master@s01.pastoral.example');
      // Each forged credential is new, yet all three share the address's budget of 3.
      const forged = [
        await send({ from: '198.51.100.3', cookie: randomSessionCookie() }),
        await send({ from: '198.51.100.3', token: randomToken() }),
        await send({ from: '198.51.100.3', cookie: randomSessionCookie() }),
      ];
      expect(forged.map((response) => response.status)).toEqual([200, 401, 200]);
      expect(forged.map((response) => left(response))).toMatchObject([
        { name: 'anonymous', r: 2 },
        { name: 'anonymous', r: 1 },
        { name: 'anonymous', r: 0 },
      ]);
      // Each was looked up (one statement or more), which is what found it forged.
      expect(forged.every((response) => response.statements.length > 0)).toBe(true);
      for (const credential of [{ cookie: randomSessionCookie() }, { token: randomToken() }, {}]) {
        const refused = await send({ from: '198.51.100.3', ...credential });
        expect(refused.status).toBe(429);
        expect(refused.statements).toEqual([]);
        expect(left(refused)).toMatchObject({ name: 'anonymous', r: 0 });
      }
      // The session proved at sign-in keeps its own budget on the spent address.
      const asStaff = await send({ from: '198.51.100.3', cookie });
      expect(asStaff.status).toBe(200);
      expect(asStaff.json.data).toEqual({ viewer: { role: 'FORM_MASTER' } });
      expect(left(asStaff)).toMatchObject({ name: 'staff', r: 3 });
    });

    it('counts a session behind Basic authentication (a staging site) against the session, not its address', async () => {
      const { cookie } = await signInFrom(send, '198.51.100.5', 'form.master@s01.pastoral.example');
      const response = await send({ from: '198.51.100.5', cookie, authorization: 'Basic c3RhZ2luZzpzZWNyZXQ=' });
      expect(response.json.data).toEqual({ viewer: { role: 'FORM_MASTER' } });
      expect(left(response)).toMatchObject({ name: 'staff', r: 3 });
    });

    it('refunds the address when a credential it does not know yet proves good', async () => {
      // A session signed in through another server on the same database is new to this one.
      const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
      const other = await buildServer({ config, database: api.database.handle, logger: createLogger(config) });
      try {
        const { cookie } = await signInFrom(sender(other), '198.51.100.4', 'pastoral.lead@s01.pastoral.example');
        expect(left(await send({ from: '198.51.100.4' }))).toMatchObject({ name: 'anonymous', r: 2 });
        const asStaff = await send({ from: '198.51.100.4', cookie });
        expect(asStaff.json.data).toEqual({ viewer: { role: 'PASTORAL_LEAD' } });
        expect(left(asStaff)).toMatchObject({ name: 'staff', r: 4 });
        // Charged to the address while unproved, refunded once proved: the address has 1 left, not 0.
        expect(left(await send({ from: '198.51.100.4' }))).toMatchObject({ name: 'anonymous', r: 1 });
        expect(left(await send({ from: '198.51.100.4', cookie }))).toMatchObject({ name: 'staff', r: 3 });
      } finally {
        await other.close();
      }
    });
  });

  describe(`the rate limit's window on ${engine.name}`, () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApiHarness(engine, {
        seed: false,
        environment: { RATE_LIMIT_WINDOW_S: '1', RATE_LIMIT_ANONYMOUS: '2' },
      });
    });
    afterAll(() => api?.close());

    it('starts the budget again when the window ends', async () => {
      await expectWindowReset(sender(api));
    });
  });

  describe.runIf(redisUrl)(`the rate limit shared through Redis on ${engine.name}`, () => {
    const servers = serversSharingRedis(engine, redisUrl!, SMALL);
    let redis: Redis;
    beforeAll(() => {
      redis = new Redis(redisUrl!);
    });
    afterAll(async () => {
      await redis?.quit();
    });

    it('counts every request of a principal against one budget, whichever server answers it', async () => {
      const [one, two] = [sender(servers.api), sender(servers.other)];
      const { cookie } = await signInFrom(one, '192.0.2.1', 'form.master@s01.pastoral.example');
      const answers = [];
      for (const send of [two, one, two, one]) answers.push(await send({ from: '192.0.2.1', cookie }));
      expect(answers.map((response) => left(response))).toMatchObject([
        { name: 'staff', r: 3 },
        { name: 'staff', r: 2 },
        { name: 'staff', r: 1 },
        { name: 'staff', r: 0 },
      ]);
      expect(answers.every((response) => response.status === 200)).toBe(true);
      expect((await two({ from: '192.0.2.1', cookie })).status).toBe(429);
      expect((await one({ from: '192.0.2.1', cookie })).status).toBe(429);

      // Forged cookies sent to both servers share their address's one budget too.
      const forged = [];
      for (const send of [one, two, one, two])
        forged.push(await send({ from: '192.0.2.2', cookie: randomSessionCookie() }));
      expect(forged.map((response) => response.status)).toEqual([200, 200, 200, 429]);
    });

    it('keeps hashes in Redis, under a prefix of this database, never the credentials', async () => {
      const { cookie } = await signInFrom(sender(servers.api), '192.0.2.3', 'pastoral.lead@s01.pastoral.example');
      await sender(servers.other)({ from: '192.0.2.3', cookie });
      const prefix = `pastoral:ratelimit:${dashboardCacheNamespace(servers.api.database.handle.description)}:`;
      const sessionId = cookie.split('=')[1]!;
      const keys = await redis.keys(`${prefix}*`);
      expect(keys).toContain(`${prefix}address:192.0.2.3`);
      expect(keys).toContain(`${prefix}session:${hashSessionId(sessionId)}`);
      expect(keys).toContain(`${prefix}proved:session:${hashSessionId(sessionId)}`);
      expect(keys.filter((key) => key.includes(sessionId))).toEqual([]);
      expect(await redis.hget(`${prefix}session:${hashSessionId(sessionId)}`, 'n')).toBe('2');
    });
  });
}

describe.runIf(redisUrl)('the rate limit window in Redis', () => {
  const servers = serversSharingRedis(testEngines()[0]!, redisUrl!, {
    RATE_LIMIT_WINDOW_S: '1',
    RATE_LIMIT_ANONYMOUS: '2',
  });
  it('starts the budget again when the window ends', async () => {
    await expectWindowReset(sender(servers.api), sender(servers.other));
  });
});

/** Spends an address's budget of 2 in a 1 s window, waits for the window's end as told, and finds it whole. */
async function expectWindowReset(send: Send, other: Send = send) {
  expect(left(await send({ from: '192.0.2.50' }))).toMatchObject({ name: 'anonymous', r: 1 });
  expect(left(await other({ from: '192.0.2.50' }))).toMatchObject({ name: 'anonymous', r: 0 });
  const refused = await send({ from: '192.0.2.50' });
  expect(refused.status).toBe(429);
  expect(refused.headers['retry-after']).toBe('1');
  await new Promise((resolve) => setTimeout(resolve, 1_050));
  const renewed = await other({ from: '192.0.2.50' });
  expect(renewed.status).toBe(200);
  expect(left(renewed)).toEqual({ name: 'anonymous', r: 1, t: 1 });
}

describe('the address anonymous requests are counted by', () => {
  it('is an IPv4 address itself, and the /64 of an IPv6 address', () => {
    expect(addressKey('203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('::ffff:203.0.113.9')).toBe('203.0.113.9');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:0db8:0001:0002:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressKey('64:ff9b::203.0.113.9')).toBe('64:ff9b:0:0::/64');
  });
});
