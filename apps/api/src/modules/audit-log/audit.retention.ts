/**
 * The district's retention policy: `audit purge --before DATE` deletes the oldest part of the audit log, which
 * archival never does. It cuts the chain at a sequence number and moves the chain's anchor there, so that
 * `audit verify` checks the rest from the anchor instead of from the genesis.
 *
 * It refuses, unless forced, to cut into what should stay verifiable: entries still in the live log (younger
 * than the archival cut-off) and entries whose chain does not verify (deleting them would destroy the evidence).
 * A student's disclosure record outlives the policy for as long as the student's record exists, so those
 * entries stay, below the anchor. The purge is itself audited, in the transaction of its first deletion.
 *
 * The record of staff views of students (student_record_views) follows the same policy: days before the cut go.
 */
import { type Database, type DatabaseHandle, toDateOnly, toTimestamp } from '@pastoral/db';
import { type Kysely, type Transaction, sql } from 'kysely';
import { districtWide } from '../../school-scope.ts';
import { chainAnchor, walkChain } from './audit.maintenance.ts';
import { appendAuditEntry, operatingSystemUser } from './audit.writer.ts';

export class PurgeRefusedError extends Error {
  override name = 'PurgeRefusedError';
}

export interface PurgeOutcome {
  /** The last sequence number purged, now the chain's anchor; null when there was nothing to purge. */
  throughSeq: number | null;
  purged: number;
  /** Disclosure entries at or before the cut (of this purge and earlier ones) kept: their student is on record. */
  keptDisclosures: number;
  batches: number;
  /** Staff views of students' records, of days before the cut, deleted. */
  purgedViews: number;
}

/** The last entry before the cut: the chain entries before `before`, up to the first entry at or after it. */
async function lastSeqBefore(db: Kysely<Database>, before: string): Promise<number> {
  for (const table of ['audit_log_archive', 'audit_log'] as const) {
    const first = await db
      .selectFrom(table)
      .select('seq')
      .where(districtWide('audit-chain'))
      .where('occurred_at', '>=', before)
      .orderBy('seq')
      .limit(1)
      .executeTakeFirst();
    if (first) return Number(first.seq) - 1;
  }
  const head = await db.selectFrom('audit_chain_head').select('seq').where('id', '=', 1).executeTakeFirstOrThrow();
  return Number(head.seq);
}

/**
 * Deletes one table's entries in a sequence range, keeping the disclosures of students still on record (a
 * disclosure's school is its student's).
 */
async function deleteRange(
  trx: Transaction<Database>,
  table: 'audit_log' | 'audit_log_archive',
  fromSeq: number,
  throughSeq: number,
): Promise<number> {
  const deleted = await trx
    .deleteFrom(table)
    .where(districtWide('audit-chain'))
    .where('seq', '>=', fromSeq)
    .where('seq', '<=', throughSeq)
    .where((eb) =>
      eb.not(
        eb.and([
          eb('action', '=', 'student.disclosed'),
          eb(
            'student_id',
            'in',
            eb
              .selectFrom('students')
              .select('students.id')
              .whereRef('students.school_id', '=', sql.ref(`${table}.school_id`)),
          ),
        ]),
      ),
    )
    .executeTakeFirst();
  return Number(deleted.numDeletedRows);
}

