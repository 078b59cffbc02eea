/**
 * The district's retention policy: `audit purge --before DATE` deletes the oldest part of the audit log, which
 * archival never does. It cuts each chain (a school's, the district's, the legacy one: audit-chains.ts) at its
 * last entry before the date and moves that chain's anchor there, so that `audit verify` checks the rest from
 * the anchor instead of from the genesis.
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
import { chainAnchor, listChains, walkChain } from './audit.maintenance.ts';
import { describeChain, onChain, positionColumn } from './audit-chains.ts';
import { appendAuditEntry, operatingSystemUser } from './audit.writer.ts';

export class PurgeRefusedError extends Error {
  override name = 'PurgeRefusedError';
}

/** What a purge cut from one chain: its positions from..through, `through` now the chain's anchor. */
export interface ChainCut {
  chain: number;
  fromSeq: number;
  throughSeq: number;
}

export interface PurgeOutcome {
  /** The chains cut, in ascending order; empty when there was nothing to purge. */
  cuts: ChainCut[];
  purged: number;
  /** Disclosure entries at or before the cut (of this purge and earlier ones) kept: their student is on record. */
  keptDisclosures: number;
  batches: number;
  /** Staff views of students' records, of days before the cut, deleted. */
  purgedViews: number;
}

/** A chain's last entry before the cut: the one before its first entry at or after it, or else its head. */
async function lastPositionBefore(db: Kysely<Database>, chain: number, before: string): Promise<number> {
  const position = positionColumn(chain);
  for (const table of ['audit_log_archive', 'audit_log'] as const) {
    const first = await db
      .selectFrom(table)
      .select(position)
      .where(onChain(chain))
      .where('occurred_at', '>=', before)
      .orderBy(position)
      .limit(1)
      .executeTakeFirst();
    if (first) return Number(first[position]) - 1;
  }
  const head = await db.selectFrom('audit_chain_head').select('seq').where('id', '=', chain).executeTakeFirst();
  return Number(head?.seq ?? 0);
}

/**
 * Deletes one table's entries of one chain in a position range, keeping the disclosures of students still on
 * record (a disclosure's school is its student's).
 */
async function deleteRange(
  trx: Transaction<Database>,
  table: 'audit_log' | 'audit_log_archive',
  cut: ChainCut,
): Promise<number> {
  const position = positionColumn(cut.chain);
  const deleted = await trx
    .deleteFrom(table)
    .where(onChain(cut.chain))
    .where(position, '>=', cut.fromSeq)
    .where(position, '<=', cut.throughSeq)
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

/**
 * Where each chain would be cut, checked before anything is deleted: a refusal in one chain leaves every chain
 * as it was.
 */
async function planCuts(db: Kysely<Database>, cut: string, before: Date, force: boolean) {
  const plans: { cut: ChainCut; anchorHash: string }[] = [];
  for (const chain of await listChains(db)) {
    const anchor = await chainAnchor(db, chain);
    const throughSeq = await lastPositionBefore(db, chain, cut);
    if (throughSeq <= anchor.seq) continue;
    const position = positionColumn(chain);
    if (!force) {
      const live = await db
        .selectFrom('audit_log')
        .select(position)
        .where(onChain(chain))
        .where(position, '>', anchor.seq)
        .where(position, '<=', throughSeq)
        .limit(1)
        .executeTakeFirst();
      if (live) {
        throw new PurgeRefusedError(
          `Entries before ${before.toISOString().slice(0, 10)} are still in the live log (from entry ${Number(live[position]).toLocaleString('en-GB')} of ${describeChain(chain)}): archive them first (audit archive), choose an earlier date, or pass --force.`,
        );
      }
    }
    const walk = await walkChain(db, chain, anchor, throughSeq);
    if (!walk.ok && !force) {
      throw new PurgeRefusedError(
        `The chain does not verify at entry ${walk.brokenAt.toLocaleString('en-GB')} of ${describeChain(chain)}, inside the range to purge: purging would destroy the evidence. Investigate with audit verify, or pass --force.`,
      );
    }
    plans.push({ cut: { chain, fromSeq: anchor.seq + 1, throughSeq }, anchorHash: anchor.hash });
  }
  return plans;
}

export async function purgeBefore(
  handle: DatabaseHandle,
  before: Date,
  options: { force: boolean; batchSize: number; now: Date; onBatch?: (outcome: PurgeOutcome) => void },
): Promise<PurgeOutcome> {
  const { db } = handle;
  if (before > options.now) throw new PurgeRefusedError('--before is in the future: give a date in the past.');
  const cut = toTimestamp(before);
  const plans = await planCuts(db, cut, before, options.force);
  const outcome: PurgeOutcome = { cuts: [], purged: 0, keptDisclosures: 0, batches: 0, purgedViews: 0 };

  const operator = operatingSystemUser();
  for (const plan of plans) {
    const { chain, fromSeq: first, throughSeq } = plan.cut;
    for (let fromSeq = first; fromSeq <= throughSeq; fromSeq += options.batchSize) {
      const batch: ChainCut = { chain, fromSeq, throughSeq: Math.min(fromSeq + options.batchSize - 1, throughSeq) };
      await db.transaction().execute(async (trx) => {
        // The new anchor is the batch's last entry as stored: the entry after it must chain from this hash.
        const last = await lastEntryHash(trx, chain, batch.throughSeq);
        if (outcome.batches === 0) {
          await appendAuditEntry(
            trx,
            handle.dialect,
            { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null },
            {
              action: 'audit.purged',
              schoolId: null,
              before: cut,
              chains: plans.map((planned) => planned.cut),
              forced: options.force,
              operator,
            },
            options.now,
          );
        }
        outcome.purged += await deleteRange(trx, 'audit_log_archive', batch);
        outcome.purged += await deleteRange(trx, 'audit_log', batch);
        const anchor = {
          id: chain,
          seq: batch.throughSeq,
          hash: last ?? plan.anchorHash,
          purged_before: cut,
          purged_at: toTimestamp(options.now),
        };
        await handle.dialect.upsert(trx, 'audit_chain_anchor', [anchor], {
          conflict: ['id'],
          update: ['seq', 'hash', 'purged_before', 'purged_at'],
        });
      });
      outcome.batches++;
      options.onBatch?.(outcome);
    }
    outcome.cuts.push(plan.cut);
  }
  for (const { cut: done } of plans) outcome.keptDisclosures += await countUpTo(db, done);
  outcome.purgedViews = await purgeRecordViews(db, toDateOnly(before));
  return outcome;
}

/** A chain's entries left at or before a cut: the disclosures kept. */
async function countUpTo(db: Kysely<Database>, cut: ChainCut): Promise<number> {
  const position = sql.ref(positionColumn(cut.chain));
  const kept = await sql<{ n: number | string }>`
    select (select count(*) from audit_log_archive where ${onChain(cut.chain)} and ${position} <= ${cut.throughSeq})
      + (select count(*) from audit_log where ${onChain(cut.chain)} and ${position} <= ${cut.throughSeq}) as n`.execute(
    db,
  );
  return Number(kept.rows[0]?.n ?? 0);
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

/** The stored hash of a chain's entry; null if it is missing (a forced purge of a broken range). */
async function lastEntryHash(trx: Transaction<Database>, chain: number, position: number): Promise<string | null> {
  for (const table of ['audit_log_archive', 'audit_log'] as const) {
    const row = await trx
      .selectFrom(table)
      .select('hash')
      .where(onChain(chain))
      .where(positionColumn(chain), '=', position)
      .executeTakeFirst();
    if (row) return row.hash;
  }
  return null;
}
