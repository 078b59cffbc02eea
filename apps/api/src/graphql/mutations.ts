/**
 * Mutations: expected failures are `userErrors` in the payload, and a mutation that fails changes nothing. A
 * mutation's work runs in one transaction; returning `{ userErrors }` from it rolls the transaction back.
 */
import { type Database, isDeadlock } from '@pastoral/db';
import type { Kysely, Transaction } from 'kysely';
import type { UserErrorCode } from './resolvers-types.generated.ts';

export interface UserError {
  field: string[] | null;
  message: string;
  code: UserErrorCode;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; userErrors: UserError[] };

export function userError(code: UserErrorCode, message: string, field?: string[]): UserError {
  return { code, message, field: field ?? null };
}

export function failure<T>(...userErrors: UserError[]): Outcome<T> {
  return { ok: false, userErrors };
}

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

class RollBack extends Error {
  constructor(readonly userErrors: UserError[]) {
    super('rolled back');
  }
}

/** Runs `work` in a transaction that commits on success and rolls back on userErrors or any error. */
export async function inTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>) => Promise<Outcome<T>>,
): Promise<Outcome<T>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(async (trx) => {
        const outcome = await work(trx);
        if (!outcome.ok) throw new RollBack(outcome.userErrors);
        return outcome;
      });
    } catch (error) {
      if (error instanceof RollBack) return { ok: false, userErrors: error.userErrors };
      // InnoDB broke a deadlock by rolling this transaction back whole: running it again is safe.
      if (isDeadlock(error) && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
  }
}

const MAX_ATTEMPTS = 3;

/** Trimmed text of a length the column takes, or a userError naming the field. */
export function requireText(value: string, field: string[], max: number): Outcome<string> {
  const text = value.trim();
  if (text.length === 0) return failure(userError('INVALID', `${field.join('.')} must not be empty.`, field));
  if (text.length > max) {
    return failure(
      userError('INVALID', `${field.join('.')} is ${text.length} characters; the limit is ${max}.`, field),
    );
  }
  return success(text);
}

/**
 * A mutation's payload from its outcome: `fields` of the value and no userErrors on success; `empty` (each field
 * null, or [] for a list) and the userErrors on failure. Every mutation answers in this one shape.
 */
export function payload<T, Fields extends object, Empty extends { [K in keyof Fields]?: null | never[] | 0 | false }>(
  outcome: Outcome<T>,
  fields: (value: T) => Fields,
  empty: Empty,
): (Fields | Empty) & { userErrors: UserError[] } {
  return outcome.ok ? { ...fields(outcome.value), userErrors: [] } : { ...empty, userErrors: outcome.userErrors };
}
