/**
 * Summarised audit entries: a key's events in one window are two entries (the window opening, then its count
 * when it closes), however many there are and however many arrive at once, and the chain still verifies.
 */
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChain } from './audit.maintenance.ts';
import { closeEndedSummaries, recordSummarisedEvent, type SummarisableEvent } from './audit-summary.ts';
import type { AuditActor } from './audit.writer.ts';

const ACTOR: AuditActor = { type: 'ANONYMOUS', userId: null, apiTokenId: null, requestId: 'req-1', ip: '192.0.2.7' };
const EVENT: SummarisableEvent = { action: 'session.sign_in_throttled', schoolId: null, userId: null, rule: 'address' };
const QUARTER = 15 * 60_000;

for (const engine of testEngines()) {
  describe(`summarised audit entries on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('writes one entry for 400 events of a window, and their count once, when the next window opens', async () => {
      const { db, dialect } = database.handle;
      const window = { key: 'test:sequential', windowMs: QUARTER };
      const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 11, 1, 9, minute, second));
      const outcomes: string[] = [];
      for (let i = 0; i < 400; i++) {
        outcomes.push(
          await recordSummarisedEvent(db, dialect, window, ACTOR, EVENT, at(1 + Math.floor(i / 40), i % 40)),
        );
      }
      expect(outcomes.filter((outcome) => outcome === 'opened')).toHaveLength(1);
      const written = await db.selectFrom('audit_log').select('details').execute();
      expect(written).toEqual([
        {
          details: JSON.stringify({
            rule: 'address',
            summary: { state: 'opened', from: '2026-12-01 09:00:00.000', until: '2026-12-01 09:15:00.000' },
          }),
        },
      ]);

      // The key's next window: its first event closes the last one with the count, and opens its own.
      expect(await recordSummarisedEvent(db, dialect, window, { ...ACTOR, requestId: 'req-2' }, EVENT, at(16))).toBe(
        'opened',
      );
      const all = await db.selectFrom('audit_log').select(['details', 'request_id', 'ip']).orderBy('seq').execute();
      expect(all.slice(1).map((entry) => ({ ...entry, details: JSON.parse(entry.details!) }))).toEqual([
        {
          request_id: null,
          ip: '192.0.2.7',
          details: {
            rule: 'address',
            summary: {
              state: 'closed',
              from: '2026-12-01 09:00:00.000',
              until: '2026-12-01 09:15:00.000',
              occurrences: 400,
              lastAt: '2026-12-01 09:10:39.000',
            },
          },
        },
        {
          request_id: 'req-2',
          ip: '192.0.2.7',
          details: {
            rule: 'address',
            summary: { state: 'opened', from: '2026-12-01 09:15:00.000', until: '2026-12-01 09:30:00.000' },
          },
        },
      ]);

      // A window whose key does not come back is closed by the sweep's call.
      expect(await closeEndedSummaries(db, dialect, at(29))).toBe(0);
      expect(await closeEndedSummaries(db, dialect, at(30))).toBe(1);
      expect(await closeEndedSummaries(db, dialect, at(31))).toBe(0);
      const last = await db.selectFrom('audit_log').select('details').orderBy('seq', 'desc').executeTakeFirstOrThrow();
      expect(JSON.parse(last.details!).summary).toMatchObject({ state: 'closed', occurrences: 1 });
      expect(await db.selectFrom('audit_summaries').selectAll().execute()).toEqual([]);
      expect(await verifyChain(db)).toMatchObject({ ok: true });
    });

    it('opens a window once and counts every event when 200 arrive at once', async () => {
      const { db, dialect } = database.handle;
      const before = await db.selectFrom('audit_log').select('seq').execute();
      const now = new Date(Date.UTC(2026, 11, 2, 10, 5));
      const outcomes = await Promise.all(
        Array.from({ length: 200 }, () =>
          recordSummarisedEvent(db, dialect, { key: 'test:concurrent', windowMs: QUARTER }, ACTOR, EVENT, now),
        ),
      );
      expect(outcomes.filter((outcome) => outcome === 'opened')).toHaveLength(1);
      expect((await db.selectFrom('audit_log').select('seq').execute()).length - before.length).toBe(1);
      const counter = await db
        .selectFrom('audit_summaries')
        .select('occurrences')
        .where('summary_key', '=', 'test:concurrent')
        .executeTakeFirstOrThrow();
      expect(counter.occurrences).toBe(200);
      expect(await verifyChain(db)).toMatchObject({ ok: true });
    });
  });
}
