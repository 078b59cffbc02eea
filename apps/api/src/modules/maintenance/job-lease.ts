/**
 * A lease on a scheduled job, so that of several API processes (on one host or many) only one runs it at a
 * time. The lease is a row in the database: it works the same on MySQL and SQLite, needs no connection held
 * open for the job's length, and a process that dies simply lets it expire. The holder renews it as the job
 * goes; a renewal that finds the lease taken by another process tells the job to stop.
 */
import { type Database, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { createJobLeaseRow, jobLeaseOf, setJobLeaseEnd, takeJobLease } from './job-lease.repository.ts';

export interface JobLease {
  job: string;
  holder: string;
  /** Extends the lease by its duration; false when it was lost (it expired and another process took it). */
  renew(now?: Date): Promise<boolean>;
  /** Ends the lease at once, so the next scheduled run anywhere need not wait for it to expire. */
  release(): Promise<void>;
}

export interface LeaseOptions {
  /** Who is asking: unique per process (host, pid and a random part). */
  holder: string;
  /** How long the lease lasts without a renewal. */
  durationMs: number;
  now?: Date;
  /**
   * For a scheduled run: the time it was scheduled for. The lease is then refused if any process took it since,
   * so that a process whose clock or tick runs late does not run the same scheduled run again after the first
   * process finished and let the lease go.
   */
  scheduledFor?: Date;
}

/**
 * Takes the job's lease if no other process holds an unexpired one, or returns null. One conditional UPDATE
 * decides between racing processes: the database applies it to the row one at a time, so exactly one of them
 * matches the row while it is free.
 */
export async function acquireJobLease(
  db: Kysely<Database>,
  job: string,
  { holder, durationMs, now = new Date(), scheduledFor }: LeaseOptions,
): Promise<JobLease | null> {
  const expiresAt = (from: Date) => toTimestamp(new Date(from.getTime() + durationMs));
  const epoch = toTimestamp(new Date(0));
  await createJobLeaseRow(db, job, epoch);
  const taken = await takeJobLease(db, job, {
    holder,
    now: toTimestamp(now),
    expiresAt: expiresAt(now),
    takenBefore: scheduledFor && toTimestamp(scheduledFor),
  });
  if (!taken) return null;

  return {
    job,
    holder,
    async renew(at = new Date()) {
      return setJobLeaseEnd(db, job, holder, expiresAt(at));
    },
    async release() {
      await setJobLeaseEnd(db, job, holder, epoch);
    },
  };
}

/** The current holder of a job's lease and until when, for status output; null if it was never taken. */
export async function currentJobLease(
  db: Kysely<Database>,
  job: string,
): Promise<{ holder: string; expiresAt: string } | null> {
  const row = await jobLeaseOf(db, job);
  return row ? { holder: row.holder, expiresAt: row.expires_at } : null;
}
