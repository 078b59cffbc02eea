/**
 * Keeping the audit log fast and trustworthy at a million rows and more: partitions added ahead of time,
 * archival that moves old entries without losing or doubling one, and a verification of the hash chain that
 * streams both tables in constant memory.
 */
import { type AuditLogTable, type Database, type DatabaseHandle, toTimestamp } from '@pastoral/db';
import { type Kysely, type Selectable, sql } from 'kysely';
import { districtWide } from '../../school-scope.ts';
import { firstBrokenLink, GENESIS_HASH, type StoredChainEntry } from './audit-chain.ts';

/** Year partitions from this year to `yearsAhead` on, split off the catch-all (MySQL; nothing to do on SQLite). */
export async function addYearPartitions(handle: DatabaseHandle, now: Date, yearsAhead = 2): Promise<string[]> {
  if (handle.engine !== 'mysql') return [];
  const existing = new Set((await handle.dialect.listPartitions('audit_log')).map((partition) => partition.name));
  const added: string[] = [];
  for (let year = now.getUTCFullYear(); year <= now.getUTCFullYear() + yearsAhead; year++) {
    const name = `p${year}`;
    if (existing.has(name)) continue;
    // Splitting the empty-or-future catch-all is quick: it holds only rows dated after the last year partition.
    await sql
      .raw(
        `alter table audit_log reorganize partition p_future into (partition ${name} values less than (${year + 1}), partition p_future values less than maxvalue)`,
      )
      .execute(handle.db);
    added.push(name);
  }
  return added;
}

export interface ArchiveProgress {
  moved: number;
  batches: number;
}

/**
 * Moves entries older than `cutoff` to the archive in batches by primary-key range; each batch copies and
 * deletes in one short transaction, so live writes never wait long and a run killed at any point leaves every
 * entry in exactly one table.
 */
export async function archiveOlderThan(
  db: Kysely<Database>,
  cutoff: Date,
  options: {
    batchSize: number;
    now: Date;
    /** Called after each batch; awaited, so a slow callback (renewing a lease) paces the next batch. */
    onBatch?: (progress: ArchiveProgress) => void | Promise<void>;
    /** Stops between batches (shutdown, a lost lease); what moved so far stays moved. */
    signal?: AbortSignal;
  },
): Promise<ArchiveProgress> {
  const before = toTimestamp(cutoff);
  const progress: ArchiveProgress = { moved: 0, batches: 0 };
  // Each batch starts after the last one's ids: scanning from the start instead walks over every row the
  // earlier batches deleted but InnoDB has not yet purged (0.7-1.45 s a batch midway through the district log,
  // against 0.04 s).
  let afterId = 0;
  for (;;) {
    if (options.signal?.aborted) return progress;
    const ids = await db
      .selectFrom('audit_log')
      .select('id')
      .where(districtWide('audit-chain'))
      .where('id', '>', afterId)
      .where('occurred_at', '<', before)
      .orderBy('id')
      .limit(options.batchSize)
      .execute();
    if (ids.length === 0) return progress;
    const first = ids[0]!.id;
    const last = ids[ids.length - 1]!.id;
    afterId = Number(last);
    await db.transaction().execute(async (trx) => {
      const archivedAt = toTimestamp(options.now);
      await sql`insert into audit_log_archive (id, occurred_at, seq, hash, school_id, actor_type, user_id, api_token_id,
          action, entity_type, entity_id, student_id, request_id, ip, details, archived_at)
        select id, occurred_at, seq, hash, school_id, actor_type, user_id, api_token_id, action, entity_type, entity_id,
          student_id, request_id, ip, details, ${archivedAt}
        from audit_log where ${districtWide('audit-chain')} and id between ${first} and ${last}
          and occurred_at < ${before}`.execute(trx);
      await trx
        .deleteFrom('audit_log')
        .where(districtWide('audit-chain'))
        .where('id', '>=', first)
        .where('id', '<=', last)
        .where('occurred_at', '<', before)
        .execute();
    });
    progress.moved += ids.length;
    progress.batches++;
    await options.onBatch?.(progress);
  }
}

export type VerifyResult = { ok: true; entries: number } | { ok: false; entries: number; brokenAt: number };

const VERIFY_BATCH = 10_000;

/** All entries of one table from `afterSeq` on, in sequence order, a batch at a time. */
async function* entriesOf(
  db: Kysely<Database>,
  table: 'audit_log' | 'audit_log_archive',
  afterSeq: number,
): AsyncGenerator<StoredChainEntry> {
  let seq = afterSeq;
  for (;;) {
    const rows = await db
      .selectFrom(table)
      .selectAll()
      .where(districtWide('audit-chain'))
      .where('seq', '>', seq)
      .orderBy('seq')
      .limit(VERIFY_BATCH)
      .execute();
    for (const row of rows) yield { ...row, seq: Number(row.seq) };
    if (rows.length < VERIFY_BATCH) return;
    seq = Number(rows[rows.length - 1]!.seq);
  }
}

