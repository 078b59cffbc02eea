/**
 * A lease on a scheduled job, so that of several API processes (on one host or many) only one runs it at a
 * time. The lease is a row in the database: it works the same on MySQL and SQLite, needs no connection held
 * open for the job's length, and a process that dies simply lets it expire. The holder renews it as the job
 * goes; a renewal that finds the lease taken by another process tells the job to stop.
 */
import { type Database, isUniqueViolation, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';

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
  try {
    // The first run ever creates the row, already expired and never taken, so that the UPDATE below is the one
    // way to take it.
    await db
      .insertInto('job_leases')
      .values({ job, holder: '', acquired_at: toTimestamp(new Date(0)), expires_at: toTimestamp(new Date(0)) })
      .execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const taken = await db
    .updateTable('job_leases')
    .set({ holder, acquired_at: toTimestamp(now), expires_at: expiresAt(now) })
    .where('job', '=', job)
    .where((eb) => eb.or([eb('expires_at', '<=', toTimestamp(now)), eb('holder', '=', holder)]))
    .$if(scheduledFor !== undefined, (query) => query.where('acquired_at', '<', toTimestamp(scheduledFor!)))
    .executeTakeFirst();
  if (Number(taken.numUpdatedRows) !== 1) return null;

  return {
    job,
    holder,
    async renew(at = new Date()) {
      const renewed = await db
        .updateTable('job_leases')
        .set({ expires_at: expiresAt(at) })
        .where('job', '=', job)
        .where('holder', '=', holder)
        .executeTakeFirst();
      return Number(renewed.numUpdatedRows) === 1;
    },
    async release() {
      await db
        .updateTable('job_leases')
        .set({ expires_at: toTimestamp(new Date(0)) })
        .where('job', '=', job)
        .where('holder', '=', holder)
        .execute();
    },
  };
}

/** The current holder of a job's lease and until when, for status output; null if it was never taken. */
export async function currentJobLease(
  db: Kysely<Database>,
  job: string,
): Promise<{ holder: string; expiresAt: string } | null> {
  const row = await db
    .selectFrom('job_leases')
    .select(['holder', 'expires_at'])
    .where('job', '=', job)
    .executeTakeFirst();
  return row ? { holder: row.holder, expiresAt: row.expires_at } : null;
}
