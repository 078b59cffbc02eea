/**
 * The session cache: a signed-in user's next request learns who is asking without a statement, and a cached
 * session still ends exactly when it would without the cache: at sign-out, when idle too long, at its end.
 */
import { fromTimestamp, toTimestamp } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { cachedSessionStore } from './session-cache.ts';
import { databaseSessionStore } from './session-store.ts';
import { hashSessionId, SESSION_IDLE_MS } from './session.ts';

const VIEWER = '{ viewer { role classrooms { name } } }';
const readsSession = (statements: string[]) => statements.filter((sql) => /from [`"]?sessions/i.test(sql));

describe.each(testEngines())('the session cache on $name', (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness(engine);
  });
  afterAll(() => api?.close());

  it('answers the requests after sign-in without reading the session again', async () => {
    // Signing in reads the new session back for its payload: that copy serves what follows.
    const cookie = await api.signIn('form.master@s01.pastoral.example');
    for (let i = 0; i < 3; i++) {
      const response = await api.graphql(VIEWER, {}, cookie);
      expect(response.body.data).toMatchObject({ viewer: { role: 'FORM_MASTER', classrooms: [{}] } });
      expect(readsSession(response.statements)).toEqual([]);
    }
  });

  it('ends a cached session at sign-out', async () => {
    const cookie = await api.signIn('form.master@s01.pastoral.example');
    expect((await api.graphql(VIEWER, {}, cookie)).body.data).toMatchObject({ viewer: { role: 'FORM_MASTER' } });
    const signedOut = await api.graphql('mutation { signOut { signedOut } }', {}, cookie);
    expect(signedOut.body).toEqual({ data: { signOut: { signedOut: true } } });
    expect((await api.graphql(VIEWER, {}, cookie)).body).toEqual({ data: { viewer: null } });
  });

  it('refuses a cached session once it is idle too long or past its end, and follows its activity', async () => {
    const cookie = await api.signIn('pastoral.lead@s01.pastoral.example');
    const idHash = hashSessionId(cookie.slice(cookie.indexOf('=') + 1));
    const store = cachedSessionStore(databaseSessionStore(api.database.handle.db), { ttlSeconds: 60, maxEntries: 10 });
    const at = (ms: number) => toTimestamp(new Date(ms));
    const now = Date.now();
    const find = (idleSince: number, time: number) => store.findWithUser(idHash, at(idleSince), at(time));

    const found = await find(now - SESSION_IDLE_MS, now);
    expect(found?.user.email).toBe('pastoral.lead@s01.pastoral.example');
    expect(await find(now - SESSION_IDLE_MS, now)).toEqual(found);
    expect(store.stats()).toEqual({ hits: 1, misses: 1 });

    // Idle since before its last activity: refused, cached or not.
    const lastSeen = fromTimestamp(found!.session.lastSeenAt).getTime();
    expect(await find(lastSeen + 1_000, lastSeen + SESSION_IDLE_MS + 1_000)).toBeNull();
    // Past its absolute end.
    const end = fromTimestamp(found!.session.expiresAt).getTime();
    expect(await find(end - SESSION_IDLE_MS, end + 1_000)).toBeNull();

    // Activity recorded through the cache moves the cached copy on with the store.
    expect(await find(now - SESSION_IDLE_MS, now)).not.toBeNull();
    await store.touch(idHash, at(now + 60_000), SESSION_IDLE_MS);
    const misses = store.stats().misses;
    expect(await find(now + 30_000, now + 60_000)).not.toBeNull();
    expect(store.stats().misses).toBe(misses);
  });
});
