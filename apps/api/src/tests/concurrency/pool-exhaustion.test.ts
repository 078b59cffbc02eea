/**
 * Pool exhaustion (issue #8, item 2): ten times the pool's size of requests that cannot finish (their table is
 * locked by another session). The ones holding a connection are stopped at the request deadline, the ones
 * waiting give up at the acquire timeout or are refused past the queue, every answer is a 503 with Retry-After
 * inside the deadline, the pool never opens more than its cap, and service resumes once the lock is gone.
 */
import { createDb } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { buildServer } from '../../server.ts';
import { startApiHarness } from '../../testing/api-harness.ts';
import { connectAsAnotherSession } from '../../testing/other-session.ts';

const mysql = testEngines().find((candidate) => candidate.name === 'mysql');
const POOL = { size: 4, overflow: 0, maxWaiting: 16, acquireTimeoutMs: 300 };
const DEADLINE_MS = 800;

describe.runIf(mysql)('ten times the pool of requests that cannot finish', () => {
  it('answers each with a 503 inside the deadline, never opens more than the cap, and recovers', async () => {
    const api = await startApiHarness(mysql!);
    const handle = createDb(api.database.url, { pool: POOL, statementTimeoutMs: DEADLINE_MS });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: String(DEADLINE_MS) });
    const app = await buildServer({ config, database: handle, logger: createLogger(config) });
    const locker = await connectAsAnotherSession(api.database.url);
    const query = (cookie: string) =>
      app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', cookie },
        payload: JSON.stringify({ query: '{ schools { totalCount } }' }),
      });
    let peakOpen = 0;
    const sampler = setInterval(() => (peakOpen = Math.max(peakOpen, handle.poolStats()!.open)), 5);
    try {
      const cookie = await api.signIn('district.admin@pastoral.example');
      // Read once, so that the session is cached and every request below goes straight for the locked table.
      expect((await query(cookie)).statusCode).toBe(200);
      await locker.query('lock tables schools write');

      const requests = POOL.size * 10;
      const timed = await Promise.all(
        Array.from({ length: requests }, async () => {
          const started = Date.now();
          const response = await query(cookie);
          return { response, ms: Date.now() - started };
        }),
      );
      const codes = timed.map(({ response }) => response.json().errors?.[0]?.extensions?.code);
      expect(timed.every(({ response }) => response.statusCode === 503)).toBe(true);
      expect(timed.every(({ response }) => Number(response.headers['retry-after']) >= 1)).toBe(true);
      // Those that held a connection met the deadline; the rest met the busy pool.
      expect(codes.filter((code) => code === 'REQUEST_TIMEOUT').length).toBeGreaterThanOrEqual(POOL.size);
      expect(codes.every((code) => code === 'REQUEST_TIMEOUT' || code === 'DATABASE_UNAVAILABLE')).toBe(true);
      expect(Math.max(...timed.map(({ ms }) => ms))).toBeLessThan(DEADLINE_MS + 700);
      expect(peakOpen).toBeLessThanOrEqual(POOL.size + POOL.overflow);

      await locker.query('unlock tables');
      const after = await query(cookie);
      expect(after.statusCode).toBe(200);
      expect(after.json().data.schools.totalCount).toBeGreaterThan(0);
    } finally {
      clearInterval(sampler);
      await locker.query('unlock tables');
      await locker.end();
      await app.close();
      await handle.destroy();
      await api.close();
    }
  });
});
