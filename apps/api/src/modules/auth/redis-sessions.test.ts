/** Sessions in Redis (REDIS_URL set): shared by every API process, expiring on their own. */
import { testEngines } from '@pastoral/db/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { buildServer } from '../../server.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { hashSessionId, SESSION_ABSOLUTE_MS } from './session.ts';

const redisUrl = process.env.TEST_REDIS_URL;
const engine = testEngines()[0]!;

describe.runIf(redisUrl)('sessions in Redis', () => {
  let api: ApiHarness;
  let redis: Redis;
  beforeAll(async () => {
    api = await startApiHarness(engine, { environment: { REDIS_URL: redisUrl! } });
    redis = new Redis(redisUrl!);
  });
  afterAll(async () => {
    await redis.quit();
    await api.close();
  });

  it('keeps the session in Redis, not in the database, with a TTL no longer than the absolute limit', async () => {
    const cookie = await api.signIn('form.master@s01.pastoral.example');
    const key = `pastoral:session:${hashSessionId(cookie.split('=')[1]!)}`;
    expect(await redis.hget(key, 'userId')).toMatch(/^\d+$/);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(SESSION_ABSOLUTE_MS - 60_000);
    expect(ttl).toBeLessThanOrEqual(SESSION_ABSOLUTE_MS);
    expect(await api.database.handle.db.selectFrom('sessions').selectAll().execute()).toEqual([]);
    expect((await api.graphql('{ viewer { role } }', {}, cookie)).body).toEqual({
      data: { viewer: { role: 'FORM_MASTER' } },
    });
  });

  it('serves the same session from a second API process', async () => {
    const cookie = await api.signIn('pastoral.lead@s01.pastoral.example');
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REDIS_URL: redisUrl! });
    const other = await buildServer({ config, database: api.database.handle, logger: createLogger(config) });
    try {
      const response = await other.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', cookie },
        payload: JSON.stringify({ query: '{ viewer { role } }' }),
      });
      expect(response.json()).toEqual({ data: { viewer: { role: 'PASTORAL_LEAD' } } });
    } finally {
      await other.close();
    }
  });

  it('ends an idle session, and signing out deletes it and is audited', async () => {
    const idle = await api.signIn('school.admin@s01.pastoral.example');
    const idleKey = `pastoral:session:${hashSessionId(idle.split('=')[1]!)}`;
    await redis.hset(idleKey, 'lastSeenAt', '2026-01-01 00:00:00.000');
    expect((await api.graphql('{ viewer { role } }', {}, idle)).body).toEqual({ data: { viewer: null } });

    const cookie = await api.signIn('district.admin@pastoral.example');
    const key = `pastoral:session:${hashSessionId(cookie.split('=')[1]!)}`;
    expect((await api.graphql('mutation { signOut { signedOut } }', {}, cookie)).body).toEqual({
      data: { signOut: { signedOut: true } },
    });
    expect(await redis.exists(key)).toBe(0);
    const signedOut = await api.database.handle.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'session.signed_out')
      .execute();
    expect(signedOut).toHaveLength(1);
  });
});
