/**
 * Housekeeping the scheduler (cron, or a later built-in schedule) runs: expired sessions, idempotency keys past
 * their keeping time, throttling windows long over and sign-in addresses not used for a while, none of them a
 * record anyone needs again; and the closing entries of summarised audit windows that have ended, which carry
 * their counts into the audit log.
 */
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { closeEndedSummaries } from '../audit-log/audit-summary.ts';
import { KNOWN_ADDRESS_MS } from '../auth/throttle.ts';

export interface SweepSummary {
  sessions: number;
  idempotencyKeys: number;
  rateLimits: number;
  signInAddresses: number;
  auditSummaries: number;
}

const DAY_MS = 86_400_000;

export async function sweepExpired(
  { db, dialect }: { db: Kysely<Database>; dialect: EngineDialect },
  now: Date,
): Promise<SweepSummary> {
  const timestamp = toTimestamp(now);
  const sessions = await db.deleteFrom('sessions').where('expires_at', '<=', timestamp).executeTakeFirst();
  const keys = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', timestamp).executeTakeFirst();
  const limits = await db
    .deleteFrom('rate_limits')
    .where('window_started_at', '<', toTimestamp(new Date(now.getTime() - DAY_MS)))
    .executeTakeFirst();
  const addresses = await db
    .deleteFrom('sign_in_addresses')
    .where('last_signed_in_at', '<', toTimestamp(new Date(now.getTime() - KNOWN_ADDRESS_MS)))
    .executeTakeFirst();
  return {
    sessions: Number(sessions.numDeletedRows),
    idempotencyKeys: Number(keys.numDeletedRows),
    rateLimits: Number(limits.numDeletedRows),
    signInAddresses: Number(addresses.numDeletedRows),
    auditSummaries: await closeEndedSummaries(db, dialect, now),
  };
}
