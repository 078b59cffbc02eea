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
import type { Kysely } from 'kysely';
import {
  type BackoffSchedule,
  claimOnExistingRow,
  insertFirstFailure,
  rowsHoldingBack,
  type ThrottleWindow,
} from './sign-in-throttle.repository.ts';

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

/** The back-off's times for an attempt at `now`, each step until the wait stops growing; null without a back-off. */
function backoffSchedule(rule: ThrottleRule, now: Date): BackoffSchedule | null {
  if (!rule.backoff) return null;
  const steps: BackoffSchedule['steps'] = [];
  for (let count = rule.limit; ; count++) {
    const at = nextAttemptAfter(rule, count, now)!;
    if (at === nextAttemptAfter(rule, count + 1, now)) return { steps, last: at };
    steps.push({ failures: count, at });
  }
}

/** `key`'s window under `rule` for an attempt at `now`, in the terms the counters' statements compare. */
function windowOf(key: string, rule: ThrottleRule, now: Date): ThrottleWindow {
  return {
    key,
    limit: rule.limit,
    windowStart: toTimestamp(new Date(now.getTime() - rule.windowMs)),
    now: toTimestamp(now),
  };
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
  const rows = await rowsHoldingBack(
    db,
    claims.map(({ key, rule }) => windowOf(key, rule, now)),
  );
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
  const window = windowOf(key, rule, now);
  const backoff = backoffSchedule(rule, now);
  const claimExisting = () => claimOnExistingRow(db, window, backoff);
  if (await claimExisting()) return null;
  const heldBack = await firstHeldBack(db, [{ name: 'key', key, rule }], now);
  if (heldBack) return heldBack.until;
  try {
    await insertFirstFailure(db, key, window.now, nextAttemptAfter(rule, 1, now));
    return null;
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
  }
  // Another request created the row first; it may still have room.
  if (await claimExisting()) return null;
  return (await firstHeldBack(db, [{ name: 'key', key, rule }], now))?.until ?? now;
}
