/**
 * Turns at argon2id (password.ts): a bounded number hash at once, a bounded queue waits, and a sign-in finding no
 * place is refused with a clear message, having claimed and written nothing (issue 21, item 2).
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { type ApiHarness, DEMO_PASSWORD, startApiHarness } from '../../testing/api-harness.ts';
import { hashPassword, PASSWORD_HASHING_QUEUE, PasswordHashingTurns, passwordHashingTurns } from './password.ts';

const SIGN_IN = `mutation ($input: SignInInput!) {
  signIn(input: $input) { viewer { user { email } } userErrors { message } retryAfterSeconds }
}`;

describe('turns at password hashing', () => {
  it('hashes `concurrency` at once, queues the rest in order, and verifies every one it queued', async () => {
    const stored = await hashPassword('correct horse');
    const turns = new PasswordHashingTurns(2, 3);
    const reserved = Array.from({ length: 5 }, () => turns.reserve());
    // Two hashing and three waiting fill it: the sixth is refused at once.
    expect(reserved.every((turn) => turn !== null)).toBe(true);
    expect(turns.reserve()).toBeNull();
    const finished: number[] = [];
    let hashing = 0;
    let mostAtOnce = 0;
    const verifies = reserved.map(async (turn, index) => {
      const result = turn!.verify(stored, index === 4 ? 'wrong' : 'correct horse');
      hashing += 1;
      mostAtOnce = Math.max(mostAtOnce, hashing);
      const verified = await result;
      hashing -= 1;
      finished.push(index);
      return verified;
    });
    expect(await Promise.all(verifies)).toEqual([true, true, true, true, false]);
    expect(turns.occupied).toBe(0);
    // The queue is first come, first served: 2, 3 and 4 start in that order as places free up.
    expect(finished.slice(2)).toEqual([2, 3, 4]);
    expect(turns.reserve()).not.toBeNull();
  });

  it('gives a place back that was reserved and never used, once however often released', () => {
    const turns = new PasswordHashingTurns(1, 0);
    const turn = turns.reserve()!;
    expect(turns.reserve()).toBeNull();
    turn.release();
    turn.release();
    expect(turns.occupied).toBe(0);
    expect(turns.reserve()).not.toBeNull();
    expect(turns.occupied).toBe(1);
  });
});

for (const engine of testEngines()) {
  describe(`a sign-in with no place left at hashing on ${engine.name}`, () => {
    let api: ApiHarness;
    beforeAll(async () => {
      api = await startApiHarness(engine);
    });
    afterAll(() => api.close());

    it('is refused with a clear message and a time to retry, claiming and recording nothing; then goes through', async () => {
      const { db } = api.database.handle;
      const count = async (table: 'audit_log' | 'rate_limits' | 'sessions') =>
        Number(
          (
            await db
              .selectFrom(table)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow()
          ).n,
        );
      const before = {
        audit: await count('audit_log'),
        limits: await count('rate_limits'),
        sessions: await count('sessions'),
      };
      // The process's own turns, as the resolver finds them with the default PASSWORD_HASHES_AT_ONCE.
      const { passwordHashingConcurrency } = loadConfig({ NODE_ENV: 'test' });
      const turns = passwordHashingTurns(passwordHashingConcurrency);
      const taken = Array.from({ length: passwordHashingConcurrency + PASSWORD_HASHING_QUEUE }, () => turns.reserve());
      try {
        const refused = await api.graphqlFrom<{
          signIn: { viewer: unknown; userErrors: { message: string }[]; retryAfterSeconds: number | null };
        }>('203.0.113.7', SIGN_IN, { input: { email: 'pastoral.lead@s01.pastoral.example', password: DEMO_PASSWORD } });
        expect(refused.body.data!.signIn).toEqual({
          viewer: null,
          userErrors: [{ message: 'Many people are signing in right now. Try again in 2 seconds.' }],
          retryAfterSeconds: 2,
        });
        expect(refused.headers['set-cookie']).toBeUndefined();
        expect({
          audit: await count('audit_log'),
          limits: await count('rate_limits'),
          sessions: await count('sessions'),
        }).toEqual(before);
      } finally {
        for (const turn of taken) turn?.release();
      }
      const admitted = await api.graphqlFrom<{ signIn: { viewer: { user: { email: string } } | null } }>(
        '203.0.113.7',
        SIGN_IN,
        { input: { email: 'pastoral.lead@s01.pastoral.example', password: DEMO_PASSWORD } },
      );
      expect(admitted.body.data!.signIn.viewer?.user.email).toBe('pastoral.lead@s01.pastoral.example');
    });
  });
}
