/**
 * The audit log's nightly upkeep as a job the API process can run on a schedule (AUDIT_ARCHIVE_SCHEDULE):
 * add next years' partitions, then move entries past the cut-off to the archive. Any number of API processes
 * may have the schedule; a lease in the database lets one of them run it and the others skip that run.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { DatabaseHandle } from '@pastoral/db';
import { Cron } from 'croner';
import type { Logger } from 'pino';
import { acquireJobLease } from '../maintenance/job-lease.ts';
import { addYearPartitions, type ArchiveProgress, archiveOlderThan } from './audit.maintenance.ts';

export const AUDIT_ARCHIVE_JOB = 'audit.archive';
const DAY_MS = 86_400_000;
/**
 * Renewed after every batch (seconds apart), so it only needs to outlast one slow batch; short, because a
 * holder that was killed keeps the next run waiting until its lease expires.
 */
export const ARCHIVE_LEASE_MS = 2 * 60_000;

/** This process among others, as it appears in the lease and the logs. */
export const PROCESS_HOLDER = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;

export interface AuditArchiveSettings {
  olderThanDays: number;
  batchSize: number;
}

export type AuditArchiveOutcome =
  { ran: false } | { ran: true; partitionsAdded: string[]; moved: number; batches: number; leaseLost: boolean };

/**
 * Runs the upkeep once if this holder gets the lease. Renews the lease after every batch and stops, keeping
 * what moved, if the lease was lost or `signal` aborts.
 */
export async function runAuditArchiveJob(
  handle: DatabaseHandle,
  settings: AuditArchiveSettings,
  {
    holder = PROCESS_HOLDER,
    now = new Date(),
    scheduledFor,
    signal,
    onBatch,
  }: {
    holder?: string;
    now?: Date;
    /** For a scheduled run, its scheduled time: of all processes with the schedule, one runs it, once. */
    scheduledFor?: Date;
    signal?: AbortSignal;
    onBatch?: (progress: ArchiveProgress) => void;
  } = {},
): Promise<AuditArchiveOutcome> {
  const lease = await acquireJobLease(handle.db, AUDIT_ARCHIVE_JOB, {
    holder,
    durationMs: ARCHIVE_LEASE_MS,
    now,
    scheduledFor,
  });
  if (!lease) return { ran: false };
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let leaseLost = false;
  try {
    const partitionsAdded = await addYearPartitions(handle, now);
    const progress = await archiveOlderThan(handle.db, new Date(now.getTime() - settings.olderThanDays * DAY_MS), {
      batchSize: settings.batchSize,
      now,
      signal: stop.signal,
      onBatch: async (progress) => {
        onBatch?.(progress);
        if (!(await lease.renew())) {
          leaseLost = true;
          stop.abort();
        }
      },
    });
    return { ran: true, partitionsAdded, ...progress, leaseLost };
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!leaseLost) await lease.release();
  }
}

export interface AuditArchiveSchedule {
  /** The next time the job is due, for logs and status. */
  nextRun(): Date | null;
  /** Stops scheduling, ends a run in progress after its current batch, and waits for it. */
  stop(): Promise<void>;
}

/** Runs the job at the times of a cron expression (minute hour day month weekday, in the server's time zone). */
export function scheduleAuditArchive(
  handle: DatabaseHandle,
  settings: AuditArchiveSettings & { cron: string },
  logger: Logger,
): AuditArchiveSchedule {
  const shutdown = new AbortController();
  let running: Promise<void> | null = null;
  const tick = async (scheduledFor: Date) => {
    const started = performance.now();
    try {
      const outcome = await runAuditArchiveJob(handle, settings, { signal: shutdown.signal, scheduledFor });
      if (!outcome.ran) {
        logger.info(
          { job: AUDIT_ARCHIVE_JOB, scheduledFor },
          'audit archival skipped: another process holds the lease or ran it',
        );
        return;
      }
      logger.info(
        { job: AUDIT_ARCHIVE_JOB, scheduledFor, ...outcome, ms: Math.round(performance.now() - started) },
        'audit archival finished',
      );
    } catch (error) {
      // The next scheduled run starts over; what moved before the failure stays moved.
      logger.error({ job: AUDIT_ARCHIVE_JOB, err: error }, 'audit archival failed');
    }
  };
  // protect: a run still going when the next one is due is not started twice in this process.
  const cron = new Cron(settings.cron, { protect: true }, (self) => {
    // The time on the schedule (10:00:00.000), not when this process's timer fired (a few ms later): every
    // process names the same run the same way.
    const scheduledFor = self.previousRuns(1, new Date(Date.now() + 1))[0] ?? new Date();
    running = tick(scheduledFor).finally(() => {
      running = null;
    });
    return running;
  });
  return {
    nextRun: () => cron.nextRun(),
    async stop() {
      cron.stop();
      shutdown.abort();
      await running;
    },
  };
}
