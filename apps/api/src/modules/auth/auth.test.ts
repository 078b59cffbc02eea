import { toTimestamp } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { hashSessionId } from './session.ts';

const VIEWER =
  'query { viewer { role canViewRestricted user { email fullName } school { code } classrooms { name } } }';
const SIGN_IN =
  'mutation ($input: SignInInput!) { signIn(input: $input) { viewer { role } userErrors { message code field } } }';

for (const engine of testEngines()) {
  describe(`sign-in and sessions on ${engine.name}`, () => {
    let api: ApiHarness;
    beforeAll(async () => {
      // These tests move a session's clock by editing its row, which a worker's cached copy would see only
      // after SESSION_CACHE_TTL_S: the cache is off here, and session-cache.test.ts holds it to the same ends.
      api = await startApiHarness(engine, { environment: { SESSION_CACHE_TTL_S: '0' } });
    });
    afterAll(() => api.close());

    it('signs a form master in with an HttpOnly, SameSite=Lax session cookie and shows who they are', async () => {
      const response = await api.graphql(SIGN_IN, {
        input: { email: 'Form.Master@s01.pastoral.example ', password: 'pastoral-demo' },
      });
      expect(response.body).toEqual({ data: { signIn: { viewer: { role: 'FORM_MASTER' }, userErrors: [] } } });
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(/^pastoral_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Lax; Max-Age=43200$/);

      const viewer = await api.graphql(VIEWER, {}, cookie.split(';')[0]);
      expect(viewer.body.data).toMatchObject({
        viewer: {
          role: 'FORM_MASTER',
          canViewRestricted: false,
          user: { email: 'form.master@s01.pastoral.example' },
          school: { code: 'S01' },
        },
      });
      expect((viewer.body.data as { viewer: { classrooms: unknown[] } }).viewer.classrooms).toHaveLength(1);
    });

    it('stores only a hash of the session id, and gives a fresh id at every sign-in', async () => {
      const first = await api.signIn('pastoral.lead@s01.pastoral.example');
      const second = await api.signIn('pastoral.lead@s01.pastoral.example');
      expect(first).not.toBe(second);
      const sessionId = first.split('=')[1]!;
      const stored = await api.database.handle.db.selectFrom('sessions').select('id_hash').execute();
      expect(stored.map((row) => row.id_hash)).toContain(hashSessionId(sessionId));
      expect(stored.map((row) => row.id_hash)).not.toContain(sessionId);
    });

    it('gives a wrong password and an unknown e-mail the same answer, and audits both', async () => {
      const wrongPassword = await api.graphql(SIGN_IN, {
        input: { email: 'school.admin@s01.pastoral.example', password: 'nope-nope' },
      });
      const unknownEmail = await api.graphql(SIGN_IN, {
        input: { email: 'nobody@s01.pastoral.example', password: 'nope-nope' },
      });
      expect(wrongPassword.body).toEqual(unknownEmail.body);
      expect(wrongPassword.body.data).toEqual({
        signIn: {
          viewer: null,
          userErrors: [
            {
              message: 'The e-mail address or password is not right. Check both and try again.',
              code: 'INVALID',
              field: ['input'],
            },
          ],
        },
      });
      expect(wrongPassword.headers['set-cookie']).toBeUndefined();
      const failures = await api.database.handle.db
        .selectFrom('audit_log')
        .select(['action', 'actor_type', 'details'])
        .where('action', '=', 'session.sign_in_failed')
        .where('request_id', 'is not', null)
        .where('occurred_at', '>', '2026-11-30 00:00:00.000')
        .execute();
      expect(failures.length).toBeGreaterThanOrEqual(2);
      expect(
        failures.every((f) => f.actor_type === 'ANONYMOUS' && f.details === '{"reason":"wrong_credentials"}'),
      ).toBe(true);
    });

    it('holds an account back at its 6th failure from one address, even the right password, and says when', async () => {
      const email = 'form.master@s02.pastoral.example';
      for (let attempt = 0; attempt < 5; attempt++) {
        await api.graphql(SIGN_IN, { input: { email, password: `wrong-${attempt}` } });
      }
      const blocked = await api.graphql<{ signIn: { userErrors: { message: string }[] } }>(SIGN_IN, {
        input: { email, password: 'pastoral-demo' },
      });
      // The wait grows with each failure after the 5th (sign-in-throttling.test.ts follows it to 15 minutes).
      expect(blocked.body.data?.signIn.userErrors[0]?.message).toMatch(
        /^Too many failed sign-ins\. Try again in (29|30) seconds, or ask an administrator to reset your password\.$/,
      );
      expect(blocked.headers['set-cookie']).toBeUndefined();
    });

    it('answers anonymous requests: viewer is null, everything else asks to sign in with a 401', async () => {
      expect((await api.graphql('{ viewer { role } }')).body).toEqual({ data: { viewer: null } });
      const cases = await api.graphql('{ cases { totalCount } }');
      expect(cases.status).toBe(401);
      expect(cases.body.errors?.[0]).toMatchObject({
        message: 'Sign in first: this field needs a signed-in user.',
        extensions: { code: 'UNAUTHENTICATED' },
      });
      expect((await api.graphql('{ node(id: "U3R1ZGVudDox") { id } }')).body).toEqual({ data: { node: null } });
    });

    it('ends a session after 30 idle minutes, and records activity at most once a minute', async () => {
      const cookie = await api.signIn('school.admin@s01.pastoral.example');
      const idHash = hashSessionId(cookie.split('=')[1]!);
      const quick = await api.graphql('{ viewer { role } }', {}, cookie);
      expect(quick.statements.filter((statement) => /^update/i.test(statement))).toEqual([]);

      const { db } = api.database.handle;
      const old = toTimestamp(new Date(Date.now() - 10 * 60_000));
      await db.updateTable('sessions').set({ last_seen_at: old }).where('id_hash', '=', idHash).execute();
      const touched = await api.graphql('{ viewer { role } }', {}, cookie);
      expect(touched.body.data).toEqual({ viewer: { role: 'SCHOOL_ADMIN' } });
      expect(touched.statements.filter((statement) => /^update/i.test(statement))).toHaveLength(1);

      const idle = toTimestamp(new Date(Date.now() - 31 * 60_000));
      await db.updateTable('sessions').set({ last_seen_at: idle }).where('id_hash', '=', idHash).execute();
      expect((await api.graphql('{ viewer { role } }', {}, cookie)).body).toEqual({ data: { viewer: null } });
    });

    it('ends a session after 12 hours, however active', async () => {
      const cookie = await api.signIn('school.admin@s01.pastoral.example');
      const idHash = hashSessionId(cookie.split('=')[1]!);
      await api.database.handle.db
        .updateTable('sessions')
        .set({ expires_at: toTimestamp(new Date(Date.now() - 1000)) })
        .where('id_hash', '=', idHash)
        .execute();
      expect((await api.graphql('{ viewer { role } }', {}, cookie)).body).toEqual({ data: { viewer: null } });
    });

    it('signs out: the session is gone, the cookie cleared, and both ends are in the audit log', async () => {
      const cookie = await api.signIn('district.admin@pastoral.example');
      const signOut = await api.graphql('mutation { signOut { signedOut } }', {}, cookie);
      expect(signOut.body).toEqual({ data: { signOut: { signedOut: true } } });
      expect(String(signOut.headers['set-cookie'])).toMatch(/^pastoral_session=; .*Max-Age=0/);
      expect((await api.graphql('{ viewer { role } }', {}, cookie)).body).toEqual({ data: { viewer: null } });
      const actions = await api.database.handle.db
        .selectFrom('audit_log')
        .innerJoin('users', 'users.id', 'audit_log.user_id')
        .select('audit_log.action')
        .where('users.email', '=', 'district.admin@pastoral.example')
        .where('audit_log.request_id', 'is not', null)
        .where('audit_log.occurred_at', '>', toTimestamp(new Date(Date.now() - 60_000)))
        .orderBy('audit_log.seq')
        .execute();
      expect(actions.map((a) => a.action)).toEqual(['session.signed_in', 'session.signed_out']);
    });

    it('leaves neither the change nor the audit entry when the entry cannot be written', async () => {
      const cookie = await api.signIn('school.admin@s01.pastoral.example');
      const { db } = api.database.handle;
      const countAudit = async () =>
        Number(
          (
            await db
              .selectFrom('audit_log')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const head = await db.selectFrom('audit_chain_head').selectAll().executeTakeFirstOrThrow();
      const entriesBefore = await countAudit();
      // Without its chain head the audit entry cannot be appended, so the sign-out's transaction must fail whole.
      await db.deleteFrom('audit_chain_head').execute();
      try {
        const response = await api.graphql('mutation { signOut { signedOut } }', {}, cookie);
        expect(response.body.errors?.[0]?.extensions?.code).toBe('INTERNAL_SERVER_ERROR');
      } finally {
        await db.insertInto('audit_chain_head').values(head).execute();
      }
      expect(await countAudit()).toBe(entriesBefore);
      expect((await api.graphql('{ viewer { role } }', {}, cookie)).body).toEqual({
        data: { viewer: { role: 'SCHOOL_ADMIN' } },
      });
    });

    it('holds an address back after 50 failures across accounts, for accounts not signed in from it', async () => {
      const { db } = api.database.handle;
      // Earlier tests' failures from this address count too; start the window clean.
      await db.deleteFrom('rate_limits').execute();
      for (let attempt = 0; attempt < 50; attempt++) {
        await api.graphql(SIGN_IN, { input: { email: `spray${attempt}@example.org`, password: 'guess-guess' } });
      }
      // Nobody signed in to this account from here: it waits for the window to end.
      const blocked = await api.graphql<{ signIn: { userErrors: { message: string }[] } }>(SIGN_IN, {
        input: { email: 'form.master@s02.pastoral.example', password: 'pastoral-demo' },
      });
      expect(blocked.body.data?.signIn.userErrors[0]?.message).toMatch(/^Too many failed sign-ins\. Try again in/);
      // The pastoral lead signed in from here in an earlier test: the address knows them.
      expect(
        (
          await api.graphql(SIGN_IN, {
            input: { email: 'pastoral.lead@s01.pastoral.example', password: 'pastoral-demo' },
          })
        ).body.data,
      ).toEqual({ signIn: { viewer: { role: 'PASTORAL_LEAD' }, userErrors: [] } });
      await db.deleteFrom('rate_limits').execute();
    });

    it("counts only failures against an address, so a school's staff behind one address can all sign in", async () => {
      const { db } = api.database.handle;
      await db.deleteFrom('rate_limits').execute();
      await db.deleteFrom('sign_in_addresses').execute();
      // More successful sign-ins from one address than its failure limit: the first claims an attempt under the
      // account and address rules and gives both back; the address is known for the account after it, so the
      // others answer to the pair's rule alone, whose count a success clears. The one failure among them is all
      // that is left counted.
      for (let attempt = 0; attempt < 55; attempt++) {
        await api.signIn('pastoral.lead@s01.pastoral.example');
      }
      await api.graphql(SIGN_IN, { input: { email: 'nobody@example.org', password: 'guess-guess' } });
      const counted = await db.selectFrom('rate_limits').select(['rate_key', 'hits']).orderBy('rate_key').execute();
      expect(counted).toEqual([
        { rate_key: 'signin:account:nobody@example.org', hits: 1 },
        { rate_key: 'signin:account:pastoral.lead@s01.pastoral.example', hits: 0 },
        { rate_key: expect.stringMatching(/^signin:ip:/), hits: 1 },
        { rate_key: expect.stringMatching(/^signin:pair:nobody@example\.org /), hits: 1 },
      ]);
      await db.deleteFrom('rate_limits').execute();
    });

    it('filters the audit log by the kind of actor, in the database', async () => {
      const cookie = await api.signIn('district.admin@pastoral.example');
      const response = await api.graphql<{ auditLog: { totalCount: number; nodes: { actorType: string }[] } }>(
        '{ auditLog(first: 100, filter: { actorType: ANONYMOUS }) { totalCount nodes { actorType } } }',
        {},
        cookie,
      );
      const log = response.body.data!.auditLog;
      expect(log.totalCount).toBeGreaterThan(0);
      expect(new Set(log.nodes.map((entry) => entry.actorType))).toEqual(new Set(['ANONYMOUS']));
    });
  });
}
