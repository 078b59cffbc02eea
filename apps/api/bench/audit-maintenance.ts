/**
 * The audit log's maintenance jobs on the district data: verifying the hash chain, archiving entries older than
 * 90 days, exporting everything. Each beside its baseline (see MAINTENANCE_BASELINES), and archival also beside
 * the wait it imposes on live audit writes, which is what its short batches are for.
 */
import { createWriteStream } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type DatabaseHandle, toTimestamp } from '@pastoral/db';
import type { Connection, ResultSetHeader } from 'mysql2';
import {
  archiveOlderThan,
  type ArchiveProgress,
  exportEntries,
  verifyChain,
  type VerifyResult,
} from '../src/modules/audit-log/audit.maintenance.ts';
import { type AuditActor, type AuditEvent, recordAuditEvent } from '../src/modules/audit-log/audit.writer.ts';
import { ENTRY_COLUMNS, moveArchivedEntriesBack } from './audit-tables.ts';
import { type LatencySummary, streamAndDiscard, summarize, timed, type Timed } from './measure.ts';

const DAY_MS = 86_400_000;
/** The CLI's defaults for `pastoral audit archive`. */
export const ARCHIVE_AFTER_DAYS = 90;
export const ARCHIVE_BATCH_SIZE = 5_000;
/** The live writer's pause between two entries: a busy school day's pace, without starving the job of CPU. */
export const LIVE_WRITE_PAUSE_MS = 20;
/** How long live writes are timed with nothing else running, for their own baseline. */
const IDLE_WRITING_MS = 3_000;

export interface LiveWrites extends LatencySummary {
  /** Writes that failed, such as a lock wait past the request deadline. */
  failed: number;
}

export interface ArchiveRun {
  ms: number;
  moved: number;
  batches: number;
  liveWrites: LiveWrites;
}

export interface MaintenanceResults {
  cutoff: string;
  liveWritesIdle: LiveWrites;
  verify: { measured: Timed<VerifyResult>; baseline: Timed<number> };
  archive: {
    measured: ArchiveRun;
    baseline: ArchiveRun;
    /** Where the one-transaction baseline ran. */
    baselineDatabase: string;
    /** The time to move its entries back when it ran on the measured database itself; null on a twin. */
    restoreMs: number | null;
  };
  archiveRerun: { ms: number; moved: number; batches: number };
  verifyAfterArchival: { measured: Timed<VerifyResult>; baseline: Timed<number> };
  export: { measured: Timed<{ lines: number; bytes: number }>; baseline: Timed<number> };
}

/** A database open for the benchmark: a bare connection for baselines and a server-like handle for live writes. */
export interface BenchDatabase {
  name: string;
  raw: Connection;
  /** A handle like the server's (with its statement deadline), for the live writes archival must not hold up. */
  writer: DatabaseHandle;
}

export async function benchAuditMaintenance({
  measured,
  admin,
  twin,
  now,
}: {
  measured: BenchDatabase;
  /** The measured database, on the handle the CLI's maintenance commands use (no statement deadline). */
  admin: DatabaseHandle;
  /**
   * A copy seeded alike that the one-transaction baseline may consume; without one, it runs on the measured
   * database and its entries are moved back afterwards.
   */
  twin: BenchDatabase | null;
  now: Date;
}): Promise<MaintenanceResults> {
  const { raw, writer } = measured;
  const cutoff = new Date(now.getTime() - ARCHIVE_AFTER_DAYS * DAY_MS);
  const log = (line: string) => process.stderr.write(`audit maintenance: ${line}\n`);

  log('verifying the chain (and streaming the same rows)…');
  const verifyBaseline = await timed(() => streamInChainOrder(raw));
  const verifyMeasured = await timed(() => verifyChain(admin.db));

  log('live audit writes with nothing else running…');
  const liveWritesIdle = (await whileWritingLive(writer, () => sleep(IDLE_WRITING_MS))).liveWrites;

  const oneTransactionOn = twin ?? measured;
  log(`archiving in one transaction on ${oneTransactionOn.name} (the baseline)…`);
  const naive = await whileWritingLive(oneTransactionOn.writer, () =>
    timed(() => archiveInOneTransaction(oneTransactionOn.raw, cutoff, now)),
  );
  let restoreMs: number | null = null;
  if (!twin) {
    log(`moving ${naive.result.result.toLocaleString('en-GB')} entries back to the live log for the batched run…`);
    restoreMs = (await timed(() => moveArchivedEntriesBack(raw))).ms;
  }

  log(`archiving in batches of ${ARCHIVE_BATCH_SIZE.toLocaleString('en-GB')}…`);
  const batched = await whileWritingLive(writer, () =>
    timed(() => archiveOlderThan(admin.db, cutoff, { batchSize: ARCHIVE_BATCH_SIZE, now })),
  );
  const rerun = await timed(() => archiveOlderThan(admin.db, cutoff, { batchSize: ARCHIVE_BATCH_SIZE, now }));

  log('verifying the chain across the archive and the live log…');
  const verifyAfterBaseline = await timed(() => streamInChainOrder(raw));
  const verifyAfterMeasured = await timed(() => verifyChain(admin.db));

  log('exporting everything to /dev/null…');
  const range = { from: new Date(0), to: now };
  const exportBaseline = await timed(() => streamInExportOrder(raw, range));
  const exportMeasured = await timed(() => exportToDevNull(admin, range));

  return {
    cutoff: cutoff.toISOString(),
    liveWritesIdle,
    verify: { measured: verifyMeasured, baseline: verifyBaseline },
    archive: {
      measured: archiveRun(batched.result.ms, batched.result.result, batched.liveWrites),
      baseline: archiveRun(naive.result.ms, { moved: naive.result.result, batches: 1 }, naive.liveWrites),
      baselineDatabase: oneTransactionOn.name,
      restoreMs,
    },
    archiveRerun: { ms: rerun.ms, ...rerun.result },
    verifyAfterArchival: { measured: verifyAfterMeasured, baseline: verifyAfterBaseline },
    export: { measured: exportMeasured, baseline: exportBaseline },
  };
}

