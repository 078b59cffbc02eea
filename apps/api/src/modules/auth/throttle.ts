/**
 * Throttling of failed sign-ins, after the OWASP authentication cheat sheet and NIST SP 800-63B (5.2.2): hold
 * guessing back without letting a guesser lock the owner out. Failures are counted in fixed windows in the
 * database (so every API process counts the same attempts), under three rules:
 *
 * - per (account, address) pair: 5 failures free, then each attempt waits, 30 s after the 5th failure and twice
 *   as long after each further one, up to 15 minutes. A guesser at one address gets about a hundred guesses a
 *   day, and the owner, elsewhere, is not touched.
 * - per account, from addresses it has not signed in from lately: 100 failures a day. Guesses spread over many
 *   addresses are held back there; the owner, from an address they signed in from, is not.
 * - per address, for accounts not known there: 50 failures a quarter of an hour (credential stuffing). A
 *   school's staff behind one NAT address, signed in from it before, are not held back by it.
 *
 * An address is "known" for an account when the account signed in from it in the last 30 days (sign_in_addresses;
 * an IPv6 address counts by its /64, the prefix a household or device keeps while its host part rotates). A
 * server-side record of addresses was chosen over a signed device cookie: it needs no secret shared by every
 * host, it survives a cleared browser, and it is what a school's shared address needs (every member of staff
 * who signed in there before is known there). What it cannot do is tell two devices behind one address apart:
 * a guesser inside the school slows the pair of the account they guess at that address (the pair's delays, at
 * most 15 minutes), and that pair alone.
 */
import { type Database, fitKey, fromTimestamp, isUniqueViolation, toTimestamp } from '@pastoral/db';
import { isIPv4, isIPv6 } from 'node:net';
import { type ExpressionBuilder, type Kysely, type RawBuilder, sql } from 'kysely';

export interface ThrottleRule {
  /** Failures allowed in one window; the next attempt waits (to the window's end, or by the back-off). */
  limit: number;
  /** The window's length: at most a day, which is how long the sweep keeps a window (sweep.ts). */
  windowMs: number;
  /** After `limit` failures, wait `firstMs` after the next, then twice as long after each one more, up to `maxMs`. */
  backoff?: { firstMs: number; maxMs: number };
}

export const SIGN_IN_RULES = {
  pair: { limit: 5, windowMs: 24 * 60 * 60_000, backoff: { firstMs: 30_000, maxMs: 15 * 60_000 } },
  account: { limit: 100, windowMs: 24 * 60 * 60_000 },
  address: { limit: 50, windowMs: 15 * 60_000 },
} as const satisfies Record<string, ThrottleRule>;
export type SignInRuleName = keyof typeof SIGN_IN_RULES;

/** How long an address an account signed in from stays known for it. */
export const KNOWN_ADDRESS_MS = 30 * 86_400_000;

/**
 * The network an attempt comes from: an IPv4 address as it is (an IPv4-mapped IPv6 address as IPv4), an IPv6
 * address by its /64, and `unknown` without one. Counting IPv6 by the whole address would give every host 2^64
 * fresh addresses to guess from.
 */
export function networkOf(ip: string | null): string {
  if (!ip) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip) || !isIPv6(ip)) return ip.slice(0, 45);
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::')
    ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** The keys an attempt is counted under, each fitting the table's key column. */
export function signInKeys(email: string, network: string): Record<SignInRuleName, string> {
  return {
    pair: fitKey(`signin:pair:${email} ${network}`),
    account: fitKey(`signin:account:${email}`),
    address: fitKey(`signin:ip:${network}`),
  };
}

/** When the attempt after the `failures`th may be made (null: at once). */
function nextAttemptAfter(rule: ThrottleRule, failures: number, now: Date): string | null {
  if (!rule.backoff || failures < rule.limit) return null;
  const wait = Math.min(rule.backoff.firstMs * 2 ** (failures - rule.limit), rule.backoff.maxMs);
  return toTimestamp(new Date(now.getTime() + wait));
}

/**
 * next_attempt_at for the claim that makes `failures` (an SQL expression) failures: spelled out as a CASE over the
 * few steps of the back-off, with each step's time computed here, which both engines compare as text.
 */
