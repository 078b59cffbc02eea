/**
 * Housekeeping the scheduler (cron, or a later built-in schedule) runs: expired sessions, idempotency keys past
 * their keeping time, throttling windows long over and sign-in addresses not used for a while, none of them a
 * record anyone needs again; and the closing entries of summarised audit windows that have ended, which carry
 * their counts into the audit log.
 */
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { closeEndedSummaries } from '../audit-log/audit-summary.ts';
import { deleteExpiredSessions } from '../auth/session.repository.ts';
import { deleteWindowsStartedBefore } from '../auth/sign-in-throttle.repository.ts';
import { forgetSignInAddressesUnusedSince } from '../auth/sign-in.repository.ts';
import { KNOWN_ADDRESS_MS } from '../auth/throttle.ts';
import { deleteExpiredIdempotencyKeys } from '../idempotency/idempotency.repository.ts';

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
  return {
    sessions: await deleteExpiredSessions(db, timestamp),
    idempotencyKeys: await deleteExpiredIdempotencyKeys(db, timestamp),
    rateLimits: await deleteWindowsStartedBefore(db, toTimestamp(new Date(now.getTime() - DAY_MS))),
    signInAddresses: await forgetSignInAddressesUnusedSince(
      db,
      toTimestamp(new Date(now.getTime() - KNOWN_ADDRESS_MS)),
    ),
    auditSummaries: await closeEndedSummaries(db, dialect, now),
  };
}
