import { type Kysely, sql } from 'kysely';
import { isMysql } from './support/ddl.ts';

/**
 * The live audit log's time-ordered indexes end with `id`, the tie-breaker of every page's ORDER BY
 * (occurred_at DESC, id DESC).
 *
 * InnoDB appends the primary key to each secondary index, but on the partitioned audit_log MariaDB does not
 * use that hidden suffix to order: the district admin's 30-day page read all ~57,000 rows through the time
 * index and sorted them to return 26 (52 ms). With `id` in the index the page is read in order and stops
 * after 26 rows (1.2 ms), measured on the district seed. The archive is not partitioned and orders by its
 * hidden primary key suffix already. On SQLite `id` is the rowid, which every index carries: recreating them
 * changes nothing there but keeps the two engines' catalogs alike.
 */
const INDEXES: Record<string, string[]> = {
  audit_log_user_time_idx: ['user_id', 'occurred_at'],
  audit_log_school_time_idx: ['school_id', 'occurred_at'],
  audit_log_entity_idx: ['entity_type', 'entity_id', 'occurred_at'],
  audit_log_student_time_idx: ['student_id', 'occurred_at'],
  audit_log_time_idx: ['occurred_at'],
};

async function indexColumns(db: Kysely<any>, name: string): Promise<string[]> {
  if (isMysql(db)) {
    const { rows } = await sql<{ column_name: string }>`
      select column_name from information_schema.statistics
      where table_schema = database() and table_name = 'audit_log' and index_name = ${name}
      order by seq_in_index`.execute(db);
    return rows.map((row) => row.column_name);
  }
  const { rows } = await sql<{ name: string }>`select name from pragma_index_info(${name}) order by seqno`.execute(db);
  return rows.map((row) => row.name);
}

/** Rebuilds each index with the given columns unless it has them already: safe to run again after a failure. */
async function rebuild(db: Kysely<any>, columnsOf: (name: string) => string[]): Promise<void> {
  for (const name of Object.keys(INDEXES)) {
    const columns = columnsOf(name);
    if ((await indexColumns(db, name)).join(',') === columns.join(',')) continue;
    const list = columns.join(', ');
    if (isMysql(db)) {
      // One statement: the table is never without the index.
      await sql.raw(`alter table audit_log drop index ${name}, add index ${name} (${list})`).execute(db);
    } else {
      await sql.raw(`drop index if exists ${name}`).execute(db);
      await sql.raw(`create index ${name} on audit_log (${list})`).execute(db);
    }
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await rebuild(db, (name) => [...INDEXES[name]!, 'id']);
}

export async function down(db: Kysely<any>): Promise<void> {
  await rebuild(db, (name) => INDEXES[name]!);
}