function nextAttemptExpression(rule: ThrottleRule, failures: RawBuilder<number>, now: Date): RawBuilder<string | null> {
  if (!rule.backoff) return sql<null>`null`;
  const steps: RawBuilder<unknown>[] = [];
  for (let count = rule.limit; ; count++) {
    const at = nextAttemptAfter(rule, count, now)!;
    if (at === nextAttemptAfter(rule, count + 1, now)) {
      return sql<
        string | null
      >`case when ${failures} < ${rule.limit} then null ${sql.join(steps, sql` `)} else ${at} end`;
    }
    steps.push(sql`when ${failures} = ${count} then ${at}`);
  }
}

/**
 * Whether `key`'s row lets an attempt through at `now`: its window is over, it has room, or its wait is over. Never
 * NULL (a NULL next_attempt_at is compared apart), so that its negation holds exactly the rows it refuses.
 */
function letsThrough(rule: ThrottleRule, now: Date) {
  const windowStart = toTimestamp(new Date(now.getTime() - rule.windowMs));
  return (eb: ExpressionBuilder<Database, 'rate_limits'>) =>
    eb.or([
      eb('window_started_at', '<=', windowStart),
      eb('hits', '<', rule.limit),
      eb.and([eb('next_attempt_at', 'is not', null), eb('next_attempt_at', '<=', toTimestamp(now))]),
    ]);
}

/** When a row that holds attempts back lets the next one through. */
function reopensAt(row: { window_started_at: string; next_attempt_at: string | null }, rule: ThrottleRule): Date {
  if (row.next_attempt_at !== null) return fromTimestamp(row.next_attempt_at);
  return new Date(fromTimestamp(row.window_started_at).getTime() + rule.windowMs);
}

/**
 * The first of `claims` (in their order) whose key holds attempts back at `now`, and until when; null when none
 * does. One statement and no write: an attempt held back is answered without claiming anything, so a flood of
 * them costs a read each and never queues on the counters' rows.
 */
export async function firstHeldBack<Name extends string>(
  db: Kysely<Database>,
  claims: { name: Name; key: string; rule: ThrottleRule }[],
  now: Date,
): Promise<{ name: Name; until: Date } | null> {
  if (claims.length === 0) return null;
  const rows = await db
    .selectFrom('rate_limits')
    .select(['rate_key', 'window_started_at', 'next_attempt_at'])
    .where((eb) =>
      eb.or(claims.map(({ key, rule }) => eb.and([eb('rate_key', '=', key), eb.not(letsThrough(rule, now)(eb))]))),
    )
    .execute();
  for (const claim of claims) {
    const row = rows.find((candidate) => candidate.rate_key === claim.key);
    if (row) return { name: claim.name, until: reopensAt(row, claim.rule) };
  }
  return null;
}

/**
 * Claims one attempt for `key` before the attempt is made: null when it may go ahead (the attempt is counted as
 * a failure until released), or the time from which the key may try again. Counting first and verifying after
 * is what makes the limit hold under concurrency: had 1,000 guesses been checked against the count before any
 * was recorded, all 1,000 would have been tried. One conditional UPDATE claims atomically on both engines (MySQL
 * locks the row, SQLite has one writer), with an INSERT for the key's first attempt.
 */
export async function claimAttempt(
  db: Kysely<Database>,
  key: string,
  rule: ThrottleRule,
  now: Date,
): Promise<Date | null> {
  const windowStart = toTimestamp(new Date(now.getTime() - rule.windowMs));
  const at = toTimestamp(now);
  const claimExisting = async () => {
    const windowEnded = sql<boolean>`window_started_at <= ${windowStart}`;
    const failures = sql<number>`case when ${windowEnded} then 1 else hits + 1 end`;
    const result = await db
      .updateTable('rate_limits')
      // MySQL assigns left to right and reads the new value of a column already assigned: hits and the window
      // go last, so that every expression reads them as they were.
      .set({
        next_attempt_at: nextAttemptExpression(rule, failures, now),
        hits: failures,
        window_started_at: sql<string>`case when ${windowEnded} then ${at} else window_started_at end`,
      })
      .where('rate_key', '=', key)
      .where(letsThrough(rule, now))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  };
  if (await claimExisting()) return null;
  const heldBack = await firstHeldBack(db, [{ name: 'key', key, rule }], now);
  if (heldBack) return heldBack.until;
  try {
    await db
      .insertInto('rate_limits')
      .values({ rate_key: key, window_started_at: at, hits: 1, next_attempt_at: nextAttemptAfter(rule, 1, now) })
      .execute();
    return null;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // Another request created the row first; it may still have room.
  if (await claimExisting()) return null;
  return (await firstHeldBack(db, [{ name: 'key', key, rule }], now))?.until ?? now;
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
