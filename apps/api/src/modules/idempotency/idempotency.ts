/**
 * Idempotent creation: a retry with the same key returns the first result and creates nothing; the same key
 * with another input is refused. The key is claimed inside the mutation's own transaction, so a concurrent
 * retry waits on the first one's row and then sees its result; a failed first attempt leaves no key behind.
 */
import { createHash } from 'node:crypto';
import { type Database, type EngineDialect, isUniqueViolation, toTimestamp } from '@pastoral/db';
import type { Kysely, Transaction } from 'kysely';
import { failure, type Outcome, userError } from '../../graphql/mutations.ts';
import { idempotencyKeyOf, insertIdempotencyKey, recordIdempotentResponse } from './idempotency.repository.ts';

/** Keys are kept at least this long (and swept after). */
export const IDEMPOTENCY_TTL_MS = 48 * 60 * 60_000;

export interface IdempotencyRequest {
  principal: string;
  key: string;
  operation: string;
  input: unknown;
  schoolId: number | null;
  now: Date;
}

export type Claim<R> =
  { kind: 'first' } | { kind: 'replay'; response: R } | { kind: 'refused'; outcome: Outcome<never> };

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.entries(value)
      .filter(([key, entry]) => key !== 'idempotencyKey' && entry !== undefined)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, entry]) => `${JSON.stringify(key)}:${canonical(entry)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

export async function claimIdempotencyKey<R>(
  trx: Transaction<Database>,
  _dialect: EngineDialect,
  request: IdempotencyRequest,
): Promise<Claim<R>> {
  if (request.key.length === 0 || request.key.length > 255) {
    return {
      kind: 'refused',
      outcome: failure(
        userError('INVALID', 'idempotencyKey must be 1 to 255 characters.', ['input', 'idempotencyKey']),
      ),
    };
  }
  const requestHash = createHash('sha256').update(canonical(request.input)).digest('hex');
  try {
    await insertIdempotencyKey(trx, {
      principal: request.principal,
      key: request.key,
      operation: request.operation,
      requestHash,
      schoolId: request.schoolId,
      createdAt: toTimestamp(request.now),
      expiresAt: toTimestamp(new Date(request.now.getTime() + IDEMPOTENCY_TTL_MS)),
    });
    return { kind: 'first' };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  const existing = await idempotencyKeyOf(trx, request.principal, request.key);
  if (existing.operation !== request.operation || existing.request_hash !== requestHash || existing.response === null) {
    return {
      kind: 'refused',
      outcome: failure(
        userError(
          'DUPLICATE',
          'This idempotencyKey was already used for a different request; use a new key for a new request.',
          ['input', 'idempotencyKey'],
        ),
      ),
    };
  }
  return { kind: 'replay', response: JSON.parse(existing.response) as R };
}

/**
 * Records the first result, for retries to return: in the transaction that claimed the key, or after it
 * (ingest's result includes the recomputation that follows its transaction).
 */
export async function completeIdempotencyKey(
  db: Kysely<Database>,
  request: Pick<IdempotencyRequest, 'principal' | 'key'>,
  response: unknown,
): Promise<void> {
  await recordIdempotentResponse(db, request.principal, request.key, JSON.stringify(response));
}

/**
 * Runs `work` once per idempotency key, inside the caller's transaction: the first request runs it and
 * records what `remember` returns; a retry gets `replay` of that; without a key (`request` null) it just runs.
 */
export async function onceForKey<R, Stored>(
  trx: Transaction<Database>,
  dialect: EngineDialect,
  request: IdempotencyRequest | null,
  steps: { work: () => Promise<Outcome<R>>; remember: (value: R) => Stored; replay: (stored: Stored) => Promise<R> },
): Promise<Outcome<R>> {
  if (!request) return steps.work();
  const claim = await claimIdempotencyKey<Stored>(trx, dialect, request);
  if (claim.kind === 'refused') return claim.outcome;
  if (claim.kind === 'replay') return { ok: true, value: await steps.replay(claim.response) };
  const outcome = await steps.work();
  if (outcome.ok) await completeIdempotencyKey(trx, request, steps.remember(outcome.value));
  return outcome;
}

/** The idempotency request of a signed-in user's mutation, or null when it carries no key. */
export function userRequest(
  context: { viewer: { user: { id: number }; schoolId: number | null }; now: Date },
  operation: string,
  key: string | null | undefined,
  input: unknown,
): IdempotencyRequest | null {
  if (key == null) return null;
  return {
    principal: `user:${context.viewer.user.id}`,
    key,
    operation,
    input,
    schoolId: context.viewer.schoolId,
    now: context.now,
  };
}
