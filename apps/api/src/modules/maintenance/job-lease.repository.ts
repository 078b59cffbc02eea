/** The leases on scheduled jobs (job_leases): one row per job, naming who holds it and until when. */
import { type Database, isUniqueViolation } from '@pastoral/db';
import type { Kysely } from 'kysely';

/**
 * Creates the job's row if it has none, already expired (at `epoch`) and never taken, so that taking it is always
 * the conditional UPDATE of `takeJobLease`.
 */
export async function createJobLeaseRow(db: Kysely<Database>, job: string, epoch: string): Promise<void> {
  try {
    await db.insertInto('job_leases').values({ job, holder: '', acquired_at: epoch, expires_at: epoch }).execute();
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
}

/**
 * Gives the lease to `holder` if it expired by `now` or is already theirs and, with `takenBefore`, nobody took it
 * since then: true when it did. Racing processes are decided by the database, which applies the UPDATE to the
 * row one at a time.
 */
export async function takeJobLease(
  db: Kysely<Database>,
  job: string,
  lease: { holder: string; now: string; expiresAt: string; takenBefore: string | undefined },
): Promise<boolean> {
  const { holder, now, expiresAt, takenBefore } = lease;
  const taken = await db
    .updateTable('job_leases')
    .set({ holder, acquired_at: now, expires_at: expiresAt })
    .where('job', '=', job)
    .where((eb) => eb.or([eb('expires_at', '<=', now), eb('holder', '=', holder)]))
    .$if(takenBefore !== undefined, (query) => query.where('acquired_at', '<', takenBefore!))
    .executeTakeFirst();
  return Number(taken.numUpdatedRows) === 1;
}

/**
 * Moves the end of `holder`'s lease to `expiresAt` (later to renew it, the epoch to end it): false when the lease is
 * no longer theirs.
 */
export async function setJobLeaseEnd(
  db: Kysely<Database>,
  job: string,
  holder: string,
  expiresAt: string,
): Promise<boolean> {
  const renewed = await db
    .updateTable('job_leases')
    .set({ expires_at: expiresAt })
    .where('job', '=', job)
    .where('holder', '=', holder)
    .executeTakeFirst();
  return Number(renewed.numUpdatedRows) === 1;
}

export async function jobLeaseOf(db: Kysely<Database>, job: string) {
  return db.selectFrom('job_leases').select(['holder', 'expires_at']).where('job', '=', job).executeTakeFirst();
}
