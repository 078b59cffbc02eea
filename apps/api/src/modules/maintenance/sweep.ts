/**
 * Housekeeping the scheduler (cron, or a later built-in schedule) runs: expired sessions, idempotency keys past
 * their keeping time, and throttling windows long over. Nothing here is a record anyone needs again.
 */
import { type Database, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';

export interface SweepSummary {
  sessions: number;
  idempotencyKeys: number;
  rateLimits: number;
}

const DAY_MS = 86_400_000;

export async function sweepExpired(db: Kysely<Database>, now: Date): Promise<SweepSummary> {
  const timestamp = toTimestamp(now);
  const sessions = await db.deleteFrom('sessions').where('expires_at', '<=', timestamp).executeTakeFirst();
  const keys = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', timestamp).executeTakeFirst();
  const limits = await db
    .deleteFrom('rate_limits')
    .where('window_started_at', '<', toTimestamp(new Date(now.getTime() - DAY_MS)))
    .executeTakeFirst();
  return {
    sessions: Number(sessions.numDeletedRows),
    idempotencyKeys: Number(keys.numDeletedRows),
    rateLimits: Number(limits.numDeletedRows),
  };
}
