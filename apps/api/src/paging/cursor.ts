/**
 * A page of a list as the client asks for it (first/after, last/before) and its cursors: the values of the
 * list's sort keys at a row, opaque to the client. Every mistake is a 400 that says what to send instead.
 */
import type { Expression } from 'kysely';
import { badInput } from '../errors.ts';

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

/** One key of an ordering: an expression, its direction, and how to read its value from a row. */
export interface SortKey<Row> {
  expression: Expression<unknown>;
  direction: 'asc' | 'desc';
  value: (row: Row) => string | number;
}

export interface Page {
  size: number;
  /** Paging backward (last/before) reads in reverse order and flips the result. */
  backward: boolean;
  cursor: (string | number)[] | null;
}

/** Validates first/after/last/before; every mistake is a 400 that says what to send instead. */
export function readPageArgs(args: PageArgs, sortKeys: number): Page {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw badInput('Pass either first or last, not both.', 'first');
  if (after != null && before != null) throw badInput('Pass either after or before, not both.', 'after');
  if (last == null && before != null) throw badInput('before pages backward: pass last with it.', 'before');
  if (first == null && last == null && after == null && before == null) {
    return { size: DEFAULT_PAGE_SIZE, backward: false, cursor: null };
  }
  const backward = last != null;
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  const argument = backward ? 'last' : 'first';
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput(
      `${argument} must be between 1 and ${MAX_PAGE_SIZE}; page through longer lists with ${backward ? 'before' : 'after'}.`,
      argument,
    );
  }
  const rawCursor = backward ? before : after;
  return {
    size,
    backward,
    cursor: rawCursor == null ? null : decodeCursor(rawCursor, sortKeys, backward ? 'before' : 'after'),
  };
}

export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string, length: number, argument: string): (string | number)[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === length &&
      // JSON reads 1e400 as Infinity, which no engine compares with a column.
      values.every((value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    ) {
      return values as (string | number)[];
    }
  } catch {
    // Falls through to the error below.
  }
  throw badInput(`${argument} is not a cursor of this list; pass an endCursor or startCursor it returned.`, argument);
}
