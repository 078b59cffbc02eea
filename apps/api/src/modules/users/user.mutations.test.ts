/**
 * Password and role changes, made as an operator makes them (`pastoral user set-password` and `set-role`, run
 * in-process: they share nothing with the API but the database and Redis) while the API runs with its session cache on: each ends every session of the user, in the
 * transaction of the change, and with REDIS_URL every API process refuses them from the next request.
 *
 * Before: nothing changed a password or role but the seed, and no change ended a session.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { runCommand as pastoral } from '../../testing/run-command.ts';

const redisUrl = process.env.TEST_REDIS_URL;

describe.each(testEngines())('password and role changes on $name', (engine) => {
  let api: ApiHarness;
  let env: Record<string, string>;
  beforeAll(async () => {
    api = await startApiHarness(engine, { environment: redisUrl ? { REDIS_URL: redisUrl } : {} });
    env = { DATABASE_URL: api.database.url, LOG_LEVEL: 'silent', ...(redisUrl ? { REDIS_URL: redisUrl } : {}) };
  });
  afterAll(() => api.close());

  const signedIn = async (cookie: string) =>
    (await api.graphql<{ viewer: unknown }>('{ viewer { role } }', {}, cookie)).body.data?.viewer != null;
  /** Whether `cookie` is refused within a second: at once, through Redis; never, without it (the cache's TTL). */
  async function refusedSoon(cookie: string): Promise<boolean> {
    const started = Date.now();
    while (Date.now() - started < 1_000) {
      if (!(await signedIn(cookie))) return true;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return false;
  }
  const entriesAbout = (email: string) =>
    api.database.handle.db
      .selectFrom('audit_log')
      .innerJoin('users', 'users.id', 'audit_log.entity_id')
      .select(['audit_log.action', 'audit_log.actor_type', 'audit_log.details'])
      .where('audit_log.entity_type', '=', 'user')
      .where('users.email', '=', email)
      .where('audit_log.action', 'in', ['user.password_changed', 'user.role_changed', 'session.ended'])
      .orderBy('audit_log.seq')
      .execute();
  const sessionsOf = async (email: string) =>
    (
      await api.database.handle.db
        .selectFrom('sessions')
        .innerJoin('users', 'users.id', 'sessions.user_id')
        .select('sessions.id')
        .where('users.email', '=', email)
        .execute()
    ).length;

  it("set-password ends every session of the user's and takes the new password", async () => {
    const email = 'pastoral.lead@s01.pastoral.example';
    const cookies = [await api.signIn(email), await api.signIn(email)];
    for (const cookie of cookies) expect(await signedIn(cookie)).toBe(true);

    const result = await pastoral(['user', 'set-password', email], env, 'a-new-passphrase-2027\n');
    expect(result.stderr).toBe('');
    expect({ code: result.code, stdout: result.stdout }).toEqual({
      code: 0,
      stdout: `Changed the password of ${email}; ended 2 sessions.\n${
        redisUrl
          ? ''
          : 'API processes that had them cached refuse them within 30 s (SESSION_CACHE_TTL_S); with REDIS_URL set, at once.\n'
      }`,
    });
    expect(await sessionsOf(email)).toBe(0);
    if (redisUrl) for (const cookie of cookies) expect(await refusedSoon(cookie)).toBe(true);

    const entries = await entriesAbout(email);
    expect(entries.map((entry) => [entry.action, entry.actor_type])).toEqual([
      ['user.password_changed', 'SYSTEM'],
      ['session.ended', 'SYSTEM'],
      ['session.ended', 'SYSTEM'],
    ]);
    expect(entries.slice(1).map((entry) => JSON.parse(entry.details!).reason)).toEqual([
      'password_changed',
      'password_changed',
    ]);
    await expect(api.signIn(email)).rejects.toThrow(/sign-in as .* failed/);
    expect(await signedIn(await api.signIn(email, 'a-new-passphrase-2027'))).toBe(true);
  });

  it('set-role ends every session of the user, so that none goes on with the old role', async () => {
    const email = 'form.master@s02.pastoral.example';
    const cookie = await api.signIn(email);
    expect((await api.graphql('{ viewer { role } }', {}, cookie)).body.data).toEqual({
      viewer: { role: 'FORM_MASTER' },
    });
    const result = await pastoral(['user', 'set-role', email, 'PASTORAL_LEAD'], env);
    expect({ code: result.code, first: result.stdout.split('\n')[0] }).toEqual({
      code: 0,
      first: `${email} is now a PASTORAL_LEAD; ended 1 session.`,
    });
    if (redisUrl) expect(await refusedSoon(cookie)).toBe(true);
    expect(await sessionsOf(email)).toBe(0);
    expect((await entriesAbout(email)).map((entry) => [entry.action, JSON.parse(entry.details!)])).toEqual([
      ['user.role_changed', { from: 'FORM_MASTER', to: 'PASTORAL_LEAD', operator: expect.any(String) }],
      ['session.ended', { sessionId: expect.any(Number), reason: 'role_changed' }],
    ]);
    expect((await api.graphql('{ viewer { role } }', {}, await api.signIn(email))).body.data).toEqual({
      viewer: { role: 'PASTORAL_LEAD' },
    });
  });

  it('refuses a password too short, an unknown account and a role held already, in one line, changing nothing', async () => {
    const email = 'school.admin@s01.pastoral.example';
    const cookie = await api.signIn(email);
    const attempts = [
      await pastoral(['user', 'set-password', email], env, 'short\n'),
      await pastoral(['user', 'set-password', 'nobody@pastoral.example'], env, 'long-enough-passphrase\n'),
      await pastoral(['user', 'set-role', email, 'SCHOOL_ADMIN'], env),
      await pastoral(['user', 'set-role', 'district.admin@pastoral.example', 'SCHOOL_ADMIN'], env),
    ];
    expect(attempts.map((attempt) => [attempt.code, attempt.stderr.trim()])).toEqual([
      [1, 'error: The new password is 5 characters; give one of 8 to 256.'],
      [1, 'error: No member of staff has the e-mail address nobody@pastoral.example: check it.'],
      [1, 'error: This member of staff is a SCHOOL_ADMIN already: nothing changed.'],
      [1, 'error: A SCHOOL_ADMIN belongs to a school: give its id with --school.'],
    ]);
    expect(await signedIn(cookie)).toBe(true);
    expect(await entriesAbout(email)).toEqual([]);
  });
});
