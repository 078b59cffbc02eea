/**
 * Database outage under load (issue #8, item 1). The API reaches MariaDB through a TCP proxy that the test cuts
 * (connections reset, new ones refused) and stalls (nothing passes, nothing fails) while clients keep asking.
 * Every request fails fast, inside its deadline, with a 503 and Retry-After; /readyz turns 503; the process stays
 * up and its memory flat across outages; and service resumes by itself, without a restart, within seconds of the
 * link's return. The same for Redis: sessions and the dashboard go on from the database, with no error, the rate
 * limit counts in each process, and the cache is used again when Redis returns.
 */
import { createDb, type DatabaseHandle } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { Redis } from 'ioredis';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { timeLeftInRequest } from '../../server/request-deadline.ts';
import { buildServer } from '../../server.ts';
import { dashboardCacheNamespace } from '../../modules/dashboard/dashboard.cache.ts';
import { type ApiHarness, DEMO_PASSWORD, startApiHarness, TEST_RATE_LIMITS } from '../../testing/api-harness.ts';
import { startTcpProxy, type TcpProxy } from '../../testing/tcp-proxy.ts';

const mysql = testEngines().find((candidate) => candidate.name === 'mysql');
const DEADLINE_MS = 1_000;
const POOL = { size: 4, overflow: 0, maxWaiting: 32, acquireTimeoutMs: 500 };
/** Clients asking at once, each as soon as its last answer came. */
const CLIENTS = 12;
/** An answer later than the deadline by more than this is a failure to fail fast. */
const SLACK_MS = 300;

const QUERY = '{ students(first: 10) { totalCount nodes { fullName riskProfile { level } } } }';

setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;
function heapUsedMb(): number {
  collectGarbage();
  collectGarbage();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

interface Answer {
  status: number;
  ms: number;
  retryAfter: string | undefined;
  code: string | undefined;
  at: number;
}

describe.runIf(mysql)('the database link cut or stalled under load', () => {
  let api: ApiHarness;
  let proxy: TcpProxy;
  let handle: DatabaseHandle;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let cookie: string;

  beforeAll(async () => {
    api = await startApiHarness(mysql!);
    const target = new URL(api.database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 3306) });
    const proxied = new URL(api.database.url);
    proxied.port = String(proxy.port);
    handle = createDb(proxied.toString(), {
      pool: POOL,
      connectTimeoutMs: 1_000,
      statementTimeoutMs: DEADLINE_MS,
      queryTimeoutMs: timeLeftInRequest,
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ...TEST_RATE_LIMITS,
      REQUEST_TIMEOUT_MS: String(DEADLINE_MS),
    });
    app = await buildServer({ config, database: handle, logger: createLogger(config) });
    cookie = await api.signIn('pastoral.lead@s01.pastoral.example');
  });
  afterAll(async () => {
    await app?.close();
    await handle?.destroy();
    await proxy?.close();
    await api?.close();
  });

  async function ask(): Promise<Answer> {
    const started = performance.now();
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', cookie },
      payload: JSON.stringify({ query: QUERY }),
    });
    const body = response.json() as { errors?: { extensions?: { code?: string } }[] };
    return {
      status: response.statusCode,
      ms: performance.now() - started,
      retryAfter: response.headers['retry-after'] as string | undefined,
      code: body.errors?.[0]?.extensions?.code,
      at: performance.now(),
    };
  }

  /** CLIENTS clients asking back to back until `during` resolves, each answer added to `answers` as it comes. */
  async function underLoad(answers: Answer[], during: () => Promise<void>): Promise<void> {
    let running = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (running) answers.push(await ask());
    });
    try {
      await during();
    } finally {
      running = false;
      await Promise.all(clients);
    }
  }

  const readiness = async () => (await app.inject({ url: '/readyz' })).statusCode;
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  /** Breaks the link for `outageMs` under load, restores it, and measures the failures and the recovery. */
  async function outage(breakLink: () => void, outageMs: number) {
    let brokenAt = 0;
    let restoredAt = 0;
    let readyDuring = 0;
    const answers: Answer[] = [];
    const answersAfter = (time: number) => answers.filter((answer) => answer.at - answer.ms >= time);
    await underLoad(answers, async () => {
      await sleep(300);
      brokenAt = performance.now();
      breakLink();
      await sleep(outageMs / 2);
      readyDuring = await readiness();
      await sleep(outageMs / 2);
      proxy.restore();
      restoredAt = performance.now();
      // Keep asking until the answers are good again, or give up after 10 s.
      while (performance.now() - restoredAt < 10_000) {
        const recent = answersAfter(restoredAt);
        if (recent.length >= CLIENTS && recent.slice(-CLIENTS).every((answer) => answer.status === 200)) break;
        await sleep(50);
      }
    });
    // Answers to requests sent while the link was broken (and finished before it came back).
    const during = answers.filter((answer) => answer.at - answer.ms >= brokenAt + 50 && answer.at <= restoredAt);
    const firstGood = answersAfter(restoredAt).find((answer) => answer.status === 200);
    return {
      // Requests in flight when the link broke, as well as those sent after it, must end inside the deadline.
      slowestMs: Math.max(...answers.map((answer) => answer.ms)),
      before: answers.filter((answer) => answer.at < brokenAt),
      during,
      readyDuring,
      readyAfter: await readiness(),
      recoveryMs: firstGood ? firstGood.at - restoredAt : Infinity,
    };
  }

  function expectFailedFast({ during, slowestMs }: { during: Answer[]; slowestMs: number }) {
    expect(during.length).toBeGreaterThan(CLIENTS);
    expect(slowestMs).toBeLessThan(DEADLINE_MS + SLACK_MS);
    const wrong = during.filter(
      (answer) =>
        answer.status !== 503 ||
        Number(answer.retryAfter) < 1 ||
        !['DATABASE_UNAVAILABLE', 'REQUEST_TIMEOUT'].includes(answer.code ?? ''),
    );
    expect(wrong).toEqual([]);
  }

  it('answers 503 fast while the link is cut, and resumes by itself when it returns', async () => {
    const result = await outage(() => proxy.cut(), 2_000);
    expect(result.before.every((answer) => answer.status === 200)).toBe(true);
    expectFailedFast(result);
    expect(result.readyDuring).toBe(503);
    expect(result.readyAfter).toBe(200);
    expect(result.recoveryMs).toBeLessThan(3_000);
    console.info(
      `cut: ${result.during.length} requests failed, slowest request ${Math.round(result.slowestMs)} ms; ` +
        `recovered ${Math.round(result.recoveryMs)} ms after the link returned`,
    );
  });

  it('answers 503 within the deadline while the link is stalled, and resumes by itself', async () => {
    const result = await outage(() => proxy.stall(), 3_000);
    expectFailedFast(result);
    expect(result.readyDuring).toBe(503);
    expect(result.readyAfter).toBe(200);
    expect(result.recoveryMs).toBeLessThan(3_000);
    expect(handle.poolStats()!.open).toBeLessThanOrEqual(POOL.size + POOL.overflow);
    console.info(
      `stall: ${result.during.length} requests failed, slowest request ${Math.round(result.slowestMs)} ms; ` +
        `recovered ${Math.round(result.recoveryMs)} ms after the link returned`,
    );
  });

  it('keeps its memory flat across repeated outages', async () => {
    // One outage first, so that whatever is built once (pools, caches, compiled code) is built.
    await outage(() => proxy.cut(), 500);
    const before = heapUsedMb();
    for (let round = 0; round < 4; round++) {
      await outage(() => (round % 2 === 0 ? proxy.cut() : proxy.stall()), 800);
    }
    const after = heapUsedMb();
    console.info(`heap after 4 more outages: ${before.toFixed(1)} MB -> ${after.toFixed(1)} MB`);
    expect(after - before).toBeLessThan(10);
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

/** Signs in through `app` itself (not the harness's server) and returns the cookie to send back. */
async function signInTo(app: Awaited<ReturnType<typeof buildServer>>, email: string): Promise<string> {
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json' },
    payload: JSON.stringify({
      query: 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
      variables: { input: { email, password: DEMO_PASSWORD } },
    }),
  });
  return String(response.headers['set-cookie']).split(';')[0]!;
}

/** Anonymous requests an address may send a minute, while Redis is away too: more than the clients ask at once. */
const ANONYMOUS_BUDGET = 20;