export async function purgeBefore(
  handle: DatabaseHandle,
  before: Date,
  options: { force: boolean; batchSize: number; now: Date; onBatch?: (outcome: PurgeOutcome) => void },
): Promise<PurgeOutcome> {
  const { db } = handle;
  if (before > options.now) throw new PurgeRefusedError('--before is in the future: give a date in the past.');
  const cut = toTimestamp(before);
  const anchor = await chainAnchor(db);
  const throughSeq = await lastSeqBefore(db, cut);
  const outcome: PurgeOutcome = { throughSeq: null, purged: 0, keptDisclosures: 0, batches: 0, purgedViews: 0 };
  if (throughSeq <= anchor.seq) {
    outcome.purgedViews = await purgeRecordViews(db, toDateOnly(before));
    return outcome;
  }

  if (!options.force) {
    const live = await db
      .selectFrom('audit_log')
      .select('seq')
      .where(districtWide('audit-chain'))
      .where('seq', '>', anchor.seq)
      .where('seq', '<=', throughSeq)
      .limit(1)
      .executeTakeFirst();
    if (live) {
      throw new PurgeRefusedError(
        `Entries before ${before.toISOString().slice(0, 10)} are still in the live log (from entry ${Number(live.seq).toLocaleString('en-GB')}): archive them first (audit archive), choose an earlier date, or pass --force.`,
      );
    }
  }
  const walk = await walkChain(db, anchor, throughSeq);
  if (!walk.ok && !options.force) {
    throw new PurgeRefusedError(
      `The chain does not verify at entry ${walk.brokenAt.toLocaleString('en-GB')}, inside the range to purge: purging would destroy the evidence. Investigate with audit verify, or pass --force.`,
    );
  }

  const operator = operatingSystemUser();
  for (let fromSeq = anchor.seq + 1; fromSeq <= throughSeq; fromSeq += options.batchSize) {
    const batchThrough = Math.min(fromSeq + options.batchSize - 1, throughSeq);
    await db.transaction().execute(async (trx) => {
      // The new anchor is the batch's last entry as stored: the entry after it must chain from this hash.
      const last = await lastEntryHash(trx, batchThrough);
      if (outcome.batches === 0) {
        await appendAuditEntry(
          trx,
          handle.dialect,
          { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null },
          {
            action: 'audit.purged',
            schoolId: null,
            before: cut,
            fromSeq: anchor.seq + 1,
            throughSeq,
            forced: options.force,
            operator,
          },
          options.now,
        );
      }
      outcome.purged += await deleteRange(trx, 'audit_log_archive', fromSeq, batchThrough);
      outcome.purged += await deleteRange(trx, 'audit_log', fromSeq, batchThrough);
      await trx
        .updateTable('audit_chain_anchor')
        .set({
          seq: batchThrough,
          hash: last ?? anchor.hash,
          purged_before: cut,
          purged_at: toTimestamp(options.now),
        })
        .where('id', '=', 1)
        .execute();
    });
    outcome.batches++;
    outcome.throughSeq = batchThrough;
    options.onBatch?.(outcome);
  }
  const kept = await sql<{ n: number | string }>`
    select (select count(*) from audit_log_archive where ${districtWide('audit-chain')} and seq <= ${throughSeq})
      + (select count(*) from audit_log where ${districtWide('audit-chain')} and seq <= ${throughSeq}) as n`.execute(
    db,
  );
  outcome.keptDisclosures = Number(kept.rows[0]?.n ?? 0);
  outcome.purgedViews = await purgeRecordViews(db, toDateOnly(before));
  return outcome;
}

/**
 * Deletes the views of days before `before`, a school and a day at a time: each statement names its school, as
 * every statement on a school's table must, and deletes a day's views (thousands of rows, not millions).
 */
async function purgeRecordViews(db: Kysely<Database>, before: string): Promise<number> {
  let purged = 0;
  const schools = await db.selectFrom('schools').select('id').orderBy('id').execute();
  for (const { id: schoolId } of schools) {
    for (;;) {
      const oldest = await db
        .selectFrom('student_record_views')
        .select('viewed_on')
        .where('school_id', '=', schoolId)
        .where('viewed_on', '<', before)
        .orderBy('viewed_on')
        .limit(1)
        .executeTakeFirst();
      if (!oldest) break;
      const deleted = await db
        .deleteFrom('student_record_views')
        .where('school_id', '=', schoolId)
        .where('viewed_on', '=', oldest.viewed_on)
        .executeTakeFirst();
      purged += Number(deleted.numDeletedRows);
    }
  }
  return purged;
}

/** The stored hash of entry `seq`, wherever it is; null if it is missing (a forced purge of a broken range). */
async function lastEntryHash(trx: Transaction<Database>, seq: number): Promise<string | null> {
  for (const table of ['audit_log_archive', 'audit_log'] as const) {
    const row = await trx
      .selectFrom(table)
      .select('hash')
      .where(districtWide('audit-chain'))
      .where('seq', '=', seq)
      .executeTakeFirst();
    if (row) return row.hash;
  }
  return null;
}
