/** The idempotency keys (idempotency_keys): each key a principal used, the request it came with, and its result. */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';

export interface NewIdempotencyKey {
  principal: string;
  key: string;
  operation: string;
  requestHash: string;
  schoolId: number | null;
  createdAt: string;
  expiresAt: string;
}

/** Claims a key, with no result yet; fails with a unique violation when the principal used the key before. */
export async function insertIdempotencyKey(db: Kysely<Database>, claim: NewIdempotencyKey): Promise<void> {
  await db
    .insertInto('idempotency_keys')
    .values({
      principal: claim.principal,
      idempotency_key: claim.key,
      operation: claim.operation,
      request_hash: claim.requestHash,
      response: null,
      school_id: claim.schoolId,
      created_at: claim.createdAt,
      expires_at: claim.expiresAt,
    })
    .execute();
}

/** The request a principal's key was first used for, and its result (null until recorded). */
export async function idempotencyKeyOf(db: Kysely<Database>, principal: string, key: string) {
  return (
    db
      .selectFrom('idempotency_keys')
      .select(['operation', 'request_hash', 'response'])
      .where('principal', '=', principal)
      .where('idempotency_key', '=', key)
      // A plain read: the duplicate was reported only once the first request committed its row, and concurrent
      // retries that all asked for a write lock on it would deadlock one another.
      .executeTakeFirstOrThrow()
  );
}

/** Records the first request's result (as JSON) on its key. */
export async function recordIdempotentResponse(
  db: Kysely<Database>,
  principal: string,
  key: string,
  response: string,
): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ response })
    .where('principal', '=', principal)
    .where('idempotency_key', '=', key)
    .execute();
}

/** Deletes the keys whose keeping time ended at or before `now`: the sweep's. */
export async function deleteExpiredIdempotencyKeys(db: Kysely<Database>, now: string): Promise<number> {
  const result = await db.deleteFrom('idempotency_keys').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
