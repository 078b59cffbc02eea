/**
 * Throttling of failed sign-ins, per account and per address, in fixed windows counted in the database (so
 * every API process counts the same attempts).
 */
import { type Database, type EngineDialect, fromTimestamp, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';

export interface ThrottleRule {
  /** Failures allowed in one window. */
  limit: number;
  windowMs: number;
}

export const SIGN_IN_RULES = {
  account: { limit: 5, windowMs: 15 * 60_000 },
  address: { limit: 50, windowMs: 15 * 60_000 },
} as const satisfies Record<string, ThrottleRule>;

/** When the key may try again, or null when it may try now. */
export async function blockedUntil(
  db: Kysely<Database>,
  key: string,
  rule: ThrottleRule,
  now: Date,
): Promise<Date | null> {
  const row = await db.selectFrom('rate_limits').selectAll().where('rate_key', '=', key).executeTakeFirst();
  if (!row) return null;
  const windowEnd = fromTimestamp(row.window_started_at).getTime() + rule.windowMs;
  return row.hits >= rule.limit && windowEnd > now.getTime() ? new Date(windowEnd) : null;
}

/** Counts one failure: a new window when the last one has ended, one more hit otherwise. */
export async function recordFailure(
  db: Kysely<Database>,
  dialect: EngineDialect,
  key: string,
  rule: ThrottleRule,
  now: Date,
): Promise<void> {
  const windowStart = toTimestamp(new Date(now.getTime() - rule.windowMs));
  await db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('rate_limits')
      .selectAll()
      .where('rate_key', '=', key)
      .$if(dialect.rowLocks, (query) => query.forUpdate())
      .executeTakeFirst();
    if (row && row.window_started_at > windowStart) {
      await trx
        .updateTable('rate_limits')
        .set({ hits: row.hits + 1 })
        .where('rate_key', '=', key)
        .execute();
    } else {
      await dialect.upsert(trx, 'rate_limits', [{ rate_key: key, window_started_at: toTimestamp(now), hits: 1 }], {
        conflict: ['rate_key'],
        update: ['window_started_at', 'hits'],
      });
    }
  });
}

export async function clearFailures(db: Kysely<Database>, key: string): Promise<void> {
  await db.deleteFrom('rate_limits').where('rate_key', '=', key).execute();
}
