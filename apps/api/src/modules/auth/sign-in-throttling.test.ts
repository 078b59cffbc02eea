/**
 * Sign-in throttling that keeps guessing out without locking people out (issue 19, item 10), through the API on
 * each engine, with the server's clock in the test's hands and each request from the address the test names.
 *
 * Before: 5 wrong guesses from anywhere locked an account for 15 minutes, the 51st failure from an address
 * locked every account from it (a school behind one NAT address), and every throttled attempt wrote an audit
 * entry (400 attempts, 400 entries).
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, DEMO_PASSWORD, startApiHarness } from '../../testing/api-harness.ts';
import { sweepExpired } from '../maintenance/sweep.ts';

const SIGN_IN = `mutation ($input: SignInInput!) {
  signIn(input: $input) { viewer { user { email } } userErrors { message code } retryAfterSeconds }
}`;

interface Answer {
  signedIn: boolean;
  message: string | null;
  retryAfterSeconds: number | null;
}

for (const engine of testEngines()) {
  describe(`sign-in throttling on ${engine.name}`, () => {
    let api: ApiHarness;
    /** The server's clock: moved on by the test. */
    let now = new Date('2026-12-01T09:00:00.000Z').getTime();
    let staff: string[] = [];

    beforeAll(async () => {
      api = await startApiHarness(engine, { clock: () => new Date(now) });
      const rows = await api.database.handle.db
        .selectFrom('users')
        .select('email')
        .where('is_active', '=', 1)
        .orderBy('id')
        .execute();
      staff = rows.map((row) => row.email);
    });
    afterAll(() => api.close());

    /** Signs in as `email` from `address`, as a browser there would. */
    async function signInFrom(address: string, email: string, password: string): Promise<Answer> {
      const response = await api.graphqlFrom<{
        signIn: { viewer: unknown; userErrors: { message: string }[]; retryAfterSeconds: number | null };
      }>(address, SIGN_IN, { input: { email, password } });
      const { signIn } = response.body.data!;
      expect(Boolean(response.headers['set-cookie'])).toBe(signIn.viewer !== null);
      return {
        signedIn: signIn.viewer !== null,
        message: signIn.userErrors[0]?.message ?? null,
        retryAfterSeconds: signIn.retryAfterSeconds,
      };
    }
    const throttled = (answer: Answer) => answer.message?.startsWith('Too many failed sign-ins') ?? false;

    const auditRowsSince = async (seq: number) =>
      api.database.handle.db
        .selectFrom('audit_log')
        .select(['action', 'details', 'ip'])
        .where('seq', '>', seq)
        .orderBy('seq')
        .execute();
    const lastSeq = async () =>
      Number(
        (
          await api.database.handle.db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .executeTakeFirstOrThrow()
        ).seq ?? 0,
      );

    it('lets the owner in from their known address while a guesser elsewhere is held back, however many guesses', async () => {
      const owner = staff[3]!;
      // The owner signed in from home last week: that address is known for the account.
      now -= 7 * 86_400_000;
      expect((await signInFrom('198.51.100.7', owner, DEMO_PASSWORD)).signedIn).toBe(true);
      now += 7 * 86_400_000;

      const guesses: Answer[] = [];
      for (let guess = 0; guess < 50; guess++) guesses.push(await signInFrom('203.0.113.9', owner, `guess-${guess}`));
      expect(guesses.slice(0, 5).every((answer) => answer.message?.startsWith('The e-mail address or password'))).toBe(
        true,
      );
      expect(guesses.slice(5).every(throttled)).toBe(true);
      // The guesser's own right password waits too: the pair is held back, without its password being checked.
      expect(throttled(await signInFrom('203.0.113.9', owner, DEMO_PASSWORD))).toBe(true);

      expect(await signInFrom('198.51.100.7', owner, DEMO_PASSWORD)).toEqual({
        signedIn: true,
        message: null,
        retryAfterSeconds: null,
      });
    });

    it('holds guesses spread over many addresses back at 100 a day for the account, but never its known address', async () => {
      const owner = staff[4]!;
      expect((await signInFrom('198.51.100.8', owner, DEMO_PASSWORD)).signedIn).toBe(true);
      // 20 addresses, 5 guesses each: each pair's free failures, 100 for the account.
      for (let host = 1; host <= 20; host++) {
        for (let guess = 0; guess < 5; guess++) {
          const answer = await signInFrom(`192.0.2.${host}`, owner, `spray-${host}-${guess}`);
          expect(answer.message).toMatch(/^The e-mail address or password is not right/);
        }
      }
      const fresh = await signInFrom('192.0.2.200', owner, 'spray-more');
      expect(fresh).toEqual({
        signedIn: false,
        message: 'Too many failed sign-ins. Try again in 24 hours, or ask an administrator to reset your password.',
        retryAfterSeconds: 86_400,
      });
      // A new address of the owner's is held back too (that is the ceiling's point); their known one is not.
      expect(throttled(await signInFrom('192.0.2.201', owner, DEMO_PASSWORD))).toBe(true);
      expect((await signInFrom('198.51.100.8', owner, DEMO_PASSWORD)).signedIn).toBe(true);
    });

    it("lets staff known at a school's shared address in after its 51st failure, and holds unknown accounts there back", async () => {
      const school = '100.64.0.1';
      const colleague = staff[5]!;
      const newcomer = staff[6]!;
      expect((await signInFrom(school, colleague, DEMO_PASSWORD)).signedIn).toBe(true);
      // 60 failures from the school's address, over accounts nobody there signed in to (credential stuffing).
      const answers: Answer[] = [];
      for (let attempt = 0; attempt < 60; attempt++) {
        answers.push(await signInFrom(school, `stuffed${attempt}@example.org`, 'hunter2-hunter2'));
      }
      expect(answers.filter(throttled)).toHaveLength(10);
      expect(throttled(answers[49]!)).toBe(false);
      expect(throttled(answers[50]!)).toBe(true);

      // A colleague who signed in there before gets in; an account never used there waits for the window.
      expect((await signInFrom(school, colleague, DEMO_PASSWORD)).signedIn).toBe(true);
      const held = await signInFrom(school, newcomer, DEMO_PASSWORD);
      expect(throttled(held)).toBe(true);
      now += held.retryAfterSeconds! * 1000;
      expect((await signInFrom(school, newcomer, DEMO_PASSWORD)).signedIn).toBe(true);
    });

    it('makes a pair wait longer after each failure past 5, says when to retry, and clears it at the right password', async () => {
      const owner = staff[7]!;
      const address = '198.51.100.50';
      for (let guess = 0; guess < 5; guess++) {
        expect(throttled(await signInFrom(address, owner, `typo-${guess}`))).toBe(false);
      }
      const waits: number[] = [];
      for (let step = 0; step < 7; step++) {
        // The right password, sent too soon, is refused with the time to wait: it was not checked.
        const early = await signInFrom(address, owner, DEMO_PASSWORD);
        expect(early.signedIn).toBe(false);
        waits.push(early.retryAfterSeconds!);
        now += early.retryAfterSeconds! * 1000;
        expect((await signInFrom(address, owner, `typo-again-${step}`)).message).toMatch(
          /^The e-mail address or password is not right/,
        );
      }
      expect(waits).toEqual([30, 60, 120, 240, 480, 900, 900]);
      const asked = await signInFrom(address, owner, DEMO_PASSWORD);
      expect(asked).toEqual({
        signedIn: false,
        message: 'Too many failed sign-ins. Try again in 15 minutes, or ask an administrator to reset your password.',
        retryAfterSeconds: 900,
      });
      now += 900_000;
      expect((await signInFrom(address, owner, DEMO_PASSWORD)).signedIn).toBe(true);
      // Cleared: the next typo is free again.
      expect((await signInFrom(address, owner, 'one-more-typo')).message).toMatch(/^The e-mail address or password/);
      expect((await signInFrom(address, owner, DEMO_PASSWORD)).signedIn).toBe(true);
    });

    it('audits 400 throttled attempts as one summarised entry, with their count when the window closes', async () => {
      const owner = staff[8]!;
      // At the start of a quarter of an hour, so that every attempt falls in one summary window.
      now = Math.ceil(now / 900_000) * 900_000 + 1_000;
      const before = await lastSeq();
      const answers: Answer[] = [];
      for (let attempt = 0; attempt < 405; attempt++) {
        answers.push(await signInFrom('203.0.113.77', owner, `bot-${attempt}`));
      }
      expect(answers.filter(throttled)).toHaveLength(400);
      const written = await auditRowsSince(before);
      expect(written.map((entry) => [entry.action, JSON.parse(entry.details!)])).toEqual([
        ...Array.from({ length: 5 }, () => ['session.sign_in_failed', { reason: 'wrong_credentials' }]),
        ['session.sign_in_throttled', { rule: 'pair', summary: expect.objectContaining({ state: 'opened' }) }],
      ]);

      // The sweep, after the window, writes the count.
      now += 900_000;
      const swept = await sweepExpired(api.database.handle, new Date(now));
      expect(swept.auditSummaries).toBeGreaterThanOrEqual(1);
      const closing = (await auditRowsSince(before)).filter(
        (entry) => entry.action === 'session.sign_in_throttled' && entry.ip === '203.0.113.77',
      );
      expect(closing.map((entry) => JSON.parse(entry.details!).summary)).toEqual([
        expect.objectContaining({ state: 'opened' }),
        expect.objectContaining({ state: 'closed', occurrences: 400 }),
      ]);
    });

    it('counts an IPv6 host by its /64, so that rotating the host part does not buy fresh guesses', async () => {
      const owner = staff[9]!;
      const answers: Answer[] = [];
      for (let host = 1; host <= 7; host++) {
        answers.push(await signInFrom(`2001:db8:7:9::${host.toString(16)}`, owner, `v6-${host}`));
      }
      expect(answers.map(throttled)).toEqual([false, false, false, false, false, true, true]);
    });
  });
}