function archiveRun(ms: number, progress: ArchiveProgress, liveWrites: LiveWrites): ArchiveRun {
  return { ms, moved: progress.moved, batches: progress.batches, liveWrites };
}

/**
 * The archival baseline: what a hand-written job would do, every old entry copied and deleted in a single
 * transaction. The fewest statements, and the longest locks.
 */
async function archiveInOneTransaction(raw: Connection, cutoff: Date, now: Date): Promise<number> {
  const connection = raw.promise();
  await connection.beginTransaction();
  try {
    const [copied] = await connection.query<ResultSetHeader>(
      `insert into audit_log_archive (${ENTRY_COLUMNS}, archived_at)
       select ${ENTRY_COLUMNS}, ? from audit_log where occurred_at < ?`,
      [toTimestamp(now), toTimestamp(cutoff)],
    );
    await connection.query('delete from audit_log where occurred_at < ?', [toTimestamp(cutoff)]);
    await connection.commit();
    return copied.affectedRows;
  } catch (error) {
    await connection.rollback();
    throw error;
  }
}

/** The verification's I/O floor: the rows it reads, in its order, streamed by one statement per table. */
async function streamInChainOrder(raw: Connection): Promise<number> {
  let rows = 0;
  for (const table of ['audit_log_archive', 'audit_log']) {
    rows += await streamAndDiscard(raw, `select ${ENTRY_COLUMNS} from ${table} order by seq`);
  }
  return rows;
}

/** The export's I/O floor: the rows it reads, in its order, streamed by one statement per table. */
async function streamInExportOrder(raw: Connection, range: { from: Date; to: Date }): Promise<number> {
  let rows = 0;
  for (const table of ['audit_log_archive', 'audit_log']) {
    rows += await streamAndDiscard(
      raw,
      `select ${ENTRY_COLUMNS} from ${table} where occurred_at >= ? and occurred_at < ? order by occurred_at, id`,
      [toTimestamp(range.from), toTimestamp(range.to)],
    );
  }
  return rows;
}

/** The CLI's export, with /dev/null for stdout: every line serialised and written, none kept. */
async function exportToDevNull(admin: DatabaseHandle, range: { from: Date; to: Date }) {
  const sink = createWriteStream('/dev/null');
  let bytes = 0;
  try {
    const lines = await exportEntries(admin.db, range, (chunk) => {
      bytes += Buffer.byteLength(chunk);
      return new Promise<void>((resolve, reject) => sink.write(chunk, (error) => (error ? reject(error) : resolve())));
    });
    return { lines, bytes };
  } finally {
    await new Promise<void>((resolve) => sink.end(resolve));
  }
}

const LIVE_WRITER: AuditActor = {
  type: 'SYSTEM',
  userId: null,
  apiTokenId: null,
  requestId: 'bench-live-writer',
  ip: null,
};
const LIVE_WRITE: AuditEvent = {
  action: 'risk.recomputed',
  schoolId: null,
  students: 0,
  levelChanged: 0,
  rulesVersion: 'bench',
};

/**
 * Runs `work` while another connection appends audit entries one after another, as requests would, and
 * reports how long each append took: a lock held by `work` shows up as a long (or failed) write.
 */
async function whileWritingLive<T>(
  writer: DatabaseHandle,
  work: () => Promise<T>,
): Promise<{ result: T; liveWrites: LiveWrites }> {
  const latencies: number[] = [];
  let failed = 0;
  let stopped = false;
  const writing = (async () => {
    while (!stopped) {
      const started = performance.now();
      try {
        await recordAuditEvent(writer.db, writer.dialect, LIVE_WRITER, LIVE_WRITE);
      } catch {
        failed++;
      }
      latencies.push(performance.now() - started);
      await sleep(LIVE_WRITE_PAUSE_MS);
    }
  })();
  // The write in flight when `work` ends counts too: it is often the one that waited for work's last lock.
  const result = await work().finally(() => {
    stopped = true;
    return writing;
  });
  return { result, liveWrites: { ...summarize(latencies), failed } };
}
