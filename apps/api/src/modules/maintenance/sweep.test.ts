import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import {
  buildAuditSummary,
  buildIdempotencyKey,
  buildRateLimitWindow,
  buildSession,
  buildSignInAddress,
  buildUser,
} from '../../testing/factories.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpired } from './sweep.ts';

for (const engine of testEngines()) {
  describe(`sweeping expired records on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('removes expired sessions, keys, old throttling windows and unused addresses, closes ended audit summaries, and keeps everything still in force', async () => {
      const { db } = database.handle;
      const user = await buildUser(db);
      // Each pair straddles its cut: the first is swept, the second still in force at noon on 30 November.
      for (const [letter, expires] of [
        ['a', '2026-11-30 11:00:00.000'],
        ['b', '2026-11-30 13:00:00.000'],
      ] as const) {
        await buildSession(db, { user_id: user.id, id_hash: letter.repeat(64), expires_at: expires });
      }
      await buildIdempotencyKey(db, { idempotency_key: 'old', expires_at: '2026-11-30 00:00:00.000' });
      await buildIdempotencyKey(db, { idempotency_key: 'new', expires_at: '2026-12-01 00:00:00.000' });
      await buildRateLimitWindow(db, { rate_key: 'signin:ip:1', window_started_at: '2026-11-28 00:00:00.000' });
      await buildRateLimitWindow(db, { rate_key: 'signin:ip:2', window_started_at: '2026-11-30 11:50:00.000' });
      await buildSignInAddress(db, {
        user_id: user.id,
        address: '10.0.0.1',
        last_signed_in_at: '2026-10-31 11:59:00.000',
      });
      await buildSignInAddress(db, {
        user_id: user.id,
        address: '10.0.0.2',
        last_signed_in_at: '2026-10-31 12:01:00.000',
      });
      // Two summarised audit windows: one ended (closed by the sweep, with its count), one still open.
      const throttled = (key: string, from: string, until: string) =>
        buildAuditSummary(db, {
          summary_key: key,
          window_started_at: from,
          window_ends_at: until,
          occurrences: 7,
          last_occurred_at: from,
          event: JSON.stringify({ action: 'session.sign_in_throttled', schoolId: null, userId: null, rule: 'address' }),
          actor: JSON.stringify({ type: 'ANONYMOUS', userId: null, apiTokenId: null, ip: '10.0.0.9' }),
        });
      await throttled('ended', '2026-11-30 11:30:00.000', '2026-11-30 11:45:00.000');
      await throttled('open', '2026-11-30 11:45:00.000', '2026-11-30 12:00:00.001');
      const summary = await sweepExpired(database.handle, new Date('2026-11-30T12:00:00Z'));
      expect(summary).toEqual({
        sessions: 1,
        idempotencyKeys: 1,
        rateLimits: 1,
        signInAddresses: 1,
        auditSummaries: 1,
      });
      expect((await db.selectFrom('sign_in_addresses').select('address').execute()).map((row) => row.address)).toEqual([
        '10.0.0.2',
      ]);
      expect(
        (await db.selectFrom('audit_summaries').select('summary_key').execute()).map((row) => row.summary_key),
      ).toEqual(['open']);
      const closing = await db.selectFrom('audit_log').selectAll().execute();
      expect(
        closing.map(({ action, actor_type, ip, request_id, details }) => ({
          action,
          actor_type,
          ip,
          request_id,
          details,
        })),
      ).toEqual([
        {
          action: 'session.sign_in_throttled',
          actor_type: 'ANONYMOUS',
          ip: '10.0.0.9',
          request_id: null,
          details: JSON.stringify({
            rule: 'address',
            summary: {
              state: 'closed',
              from: '2026-11-30 11:30:00.000',
              until: '2026-11-30 11:45:00.000',
              occurrences: 7,
              lastAt: '2026-11-30 11:30:00.000',
            },
          }),
        },
      ]);
      expect((await db.selectFrom('sessions').select('id_hash').execute()).map((row) => row.id_hash[0])).toEqual(['b']);
      expect(
        (await db.selectFrom('idempotency_keys').select('idempotency_key').execute()).map((row) => row.idempotency_key),
      ).toEqual(['new']);
      expect((await db.selectFrom('rate_limits').select('rate_key').execute()).map((row) => row.rate_key)).toEqual([
        'signin:ip:2',
      ]);
    });
  });
}
