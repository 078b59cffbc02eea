/**
 * Throttling of failed sign-ins, per account and per address, in fixed windows counted in the database (so
 * every API process counts the same attempts).
 */
import { type Database, fromTimestamp, isUniqueViolation, toTimestamp } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';

export interface ThrottleRule {
  /** Failures allowed in one window. */
  limit: number;
  windowMs: number;
}

export const SIGN_IN_RULES = {
  account: { limit: 5, windowMs: 15 * 60_000 },
  address: { limit: 50, windowMs: 15 * 60_000 },
} as const satisfies Record<string, ThrottleRule>;

/**
 * Claims one attempt for `key` before the attempt is made: null when it may go ahead (the attempt is counted),
 * or when the key may try again. Counting first and verifying after is what makes the limit hold under
 * concurrency: had 1,000 guesses been checked against the count before any was recorded, all 1,000 would have
 * been tried. One conditional UPDATE claims atomically on both engines (MySQL locks the row, SQLite has one
 * writer), with an INSERT for the key's first attempt.
 */
export async function claimAttempt(
  db: Kysely<Database>,
  key: string,
  rule: ThrottleRule,
  now: Date,
): Promise<Date | null> {
  const windowStart = toTimestamp(new Date(now.getTime() - rule.windowMs));
  const claimExisting = async () => {
    const windowEnded = sql<boolean>`window_started_at <= ${windowStart}`;
    const result = await db
      .updateTable('rate_limits')
      // MySQL assigns left to right and reads the new value of a column already assigned: hits goes first, so
      // both read the window as it was.
      .set({
        hits: sql<number>`case when ${windowEnded} then 1 else hits + 1 end`,
        window_started_at: sql<string>`case when ${windowEnded} then ${toTimestamp(now)} else window_started_at end`,
      })
      .where('rate_key', '=', key)
      .where((eb) => eb.or([eb('window_started_at', '<=', windowStart), eb('hits', '<', rule.limit)]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  };
  if (await claimExisting()) return null;
  try {
    await db
      .insertInto('rate_limits')
      .values({ rate_key: key, window_started_at: toTimestamp(now), hits: 1 })
      .execute();
    return null;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // Another request created the row first; it may still have room.
  if (await claimExisting()) return null;
  const row = await db
    .selectFrom('rate_limits')
    .select('window_started_at')
    .where('rate_key', '=', key)
    .executeTakeFirst();
  return new Date((row ? fromTimestamp(row.window_started_at).getTime() : now.getTime()) + rule.windowMs);
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
