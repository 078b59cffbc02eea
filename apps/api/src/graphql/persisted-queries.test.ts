/** Automatic persisted queries: a hash for a document the server knows, its text once; shared through Redis. */
import { createHash } from 'node:crypto';
import { testEngines } from '@pastoral/db/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../testing/free-port.ts';
import { RedisKeyValueCache } from './persisted-queries.ts';
import { type ApiHarness, startApiHarness, serversSharingRedis } from '../testing/api-harness.ts';

const QUERY = '{ viewer { role } }';
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
const persisted = (sha256Hash: string) => ({ persistedQuery: { version: 1, sha256Hash } });

async function send(app: ApiHarness['app'], body: object, cookie: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', cookie },
    payload: JSON.stringify(body),
  });
  return {
    status: response.statusCode,
    body: response.json() as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] },
  };
}

describe.each(testEngines())('persisted queries on $name', (engine) => {
  let api: ApiHarness;
  let cookie: string;
  beforeAll(async () => {
    api = await startApiHarness(engine);
    cookie = await api.signIn('form.master@s01.pastoral.example');
  });
  afterAll(() => api?.close());

  it('asks for the text of an unknown hash, keeps it once sent, and then runs the hash alone', async () => {
    const unknown = await send(api.app, { extensions: persisted(hashOf(QUERY)) }, cookie);
    expect(unknown.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');

    const registered = await send(api.app, { query: QUERY, extensions: persisted(hashOf(QUERY)) }, cookie);
    expect(registered.body).toEqual({ data: { viewer: { role: 'FORM_MASTER' } } });
    expect(await send(api.app, { extensions: persisted(hashOf(QUERY)) }, cookie)).toEqual({
      status: 200,
      body: { data: { viewer: { role: 'FORM_MASTER' } } },
    });
  });

  it("refuses a hash that is not the text's, and never keeps a document that does not validate", async () => {
    const mismatch = await send(api.app, { query: QUERY, extensions: persisted(hashOf('{ other }')) }, cookie);
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.errors?.[0]?.message).toMatch(/sha/i);

    const invalid = '{ viewer { nope } }';
    const rejected = await send(api.app, { query: invalid, extensions: persisted(hashOf(invalid)) }, cookie);
    expect(rejected.status).toBe(400);
    const later = await send(api.app, { extensions: persisted(hashOf(invalid)) }, cookie);
    expect(later.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('refuses a document of a shape over the limits sent with its hash, and keeps none of it', async () => {
    const repeated = `{ viewer { ${'user { email } '.repeat(300)} } }`;
    const refused = await send(api.app, { query: repeated, extensions: persisted(hashOf(repeated)) }, cookie);
    expect(refused.status).toBe(400);
    expect(refused.body.errors?.[0]?.message).toMatch(/^The document asks for 601 fields/);
    const later = await send(api.app, { extensions: persisted(hashOf(repeated)) }, cookie);
    expect(later.body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});

const redisUrl = process.env.TEST_REDIS_URL;

describe.runIf(redisUrl)('persisted queries in Redis', () => {
  const servers = serversSharingRedis(testEngines()[0]!, redisUrl!);

  it('knows on one process a document registered on another', async () => {
    const cookie = await servers.api.signIn('district.admin@pastoral.example');
    // A document of its own for this run, so that an earlier run's registration cannot make the test pass.
    const query = `query Shared${Date.now()} { viewer { role } }`;
    await send(servers.api.app, { query, extensions: persisted(hashOf(query)) }, cookie);
    expect((await send(servers.other, { extensions: persisted(hashOf(query)) }, cookie)).body).toEqual({
      data: { viewer: { role: 'DISTRICT_ADMIN' } },
    });
  });

  it('refuses, by its hash alone, a document of a shape over the limits that a host without them registered', async () => {
    const cookie = await servers.api.signIn('district.admin@pastoral.example');
    // As an older host would have kept it during a rolling deployment: the text under its hash, in Redis.
    const query = `query Repeated${Date.now()} { viewer { ${'user { email } '.repeat(300)} } }`;
    const redis = new Redis(redisUrl!);
    try {
      await redis.set(`pastoral:apq:apq:${hashOf(query)}`, query, 'EX', 60);
      const refused = await send(servers.other, { extensions: persisted(hashOf(query)) }, cookie);
      expect(refused.status).toBe(400);
      expect(refused.body.errors?.[0]?.message).toMatch(/^The document asks for 601 fields/);
    } finally {
      redis.disconnect();
    }
  });
});

describe('persisted queries when Redis does not answer', () => {
  it('reads as a miss and keeps nothing, telling each failure, where a plain client would throw', async () => {
    // A real client, pointed at a port nothing listens on.
    const redis = new Redis(await freePort(), '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // The refused connection is reported through each command; the client's own event would only be noise.
    redis.on('error', () => undefined);
    const errors: unknown[] = [];
    const cache = new RedisKeyValueCache(redis, 'pastoral:apq:', (error) => errors.push(error));
    try {
      expect(await cache.get(hashOf(QUERY))).toBeUndefined();
      await cache.set(hashOf(QUERY), QUERY);
      expect(await cache.delete(hashOf(QUERY))).toBe(false);
      expect(errors).toHaveLength(3);
    } finally {
      redis.disconnect();
    }
  });
});
