import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { toTimestamp } from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { builtProcessScript } from '../../testing/built-api.global-setup.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiHarness } from '../../testing/api-harness.ts';
import { acquireJobLease } from '../maintenance/job-lease.ts';
import { verifyChain } from './audit.maintenance.ts';
import { createSeededDatabase } from '../../testing/seeded-database.ts';

const run = promisify(execFile);
/** Another API process, bundled by the suite's global setup: it starts at once, where tsx took seconds. */
const RUNNER = builtProcessScript('modules/audit-log/testing/run-archive-job.ts');
const NOW = new Date('2026-11-30T12:00:00Z');
const DAY_MS = 86_400_000;

interface RunnerReport {
  holder: string;
  ran: boolean;
  moved?: number;
}

for (const engine of testEngines()) {
  describe(`the scheduled audit archival on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await createSeededDatabase(engine, 3);
    });
    afterAll(() => database.drop());

    const count = async (table: 'audit_log' | 'audit_log_archive', olderThan?: Date) => {
      let query = database.handle.db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'));
      if (olderThan) query = query.where('occurred_at', '<', toTimestamp(olderThan));
      return Number((await query.executeTakeFirstOrThrow()).n);
    };

    it('is run by exactly one of several processes started at the same instant', async () => {
      const total = await count('audit_log');
      const due = await count('audit_log', new Date(NOW.getTime() - 90 * DAY_MS));
      expect(due).toBeGreaterThan(1_000);
      // Small batches make the winner's run last long past the instant the others try to take the lease.
      const goAt = Date.now() + 5_000;
      const reports = await Promise.all(
        ['api-1', 'api-2', 'api-3'].map(async (holder) => {
          const { stdout } = await run(
            process.execPath,
            [RUNNER, database.url, holder, NOW.toISOString(), '50', String(goAt)],
            {
              timeout: 60_000,
            },
          );
          return JSON.parse(stdout) as RunnerReport;
        }),
      );
      const ran = reports.filter((report) => report.ran);
      expect(ran).toHaveLength(1);
      expect(ran[0]!.moved).toBe(due);

      expect(await count('audit_log_archive')).toBe(due);
      expect((await count('audit_log')) + (await count('audit_log_archive'))).toBe(total);
      expect(await verifyChain(database.handle.db)).toMatchObject({ ok: true, entries: total });
      // Released at the end: the next scheduled run anywhere may take it at once.
      const next = await acquireJobLease(database.handle.db, 'audit.archive', { holder: 'api-2', durationMs: 60_000 });
      expect(next).not.toBeNull();
      await next!.release();
    });

    it('hands the lease to another process only once it has expired, and tells the old holder', async () => {
      const { db } = database.handle;
      const job = 'test.lease';
      const at = (ms: number) => new Date(NOW.getTime() + ms);
      const first = await acquireJobLease(db, job, { holder: 'a', durationMs: 1_000, now: at(0) });
      expect(first).not.toBeNull();
      expect(await acquireJobLease(db, job, { holder: 'b', durationMs: 1_000, now: at(500) })).toBeNull();
      expect(await first!.renew(at(900))).toBe(true);
      // Renewed to 1,900 ms: still held at 1,500.
      expect(await acquireJobLease(db, job, { holder: 'b', durationMs: 1_000, now: at(1_500) })).toBeNull();

      const second = await acquireJobLease(db, job, { holder: 'b', durationMs: 1_000, now: at(2_000) });
      expect(second).not.toBeNull();
      expect(await first!.renew(at(2_100))).toBe(false);
      // The old holder's release must not end the new holder's lease.
      await first!.release();
      expect(await acquireJobLease(db, job, { holder: 'c', durationMs: 1_000, now: at(2_200) })).toBeNull();
      await second!.release();
      expect(await acquireJobLease(db, job, { holder: 'c', durationMs: 1_000, now: at(2_300) })).not.toBeNull();
    });

    it('runs a scheduled run once, even for a process that comes to it after the first one finished', async () => {
      const { db } = database.handle;
      const job = 'test.scheduled';
      const slot = new Date(NOW.getTime() + 60_000);
      const at = (ms: number) => new Date(slot.getTime() + ms);
      const first = await acquireJobLease(db, job, { holder: 'a', durationMs: 1_000, now: at(3), scheduledFor: slot });
      expect(first).not.toBeNull();
      await first!.release();
      // Another host whose timer fired later, with the lease free again: the 10:01 run is done.
      expect(
        await acquireJobLease(db, job, { holder: 'b', durationMs: 1_000, now: at(40), scheduledFor: slot }),
      ).toBeNull();
      // The next scheduled run is anyone's.
      const nextSlot = at(60_000);
      expect(
        await acquireJobLease(db, job, { holder: 'b', durationMs: 1_000, now: at(60_002), scheduledFor: nextSlot }),
      ).not.toBeNull();
    });
  });
}

describe('AUDIT_ARCHIVE_SCHEDULE in the API process', () => {
  it('archives on its schedule and stops when the server closes', async () => {
    const [sqlite] = testEngines();
    // Every second, so that the test need not wait for 02:00.
    const api = await startApiHarness(sqlite!, { environment: { AUDIT_ARCHIVE_SCHEDULE: '* * * * * *' } });
    const { db } = api.database.handle;
    const oldLive = () =>
      db
        .selectFrom('audit_log')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('occurred_at', '<', toTimestamp(new Date(Date.now() - 90 * DAY_MS)))
        .executeTakeFirstOrThrow()
        .then((row) => Number(row.n));
    try {
      // The first run may already have happened by now: what matters is where the entries end up.
      for (let waited = 0; (await oldLive()) > 0 && waited < 15_000; waited += 100) await sleep(100);
      expect(await oldLive()).toBe(0);
      const archived = await db
        .selectFrom('audit_log_archive')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(archived.n)).toBeGreaterThan(1_000);
    } finally {
      // Stops the schedule and waits for a run in progress before the database goes.
      await api.close();
    }
  });
});
