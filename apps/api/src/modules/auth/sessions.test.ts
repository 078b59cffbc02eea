/**
 * Sessions a user controls (issue 19, item 15), through the API on each engine with the session cache on, as
 * in production: a user lists their live sessions and ends one of them or all but this one; signing in beyond
 * SESSION_MAX_PER_USER ends the oldest; nobody sees or ends another user's. Each ended session is refused by
 * the very next request, though the process had it cached, and each ending is audited.
 *
 * Before: signing in again left every older session alive (99 live sessions for one user), and a user could
 * neither see nor end them.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId } from '../../graphql/relay.ts';
import { type ApiHarness, DEMO_PASSWORD, startApiHarness } from '../../testing/api-harness.ts';

const SESSIONS = '{ viewer { sessions { id current device ipAddress userAgent createdAt lastSeenAt expiresAt } } }';
const SIGN_OUT_SESSION = `mutation ($id: ID!) {
  signOutSession(input: { id: $id }) { endedSessionId signedOutHere userErrors { code message field } }
}`;
const FIREFOX = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0';
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1';

interface SessionNode {
  id: string;
  current: boolean;
  device: string;
  ipAddress: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
}

for (const engine of testEngines()) {
  describe(`sessions a user controls on ${engine.name}`, () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApiHarness(engine);
    });
    afterAll(() => api.close());

    /** Signs in from a browser of its own (an address and a User-Agent), and returns the session cookie. */
    async function signInWith(email: string, address: string, userAgent: string): Promise<string> {
      const response = await api.request({
        method: 'POST',
        url: '/graphql',
        remoteAddress: address,
        headers: { 'content-type': 'application/json', 'user-agent': userAgent },
        payload: JSON.stringify({
          query: 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
          variables: { input: { email, password: DEMO_PASSWORD } },
        }),
      });
      const cookie = String(response.headers['set-cookie'] ?? '').split(';')[0];
      if (!cookie) throw new Error(`sign-in as ${email} failed: ${response.body}`);
      return cookie;
    }
    const sessionsOf = async (cookie: string) =>
      (await api.graphql<{ viewer: { sessions: SessionNode[] } | null }>(SESSIONS, {}, cookie)).body.data?.viewer
        ?.sessions ?? null;
    const signedIn = async (cookie: string) =>
      (await api.graphql<{ viewer: unknown }>('{ viewer { role } }', {}, cookie)).body.data?.viewer != null;
    const endedEntries = async (email: string) =>
      api.database.handle.db
        .selectFrom('audit_log')
        .innerJoin('users', 'users.id', 'audit_log.entity_id')
        .select(['audit_log.action', 'audit_log.details', 'audit_log.actor_type'])
        .where('audit_log.action', '=', 'session.ended')
        .where('audit_log.entity_type', '=', 'user')
        .where('users.email', '=', email)
        .orderBy('audit_log.seq')
        .execute();

    it("lists the user's live sessions, this one first and marked, the others in words", async () => {
      const email = 'pastoral.lead@s01.pastoral.example';
      const laptop = await signInWith(email, '198.51.100.1', FIREFOX);
      const phone = await signInWith(email, '198.51.100.2', SAFARI);
      const sessions = await sessionsOf(phone);
      expect(
        sessions?.map(({ current, device, ipAddress, userAgent }) => ({ current, device, ipAddress, userAgent })),
      ).toEqual([
        { current: true, device: 'Safari on iOS', ipAddress: '198.51.100.2', userAgent: SAFARI },
        { current: false, device: 'Firefox on Windows', ipAddress: '198.51.100.1', userAgent: FIREFOX },
      ]);
      for (const session of sessions!) {
        expect(fromGlobalId(session.id)?.type).toBe('Session');
        expect(new Date(session.expiresAt).getTime()).toBeGreaterThan(new Date(session.lastSeenAt).getTime());
      }
      // The same list from the laptop, which is "this one" there.
      expect((await sessionsOf(laptop))?.map(({ current, device }) => ({ current, device }))).toEqual([
        { current: true, device: 'Firefox on Windows' },
        { current: false, device: 'Safari on iOS' },
      ]);
    });

    it("ends another of the user's sessions by its id: its cookie is refused at once, cached or not", async () => {
      const email = 'school.admin@s01.pastoral.example';
      const desk = await signInWith(email, '198.51.100.3', FIREFOX);
      const lost = await signInWith(email, '198.51.100.4', SAFARI);
      // Both sessions were read, and the process keeps them for SESSION_CACHE_TTL_S.
      expect(await signedIn(lost)).toBe(true);
      expect(await signedIn(desk)).toBe(true);
      const other = (await sessionsOf(desk))!.find((session) => !session.current)!;

      const ended = await api.graphql(SIGN_OUT_SESSION, { id: other.id }, desk);
      expect(ended.body).toEqual({
        data: { signOutSession: { endedSessionId: other.id, signedOutHere: false, userErrors: [] } },
      });
      expect(ended.headers['set-cookie']).toBeUndefined();
      expect(await signedIn(lost)).toBe(false);
      expect(await signedIn(desk)).toBe(true);
      expect((await sessionsOf(desk))?.map((session) => session.id)).not.toContain(other.id);
      expect(await endedEntries(email)).toEqual([
        {
          action: 'session.ended',
          actor_type: 'USER',
          details: JSON.stringify({ sessionId: fromGlobalId(other.id)!.key.id, reason: 'signed_out_elsewhere' }),
        },
      ]);
      // Again: it is gone.
      expect((await api.graphql(SIGN_OUT_SESSION, { id: other.id }, desk)).body).toMatchObject({
        data: { signOutSession: { endedSessionId: null, userErrors: [{ code: 'NOT_FOUND' }] } },
      });
    });

    it("answers another user's session id as NOT_FOUND, ends nothing and writes nothing", async () => {
      const victim = await signInWith('district.admin@pastoral.example', '198.51.100.5', FIREFOX);
      const victimSession = (await sessionsOf(victim))!.find((session) => session.current)!;
      const intruder = await signInWith('form.master@s01.pastoral.example', '198.51.100.6', SAFARI);
      const seq = async () =>
        Number(
          (
            await api.database.handle.db
              .selectFrom('audit_log')
              .select((eb) => eb.fn.max('seq').as('seq'))
              .executeTakeFirstOrThrow()
          ).seq,
        );
      const before = await seq();
      const refused = await api.graphql(SIGN_OUT_SESSION, { id: victimSession.id }, intruder);
      expect(refused.body).toEqual({
        data: {
          signOutSession: {
            endedSessionId: null,
            signedOutHere: false,
            userErrors: [
              {
                code: 'NOT_FOUND',
                message: 'No such session of yours: it has ended already, or it is not yours.',
                field: ['input', 'id'],
              },
            ],
          },
        },
      });
      expect(await seq()).toBe(before);
      expect(await signedIn(victim)).toBe(true);
      // Nor can it be read by its id.
      const read = '{ node(id: "ID") { id ... on Session { device } } }';
      expect((await api.graphql(read.replace('ID', victimSession.id), {}, intruder)).body).toEqual({
        data: { node: null },
      });
      expect((await api.graphql(read.replace('ID', victimSession.id), {}, victim)).body).toEqual({
        data: { node: { id: victimSession.id, device: 'Firefox on Windows' } },
      });
    });

    it('signs out everywhere else: every other session ends at once, this one stays', async () => {
      const email = 'form.master@s02.pastoral.example';
      const here = await signInWith(email, '198.51.100.7', FIREFOX);
      const others = [
        await signInWith(email, '198.51.100.8', SAFARI),
        await signInWith(email, '198.51.100.9', FIREFOX),
      ];
      for (const cookie of others) expect(await signedIn(cookie)).toBe(true);
      const everywhere = await api.graphql(
        'mutation { signOutEverywhere { endedSessions userErrors { code } } }',
        {},
        here,
      );
      expect(everywhere.body).toEqual({ data: { signOutEverywhere: { endedSessions: 2, userErrors: [] } } });
      for (const cookie of others) expect(await signedIn(cookie)).toBe(false);
      expect(await signedIn(here)).toBe(true);
      expect((await sessionsOf(here))?.map((session) => session.current)).toEqual([true]);
      expect((await endedEntries(email)).map((entry) => JSON.parse(entry.details!).reason)).toEqual([
        'signed_out_everywhere',
        'signed_out_everywhere',
      ]);
    });

    it('signs out here when the session ended is this one, and clears its cookie', async () => {
      const cookie = await signInWith('pastoral.lead@s01.pastoral.example', '198.51.100.10', SAFARI);
      const current = (await sessionsOf(cookie))!.find((session) => session.current)!;
      const ended = await api.graphql(SIGN_OUT_SESSION, { id: current.id }, cookie);
      expect(ended.body).toEqual({
        data: { signOutSession: { endedSessionId: current.id, signedOutHere: true, userErrors: [] } },
      });
      expect(String(ended.headers['set-cookie'])).toMatch(/^pastoral_session=; .*Max-Age=0/);
      expect(await signedIn(cookie)).toBe(false);
    });

    it('keeps at most 10 live sessions a user: each sign-in beyond ends the oldest, audited', async () => {
      const email = 'form.master@s01.pastoral.example';
      const { db } = api.database.handle;
      const cookies: string[] = [];
      for (let sign = 0; sign < 12; sign++) {
        cookies.push(await signInWith(email, '198.51.100.11', FIREFOX));
        expect(await signedIn(cookies.at(-1)!)).toBe(true);
      }
      const live = await Promise.all(cookies.map(signedIn));
      // Earlier tests signed this user in too: their sessions were the oldest, and went first.
      expect(live).toEqual([false, false, ...Array<boolean>(10).fill(true)]);
      expect((await sessionsOf(cookies.at(-1)!))?.length).toBe(10);
      const user = await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow();
      const rows = await db.selectFrom('sessions').select('id').where('user_id', '=', user.id).execute();
      expect(rows).toHaveLength(10);
      const reasons = (await endedEntries(email)).map((entry) => JSON.parse(entry.details!).reason);
      expect(reasons.filter((reason) => reason === 'session_limit').length).toBeGreaterThanOrEqual(2);
    });

    it("holds its school's audit chain head for nothing but its entry: no session is read or written after it", async () => {
      const response = await api.request({
        method: 'POST',
        url: '/graphql',
        remoteAddress: '198.51.100.13',
        headers: { 'content-type': 'application/json', 'user-agent': SAFARI },
        payload: JSON.stringify({
          query: 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
          variables: { input: { email: 'pastoral.lead@s01.pastoral.example', password: DEMO_PASSWORD } },
        }),
      });
      expect(response.body).not.toMatch(/userErrors":\[\{/);
      // MySQL locks the head inside the CALL of append_audit_entry; SQLite's append names the head itself.
      const head = response.statements.findIndex((statement) =>
        /\b(audit_chain_head|append_audit_entry)\b/.test(statement),
      );
      expect(head, response.statements.join('\n')).toBeGreaterThan(0);
      // The head is locked until commit: every audited write of the school waits while it is held.
      const commit = response.statements.indexOf('commit', head);
      expect(commit).toBeGreaterThan(head);
      const whileHeld = response.statements.slice(head, commit);
      expect(
        whileHeld.filter((statement) => !/\b(audit_(log|chain_head)|append_audit_entry)\b/.test(statement)),
      ).toEqual([]);
      // On MySQL nothing but the CALL itself: the lock is held for no client round trip but the COMMIT's.
      if (engine.name === 'mysql') expect(whileHeld).toEqual([expect.stringMatching(/^call append_audit_entry\(/)]);
    });

    it('refuses an id that is not a session id, saying what to send', async () => {
      const cookie = await signInWith('school.admin@s01.pastoral.example', '198.51.100.12', FIREFOX);
      const response = await api.graphql(SIGN_OUT_SESSION, { id: 'U3R1ZGVudDox' }, cookie);
      expect(response.status).toBe(400);
      expect(response.body.errors?.[0]?.message).toMatch(/^input\.id must be the id of a Session/);
    });
  });
}
