/**
 * Sessions with REDIS_URL set (several processes or hosts): they live in the database, so any process serves
 * them and a Redis outage ends none; each process caches them, and a sign-out through one process reaches every
 * other process's cache through Redis.
 */
import { testEngines } from '@pastoral/db/testing';
import { describe, expect, it } from 'vitest';
import { serversSharingRedis } from '../../testing/api-harness.ts';
import { hashSessionId } from './session.ts';

const redisUrl = process.env.TEST_REDIS_URL;

describe.runIf(redisUrl)('sessions with Redis', () => {
  const servers = serversSharingRedis(testEngines()[0]!, redisUrl!);
  const viewerOn = async (app: typeof servers.other, cookie: string) =>
    (
      await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', cookie },
        payload: JSON.stringify({ query: '{ viewer { role } }' }),
      })
    ).json() as { data: { viewer: { role: string } | null } };

  it('keeps the session in the database, where the other process finds it', async () => {
    const cookie = await servers.api.signIn('form.master@s01.pastoral.example');
    const stored = await servers.api.database.handle.db
      .selectFrom('sessions')
      .select('user_id')
      .where('id_hash', '=', hashSessionId(cookie.split('=')[1]!))
      .execute();
    expect(stored).toHaveLength(1);
    expect((await viewerOn(servers.other, cookie)).data.viewer).toEqual({ role: 'FORM_MASTER' });
  });

  it('ends a session in the cache of the other process as soon as it signs out through one', async () => {
    const cookie = await servers.api.signIn('pastoral.lead@s01.pastoral.example');
    // Both processes have read the session and keep it for SESSION_CACHE_TTL_S.
    expect((await viewerOn(servers.other, cookie)).data.viewer).toEqual({ role: 'PASTORAL_LEAD' });
    expect((await servers.api.graphql('{ viewer { role } }', {}, cookie)).body.data).toEqual({
      viewer: { role: 'PASTORAL_LEAD' },
    });
    expect((await servers.api.graphql('mutation { signOut { signedOut } }', {}, cookie)).body.data).toEqual({
      signOut: { signedOut: true },
    });
    // Pub/sub arrives a moment after the publish: the other process forgets it within milliseconds, not the TTL.
    const started = Date.now();
    while ((await viewerOn(servers.other, cookie)).data.viewer !== null && Date.now() - started < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await viewerOn(servers.other, cookie)).data.viewer).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("ends sessions signed out everywhere, or ended by the limit, in the other process's cache at once", async () => {
    const email = 'school.admin@s01.pastoral.example';
    const here = await servers.api.signIn(email);
    const elsewhere = await servers.api.signIn(email);
    // The other process has read the session it will be asked about, and keeps it for SESSION_CACHE_TTL_S.
    expect((await viewerOn(servers.other, elsewhere)).data.viewer).toEqual({ role: 'SCHOOL_ADMIN' });
    expect(
      (await servers.api.graphql('mutation { signOutEverywhere { endedSessions } }', {}, here)).body.data,
    ).toMatchObject({ signOutEverywhere: { endedSessions: expect.any(Number) } });
    const forgotten = async (cookie: string) => {
      const started = Date.now();
      while ((await viewerOn(servers.other, cookie)).data.viewer !== null && Date.now() - started < 2_000) {
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return Date.now() - started;
    };
    expect(await forgotten(elsewhere)).toBeLessThan(1_000);

    // Ten more sign-ins through one process: the oldest session, cached by the other, ends with the eleventh.
    expect((await viewerOn(servers.other, here)).data.viewer).toEqual({ role: 'SCHOOL_ADMIN' });
    for (let sign = 0; sign < 10; sign++) await servers.api.signIn(email);
    expect(await forgotten(here)).toBeLessThan(1_000);
  });
});