describe.runIf(redisUrl)('the Redis link cut or stalled under load', () => {
  let api: ApiHarness;
  let proxy: TcpProxy;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let redis: Redis;
  let cookie: string;
  let cachePrefix: string;

  beforeAll(async () => {
    api = await startApiHarness(testEngines()[0]!);
    const target = new URL(redisUrl!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const proxied = new URL(redisUrl!);
    proxied.port = String(proxy.port);
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      ...TEST_RATE_LIMITS,
      RATE_LIMIT_ANONYMOUS: String(ANONYMOUS_BUDGET),
      REDIS_URL: proxied.toString(),
    });
    app = await buildServer({ config, database: api.database.handle, logger: createLogger(config) });
    redis = new Redis(redisUrl!);
    cachePrefix = `pastoral:dashboard:${dashboardCacheNamespace(api.database.handle.description)}:`;
    cookie = await signInTo(app, 'pastoral.lead@s01.pastoral.example');
  });
  afterAll(async () => {
    await app?.close();
    await proxy?.close();
    await redis?.quit();
    await api?.close();
  });

  const DASHBOARD = '{ viewer { role } dashboard { newAlerts overdueReviews studentsByRiskLevel { level count } } }';

  /** Anonymous requests from `address` until one is refused (or one past the budget): their status and fields. */
  async function spendBudget(address: string) {
    const answers: { status: number; rateLimit: unknown; retryAfter: unknown }[] = [];
    for (let i = 0; i <= ANONYMOUS_BUDGET; i++) {
      const response = await app.inject({
        method: 'POST',
        url: '/graphql',
        remoteAddress: address,
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      answers.push({
        status: response.statusCode,
        rateLimit: response.headers.ratelimit,
        retryAfter: response.headers['retry-after'],
      });
    }
    return answers;
  }

  async function ask(query: string, as = cookie) {
    const started = performance.now();
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', cookie: as },
      payload: JSON.stringify({ query }),
    });
    return { response, ms: performance.now() - started };
  }

  async function cachedFigures(): Promise<number> {
    return (await redis.keys(`${cachePrefix}*`)).filter((key) => !key.includes(':generation:')).length;
  }

  async function throughOutage(breakLink: () => void, floodFrom: string) {
    const answers: { status: number; ms: number; errors: unknown }[] = [];
    let running = true;
    const clients = Array.from({ length: 8 }, async () => {
      while (running) {
        const { response, ms } = await ask(DASHBOARD);
        answers.push({ status: response.statusCode, ms, errors: response.json().errors });
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    breakLink();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // Signing in, reading as the new session, and signing out all work without Redis.
    const fresh = await signInTo(app, 'form.master@s01.pastoral.example');
    const freshViewer = (await ask('{ viewer { role } }', fresh)).response.json();
    await ask('mutation { signOut { signedOut } }', fresh);
    const afterSignOut = (await ask('{ viewer { role } }', fresh)).response.json();
    const ready = (await app.inject({ url: '/readyz' })).statusCode;
    const limited = await spendBudget(floodFrom);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await redis.del(...(await redis.keys(`${cachePrefix}*`)), 'pastoral:none');
    proxy.restore();
    const restoredAt = performance.now();
    // The cache fills again through the restored link, without a restart.
    while ((await cachedFigures()) === 0 && performance.now() - restoredAt < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const recoveryMs = performance.now() - restoredAt;
    running = false;
    await Promise.all(clients);
    return { answers, freshViewer, afterSignOut, ready, limited, recoveryMs };
  }

  for (const [name, breakLink, floodFrom] of [
    ['cut', () => proxy.cut(), '192.0.2.9'],
    ['stalled', () => proxy.stall(), '192.0.2.10'],
  ] as const) {
    it(`serves every request from the database while the link is ${name}, and uses Redis again when it returns`, async () => {
      expect((await ask(DASHBOARD)).response.statusCode).toBe(200);
      expect(await cachedFigures()).toBeGreaterThan(0);
      const result = await throughOutage(breakLink, floodFrom);
      expect(result.answers.filter((answer) => answer.status !== 200 || answer.errors)).toEqual([]);
      expect(result.answers.length).toBeGreaterThan(20);
      const slowest = Math.max(...result.answers.map((answer) => answer.ms));
      expect(slowest).toBeLessThan(1_500);
      expect(result.freshViewer).toEqual({ data: { viewer: { role: 'FORM_MASTER' } } });
      expect(result.afterSignOut).toEqual({ data: { viewer: null } });
      expect(result.ready).toBe(200);
      // The rate limit counted in this process: the address's budget held, and every answer said so.
      expect(result.limited.slice(0, ANONYMOUS_BUDGET)).toEqual(
        Array.from({ length: ANONYMOUS_BUDGET }, (_, i) => ({
          status: 200,
          rateLimit: expect.stringMatching(new RegExp(`^"anonymous";r=${ANONYMOUS_BUDGET - 1 - i};t=\\d+$`)),
          retryAfter: undefined,
        })),
      );
      const refused = result.limited[ANONYMOUS_BUDGET]!;
      expect(refused.status).toBe(429);
      expect(refused.rateLimit).toBe(`"anonymous";r=0;t=${String(refused.retryAfter)}`);
      expect(result.recoveryMs).toBeLessThan(5_000);
      console.info(
        `Redis ${name}: ${result.answers.length} requests, all answered, slowest ${Math.round(slowest)} ms; ` +
          `cache in use again ${Math.round(result.recoveryMs)} ms after the link returned`,
      );
    });
  }
});
