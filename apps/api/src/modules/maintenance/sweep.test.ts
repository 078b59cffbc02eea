import { buildUser, type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepExpired } from './sweep.ts';

for (const engine of testEngines()) {
  describe(`sweeping expired records on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('removes expired sessions and keys and old throttling windows, and keeps everything still in force', async () => {
      const { db } = database.handle;
      const user = await buildUser(db);
      const session = (id: string, expires: string) => ({
        id_hash: id.repeat(64),
        user_id: user.id,
        created_at: '2026-11-29 00:00:00.000',
        last_seen_at: '2026-11-29 00:00:00.000',
        expires_at: expires,
        ip: null,
        user_agent: null,
      });
      await db
        .insertInto('sessions')
        .values([session('a', '2026-11-30 11:00:00.000'), session('b', '2026-11-30 13:00:00.000')])
        .execute();
      const key = (k: string, expires: string) => ({
        principal: 'user:1',
        idempotency_key: k,
        operation: 'openCase',
        request_hash: 'x'.repeat(64),
        response: '{}',
        school_id: null,
        created_at: '2026-11-28 00:00:00.000',
        expires_at: expires,
      });
      await db
        .insertInto('idempotency_keys')
        .values([key('old', '2026-11-30 00:00:00.000'), key('new', '2026-12-01 00:00:00.000')])
        .execute();
      await db
        .insertInto('rate_limits')
        .values([
          { rate_key: 'signin:ip:1', window_started_at: '2026-11-28 00:00:00.000', hits: 3 },
          { rate_key: 'signin:ip:2', window_started_at: '2026-11-30 11:50:00.000', hits: 3 },
        ])
        .execute();
      const summary = await sweepExpired(db, new Date('2026-11-30T12:00:00Z'));
      expect(summary).toEqual({ sessions: 1, idempotencyKeys: 1, rateLimits: 1 });
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