/** Where the verifiable chain starts: the genesis, or the last entry purged for retention. */
export async function chainAnchor(db: Kysely<Database>): Promise<{ seq: number; hash: string }> {
  const anchor = await db
    .selectFrom('audit_chain_anchor')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirst();
  return anchor ? { seq: Number(anchor.seq), hash: anchor.hash } : { seq: 0, hash: GENESIS_HASH };
}

export type ChainWalk =
  { ok: true; entries: number; last: { seq: number; hash: string } } | { ok: false; entries: number; brokenAt: number };

/**
 * Walks the chain from `from` (a known entry's sequence number and hash) in sequence order, the archive first
 * and then the live log, up to `throughSeq` (or to the end), checking each link. Memory stays constant.
 */
export async function walkChain(
  db: Kysely<Database>,
  from: { seq: number; hash: string },
  throughSeq = Infinity,
): Promise<ChainWalk> {
  let previous = from;
  let entries = 0;
  for (const table of ['audit_log_archive', 'audit_log'] as const) {
    const batch: StoredChainEntry[] = [];
    const check = (): number | null => {
      const broken = firstBrokenLink(batch, previous);
      if (broken === null && batch.length > 0) previous = { seq: batch.at(-1)!.seq, hash: batch.at(-1)!.hash };
      entries += batch.length;
      batch.length = 0;
      return broken;
    };
    for await (const entry of entriesOf(db, table, previous.seq)) {
      if (entry.seq > throughSeq) break;
      batch.push(entry);
      if (batch.length === VERIFY_BATCH) {
        const broken = check();
        if (broken !== null) return { ok: false, entries, brokenAt: broken };
      }
    }
    const broken = check();
    if (broken !== null) return { ok: false, entries, brokenAt: broken };
  }
  // Entries short of the end of the range: the missing one is the break.
  if (throughSeq !== Infinity && previous.seq < throughSeq) return { ok: false, entries, brokenAt: previous.seq + 1 };
  return { ok: true, entries, last: previous };
}

/**
 * Verifies the whole chain: from its anchor (the genesis, or the last purged entry) through the archive and the
 * live log to the head. The first edited, deleted, inserted or reordered entry is reported by its sequence
 * number.
 */
export async function verifyChain(db: Kysely<Database>): Promise<VerifyResult> {
  const walk = await walkChain(db, await chainAnchor(db));
  if (!walk.ok) return walk;
  // The head must be the last entry: a deleted tail would otherwise go unnoticed.
  const head = await db
    .selectFrom('audit_chain_head')
    .select(['seq', 'hash'])
    .where('id', '=', 1)
    .executeTakeFirstOrThrow();
  if (Number(head.seq) !== walk.last.seq || head.hash !== walk.last.hash) {
    return { ok: false, entries: walk.entries, brokenAt: walk.last.seq + 1 };
  }
  return { ok: true, entries: walk.entries };
}

export interface ExportRange {
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  schoolId?: number;
}

const EXPORT_BATCH = 5_000;

/**
 * Every entry in the range, archive first and then live, oldest first, as one JSON object per line. Keyset
 * pages on (occurred_at, id) ride the time or school-time index, and `write` is awaited before the next page
 * is read, so a slow reader holds back the query instead of filling memory.
 */
export async function exportEntries(
  db: Kysely<Database>,
  range: ExportRange,
  write: (chunk: string) => Promise<void>,
): Promise<number> {
  let written = 0;
  for (const table of ['audit_log_archive', 'audit_log'] as const) {
    let after: { occurredAt: string; id: number } | null = null;
    for (;;) {
      let query = db
        .selectFrom(table)
        .selectAll()
        .where('occurred_at', '>=', toTimestamp(range.from))
        .where('occurred_at', '<', toTimestamp(range.to));
      query =
        range.schoolId === undefined
          ? query.where(districtWide('audit-chain'))
          : query.where('school_id', '=', range.schoolId);
      if (after !== null) {
        const { occurredAt, id } = after;
        query = query.where((eb) =>
          eb.or([eb('occurred_at', '>', occurredAt), eb.and([eb('occurred_at', '=', occurredAt), eb('id', '>', id)])]),
        );
      }
      const rows = await query.orderBy('occurred_at').orderBy('id').limit(EXPORT_BATCH).execute();
      if (rows.length > 0) {
        await write(rows.map((row) => `${JSON.stringify(exportLine(row, table === 'audit_log_archive'))}\n`).join(''));
        written += rows.length;
      }
      if (rows.length < EXPORT_BATCH) break;
      const last = rows[rows.length - 1]!;
      after = { occurredAt: last.occurred_at, id: Number(last.id) };
    }
  }
  return written;
}

function exportLine(row: Selectable<AuditLogTable>, archived: boolean) {
  return {
    id: Number(row.id),
    seq: Number(row.seq),
    occurredAt: `${row.occurred_at.replace(' ', 'T')}Z`,
    schoolId: row.school_id,
    actorType: row.actor_type,
    userId: row.user_id,
    apiTokenId: row.api_token_id,
    action: row.action,
    entityType: row.entity_type,
    entityId: row.entity_id,
    studentId: row.student_id,
    requestId: row.request_id,
    ip: row.ip,
    details: row.details === null ? null : (JSON.parse(row.details) as unknown),
    hash: row.hash,
    archived,
  };
}
