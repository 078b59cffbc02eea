/**
 * The counters of failed sign-ins (rate_limits), one row per key and window: how the rules of throttle.ts read and
 * write them. Every statement here takes the window in the terms its SQL compares (timestamps, counts); the rules
 * and the arithmetic of the back-off are throttle.ts's.
 */
import type { Database } from '@pastoral/db';
import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from 'kysely';

/** A key's window as of one attempt: the rule's limit and times, as the columns compare them. */
export interface ThrottleWindow {
  key: string;
  /** Failures allowed in one window. */
  limit: number;
  /** A window that started at or before this is over: the attempt begins a new one. */
  windowStart: string;
  /** The attempt's time. */
  now: string;
}

/**
 * The back-off of a rule as the times it gives, from the `limit`th failure on: after `steps[i].failures` failures
 * the next attempt waits until `steps[i].at`, and after any more until `last` (the longest wait).
 */
export interface BackoffSchedule {
  steps: { failures: number; at: string }[];
  last: string;
}

export interface ThrottleRow {
  rate_key: string;
  window_started_at: string;
  next_attempt_at: string | null;
}

/**
 * Whether a key's row lets an attempt through: its window is over, it has room, or its wait is over. Never NULL
 * (a NULL next_attempt_at is compared apart), so that its negation holds exactly the rows it refuses.
 */
function letsThrough(window: ThrottleWindow) {
  return (eb: ExpressionBuilder<Database, 'rate_limits'>) =>
    eb.or([
      eb('window_started_at', '<=', window.windowStart),
      eb('hits', '<', window.limit),
      eb.and([eb('next_attempt_at', 'is not', null), eb('next_attempt_at', '<=', window.now)]),
    ]);
}

/**
 * next_attempt_at for the claim that makes `failures` (an SQL expression) failures: spelled out as a CASE over the
 * few steps of the back-off, each step's time computed beforehand, which both engines compare as text.
 */
function nextAttemptExpression(
  limit: number,
  backoff: BackoffSchedule | null,
  failures: RawBuilder<number>,
): RawBuilder<string | null> {
  if (!backoff) return sql<null>`null`;
  const steps = backoff.steps.map(({ failures: count, at }) => sql`when ${failures} = ${count} then ${at}`);
  return sql<
    string | null
  >`case when ${failures} < ${limit} then null ${sql.join(steps, sql` `)} else ${backoff.last} end`;
}

/** The rows of `windows` that hold their next attempt back: one statement, no write. */
export async function rowsHoldingBack(db: Kysely<Database>, windows: ThrottleWindow[]): Promise<ThrottleRow[]> {
  return db
    .selectFrom('rate_limits')
    .select(['rate_key', 'window_started_at', 'next_attempt_at'])
    .where((eb) =>
      eb.or(windows.map((window) => eb.and([eb('rate_key', '=', window.key), eb.not(letsThrough(window)(eb))]))),
    )
    .execute();
}

/**
 * Counts one more failure on the key's row if it lets the attempt through (starting a new window when the last one
 * is over): true when it did. One conditional UPDATE, atomic on both engines (MySQL locks the row, SQLite has one
 * writer).
 */
export async function claimOnExistingRow(
  db: Kysely<Database>,
  window: ThrottleWindow,
  backoff: BackoffSchedule | null,
): Promise<boolean> {
  const windowEnded = sql<boolean>`window_started_at <= ${window.windowStart}`;
  const failures = sql<number>`case when ${windowEnded} then 1 else hits + 1 end`;
  const result = await db
    .updateTable('rate_limits')
    // MySQL assigns left to right and reads the new value of a column already assigned: hits and the window
    // go last, so that every expression reads them as they were.
    .set({
      next_attempt_at: nextAttemptExpression(window.limit, backoff, failures),
      hits: failures,
      window_started_at: sql<string>`case when ${windowEnded} then ${window.now} else window_started_at end`,
    })
    .where('rate_key', '=', window.key)
    .where(letsThrough(window))
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** The key's first failure, in a window starting now; fails with a unique violation when the row is there. */
export async function insertFirstFailure(
  db: Kysely<Database>,
  key: string,
  now: string,
  nextAttemptAt: string | null,
): Promise<void> {
  await db
    .insertInto('rate_limits')
    .values({ rate_key: key, window_started_at: now, hits: 1, next_attempt_at: nextAttemptAt })
    .execute();
}

/** Gives back an attempt claimed for `key` that turned out not to count (it succeeded, or went no further). */
export async function releaseAttempt(db: Kysely<Database>, key: string): Promise<void> {
  await db
    .updateTable('rate_limits')
    .set({ hits: sql<number>`hits - 1` })
    .where('rate_key', '=', key)
    .where('hits', '>', 0)
    .execute();
}

export async function clearFailures(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('rate_key', '=', key).execute();
}

/** Deletes the windows that started before `before`: the sweep's, once no rule can count them again. */
export async function deleteWindowsStartedBefore(db: Kysely<Database>, before: string): Promise<number> {
  const result = await db.deleteFrom('rate_limits').where('window_started_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
