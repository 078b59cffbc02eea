import { type Kysely, sql } from 'kysely';
import { addColumns, columnTypes, createIndexes, dropColumns, isMysql } from './support/ddl.ts';

/**
 * One hash chain per school, and one for the district's own entries, instead of one for the whole district.
 *
 * Every audited write locked the single `audit_chain_head` row, so writes in all fifty schools queued on it
 * (1,199 slow statements in the load test). Now a chain is named by a number: a school's id for the school's
 * entries, 0 for the district's (school_id null), and `audit_chain_head` holds one head per chain (its `id` is
 * the chain). A write locks only its own chain's head; sharding by school (docs/SCALING.md) needs exactly this.
 *
 * - `chain_seq`: an entry's place in its chain, which its hash covers (`[chain_seq, …]`, the encoding the
 *   chain always used with `seq` there). Which chain is the entry's school_id, which the hash covers too.
 * - `seq` stays the district-wide order (what lists and the API's `sequence` show), no longer a link of the
 *   chain: MariaDB draws it from the SEQUENCE `audit_log_seq`, which locks nothing until commit; SQLite, one
 *   writer at a time, takes the next number under its write lock.
 * - The existing entries are not rewritten: rehashing a million rows would take minutes and would bless any
 *   edit already made to them. They keep `chain_seq` null and stay one segment, the legacy chain (id -1),
 *   verified exactly as before from its anchor to its head, which no longer moves. Every new chain starts from
 *   the legacy head's hash, so each chain's first entry pins the whole legacy segment.
 * - `audit_chain_anchor` likewise gets one row per chain (the legacy anchor moves to id -1); a chain without a
 *   row starts from its genesis: sequence 0 and the legacy head's hash.
 *
 * Only the two one-row tables are rewritten, and the new column is added empty (instant on MariaDB); the index
 * on (school_id, chain_seq) is built once. Each step is guarded, so a run that died halfway finishes when run
 * again (DDL is not transactional).
 */
const LEGACY_CHAIN = -1;

async function moveRow(db: Kysely<any>, table: string, from: number, to: number): Promise<void> {
  const { rows } = await sql<{ id: number }>`select id from ${sql.table(table)} where id in (${from}, ${to})`.execute(
    db,
  );
  if (!rows.some((row) => Number(row.id) === from)) return;
  if (rows.some((row) => Number(row.id) === to)) {
    // Moved already, and the earlier migration, run again, put back its genesis row: no chain's head or anchor is
    // ever committed at position 0, so that row is the genesis and goes.
    await sql`delete from ${sql.table(table)} where id = ${from} and seq = 0 and hash = ${'0'.repeat(64)}`.execute(db);
    return;
  }
  await sql`update ${sql.table(table)} set id = ${to} where id = ${from}`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  const mysql = isMysql(db);
  for (const table of ['audit_chain_head', 'audit_chain_anchor']) {
    // A tinyint cannot hold every school's id (SQLite's integer already can).
    if (mysql) await sql.raw(`alter table ${table} modify id int not null`).execute(db);
    await moveRow(db, table, 1, LEGACY_CHAIN);
  }
  for (const table of ['audit_log', 'audit_log_archive']) {
    await addColumns(db, table, [{ name: 'chain_seq', type: t.bigId }]);
    // A chain read in order, for verification and retention: `school_id = ? and chain_seq > ? order by chain_seq`.
    await createIndexes(db, table, [{ name: `${table}_chain_idx`, columns: ['school_id', 'chain_seq'] }]);
  }
  if (mysql) {
    const { rows } = await sql<{ last: number | string | null }>`
      select greatest(
        coalesce((select max(seq) from audit_log), 0),
        coalesce((select max(seq) from audit_log_archive), 0),
        coalesce((select max(seq) from audit_chain_head), 0)) as last`.execute(db);
    const next = Number(rows[0]?.last ?? 0) + 1;
    // Numbers are cached a thousand at a time: a restart skips some, which is harmless in an order.
    await sql.raw(`create sequence if not exists audit_log_seq start with ${next} cache 1000`).execute(db);
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  const mysql = isMysql(db);
  if (mysql) await sql`drop sequence if exists audit_log_seq`.execute(db);
  for (const table of ['audit_log', 'audit_log_archive']) {
    if (mysql) await sql.raw(`drop index if exists ${table}_chain_idx on ${table}`).execute(db);
    else await sql.raw(`drop index if exists ${table}_chain_idx`).execute(db);
    // Entries written on the per-school chains cannot go back to the single chain: down is for an empty log.
    await dropColumns(db, table, ['chain_seq']);
  }
  for (const table of ['audit_chain_head', 'audit_chain_anchor']) {
    await sql`delete from ${sql.table(table)} where id >= 0`.execute(db);
    await moveRow(db, table, LEGACY_CHAIN, 1);
    if (mysql) await sql.raw(`alter table ${table} modify id tinyint not null`).execute(db);
  }
}
