/**
 * Summarised audit entries, for events that can repeat without limit (a sign-in held back by throttling, an
 * access refused): instead of an entry per occurrence, which let 400 anonymous attempts write 400 entries in
 * 3.5 s, each key's events are counted in windows (aligned to multiples of the window's length), and a window
 * is two entries in the log:
 *
 * - the first occurrence of a window writes the event, `summary.state: 'opened'`, at once: the log shows that
 *   it is happening while it happens;
 * - the window's count is written once, by an entry `summary.state: 'closed'` repeating the event with
 *   `occurrences` and the last occurrence's time: by the first occurrence of the key's next window, or by the
 *   sweep (modules/maintenance/sweep.ts) for a key that did not come back.
 *
 * The audit log is an append-only hash chain, so the opening entry cannot be updated with its count: the count
 * is kept in `audit_summaries` until the closing entry carries it. Every occurrence after the first costs one
 * UPDATE of that row and no audit entry, so the chain head is not queued on by a flood.
 *
 * To summarise another event: give its AuditEvent a `summary: AuditSummary`, and call recordSummarisedEvent with
 * a key that says what is counted together (the actor and what they were refused, say).
 */
import {
  type AuditSummaryTable,
  type Database,
  type EngineDialect,
  fitKey,
  isUniqueViolation,
  toTimestamp,
} from '@pastoral/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { type AuditActor, type AuditEvent, type AuditSummary, appendAuditEntry } from './audit.writer.ts';

/** The events written as summaries. */
export type SummarisedAuditEvent = Extract<AuditEvent, { summary: AuditSummary }>;
/** Such an event as its caller gives it: the summary is the helper's to fill in. */
export type SummarisableEvent = WithoutSummary<SummarisedAuditEvent>;
type WithoutSummary<E> = E extends unknown ? Omit<E, 'summary'> : never;

/** An event with its summary: the union member it was, again. */
const withSummary = (event: SummarisableEvent, summary: AuditSummary) =>
  ({ ...event, summary }) as SummarisedAuditEvent;

export interface SummaryWindow {
  /** What is counted together: one opening and one closing entry per key and window. */
  key: string;
  /** The window's length; windows start at multiples of it (a quarter of an hour: :00, :15, :30, :45). */
  windowMs: number;
}

/** The actor kept for the closing entry: who the events were by, without any one request. */
type StoredActor = Pick<AuditActor, 'type' | 'userId' | 'apiTokenId' | 'ip'>;

/** Losing a race means another request opened the window a moment ago: the next round counts into it. */
const MAX_ROUNDS = 5;

/**
 * Records one occurrence of `event`: the window's first writes the opening entry (and closes the key's previous
 * window, if it is still open), every other one only counts. Resolves 'opened' when this occurrence wrote the
 * opening entry, 'counted' otherwise.
 */
export async function recordSummarisedEvent(
  db: Kysely<Database>,
  dialect: EngineDialect,
  { key, windowMs }: SummaryWindow,
  actor: AuditActor,
  event: SummarisableEvent,
  now: Date = new Date(),
): Promise<'opened' | 'counted'> {
  const summaryKey = fitKey(key);
  const start = Math.floor(now.getTime() / windowMs) * windowMs;
  const from = toTimestamp(new Date(start));
  const until = toTimestamp(new Date(start + windowMs));
  const at = toTimestamp(now);
  const stored: StoredActor = { type: actor.type, userId: actor.userId, apiTokenId: actor.apiTokenId, ip: actor.ip };
  const row = {
    summary_key: summaryKey,
    window_started_at: from,
    window_ends_at: until,
    occurrences: 1,
    last_occurred_at: at,
    event: JSON.stringify(event),
    actor: JSON.stringify(stored),
  };
  for (let round = 0; round < MAX_ROUNDS; round++) {
    // Counted into the window that is open (or a later one, for a request whose clock read an instant earlier).
    const counted = await db
      .updateTable('audit_summaries')
      .set({
        occurrences: sql<number>`occurrences + 1`,
        last_occurred_at: sql<string>`case when last_occurred_at < ${at} then ${at} else last_occurred_at end`,
      })
      .where('summary_key', '=', summaryKey)
      .where('window_started_at', '>=', from)
      .executeTakeFirst();
    if (Number(counted.numUpdatedRows) > 0) return 'counted';

    const previous = await db
      .selectFrom('audit_summaries')
      .selectAll()
      .where('summary_key', '=', summaryKey)
      .executeTakeFirst();
    const opened = await db.transaction().execute(async (trx) => {
      if (previous) {
        // Only the request that moves the row on to this window closes the last one: the conditions fail for any
        // other, and for one that counted into it since it was read.
        const moved = await trx
          .updateTable('audit_summaries')
          .set(row)
          .where('summary_key', '=', summaryKey)
          .where('window_started_at', '=', previous.window_started_at)
          .where('occurrences', '=', previous.occurrences)
          .executeTakeFirst();
        if (Number(moved.numUpdatedRows) !== 1) return false;
        await appendClosingEntry(trx, dialect, previous, now);
      } else {
        try {
          await trx.insertInto('audit_summaries').values(row).execute();
        } catch (error) {
          // Another request opened the window first; this one counts into it next round.
          if (isUniqueViolation(error)) return false;
          throw error;
        }
      }
      await appendAuditEntry(trx, dialect, actor, withSummary(event, { state: 'opened', from, until }), now);
      return true;
    });
    if (opened) return 'opened';
  }
  throw new Error(`could not record a summarised ${event.action} for ${summaryKey} in ${MAX_ROUNDS} rounds`);
}

/**
 * Writes the closing entry of every window that has ended (the sweep's part), each in the transaction that
 * deletes its row. Returns how many were closed.
 */
export async function closeEndedSummaries(
  db: Kysely<Database>,
  dialect: EngineDialect,
  now: Date = new Date(),
): Promise<number> {
  const ended = await db
    .selectFrom('audit_summaries')
    .selectAll()
    .where('window_ends_at', '<=', toTimestamp(now))
    .orderBy('window_ends_at')
    .execute();
  let closed = 0;
  for (const summary of ended) {
    const wrote = await db.transaction().execute(async (trx) => {
      // As in recordSummarisedEvent: whoever changes the row first writes the entry, once.
      const deleted = await trx
        .deleteFrom('audit_summaries')
        .where('summary_key', '=', summary.summary_key)
        .where('window_started_at', '=', summary.window_started_at)
        .where('occurrences', '=', summary.occurrences)
        .executeTakeFirst();
      if (Number(deleted.numDeletedRows) !== 1) return false;
      await appendClosingEntry(trx, dialect, summary, now);
      return true;
    });
    if (wrote) closed += 1;
  }
  return closed;
}

/** The window's count, under the event and actor its first occurrence recorded. */
async function appendClosingEntry(
  trx: Parameters<typeof appendAuditEntry>[0],
  dialect: EngineDialect,
  summary: Selectable<AuditSummaryTable>,
  now: Date,
): Promise<void> {
  // Written by this module from an event of the union; read back as what was written.
  const event = JSON.parse(summary.event) as SummarisableEvent;
  const actor = JSON.parse(summary.actor) as StoredActor;
  await appendAuditEntry(
    trx,
    dialect,
    { ...actor, requestId: null },
    withSummary(event, {
      state: 'closed',
      from: summary.window_started_at,
      until: summary.window_ends_at,
      occurrences: summary.occurrences,
      lastAt: summary.last_occurred_at,
    }),
    now,
  );
}
