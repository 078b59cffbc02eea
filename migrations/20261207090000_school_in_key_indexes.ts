import { type Kysely, sql } from 'kysely';
import { isMysql } from './support/ddl.ts';

/**
 * The indexes that serve lookups by a key (an assignee, a student, a classroom, a case, a member of staff) name
 * the school right after the key.
 *
 * Every statement on a school's table now names its school (docs/SCALING.md, section 4), so those lookups read
 * `assigned_to = ? and school_id = ? and status in (…)`. Without `school_id` in the index MariaDB had to read each
 * candidate row to test its school, and the form master's scope stopped being answered from the indexes alone:
 * its set of visible alerts went from 1.3 ms to 3.2 ms on the district seed, and their dashboard, rosters and
 * student pages about doubled through the API. Right after the key, `school_id` leaves the key leading (the
 * foreign keys keep their index) and the order the index reads in unchanged: at the end, SQLite sorted a page
 * again by id, not seeing that the school was fixed. Safe to run again: an index that has its columns already
 * is left alone.
 */
const INDEXES: { table: string; name: string; columns: string[] }[] = [
  { table: 'alerts', name: 'alerts_assigned_status_idx', columns: ['assigned_to', 'status', 'alert_date'] },
  { table: 'alerts', name: 'alerts_student_status_idx', columns: ['student_id', 'status', 'alert_date'] },
  { table: 'alerts', name: 'alerts_student_date_idx', columns: ['student_id', 'alert_date'] },
  { table: 'intervention_cases', name: 'cases_assigned_status_idx', columns: ['assigned_to', 'status', 'created_at'] },
  {
    table: 'intervention_cases',
    name: 'cases_assigned_review_idx',
    columns: ['assigned_to', 'status', 'next_review_at'],
  },
  { table: 'intervention_cases', name: 'cases_student_created_idx', columns: ['student_id', 'created_at'] },
  { table: 'students', name: 'students_classroom_active_idx', columns: ['classroom_id', 'is_active'] },
  { table: 'classroom_assignments', name: 'classroom_assignments_user_idx', columns: ['user_id', 'classroom_id'] },
  { table: 'case_events', name: 'case_events_case_created_idx', columns: ['case_id', 'created_at', 'id'] },
];

async function indexColumns(db: Kysely<any>, table: string, name: string): Promise<string[]> {
  if (isMysql(db)) {
    const { rows } = await sql<{ column_name: string }>`
      select column_name from information_schema.statistics
      where table_schema = database() and table_name = ${table} and index_name = ${name}
      order by seq_in_index`.execute(db);
    return rows.map((row) => row.column_name);
  }
  const { rows } = await sql<{ name: string }>`select name from pragma_index_info(${name}) order by seqno`.execute(db);
  return rows.map((row) => row.name);
}

/** Rebuilds each index with the columns given, a table at a time, unless it has them already. */
async function rebuild(db: Kysely<any>, columnsOf: (columns: string[]) => string[]): Promise<void> {
  for (const table of [...new Set(INDEXES.map((index) => index.table))]) {
    const changes: { name: string; list: string }[] = [];
    for (const index of INDEXES.filter((candidate) => candidate.table === table)) {
      const columns = columnsOf(index.columns);
      if ((await indexColumns(db, table, index.name)).join(',') === columns.join(',')) continue;
      changes.push({ name: index.name, list: columns.join(', ') });
    }
    if (changes.length === 0) continue;
    if (isMysql(db)) {
      // One statement a table: it is never without the index, and a foreign key led by the same column keeps one.
      const clauses = changes.map(({ name, list }) => `drop index ${name}, add index ${name} (${list})`);
      await sql.raw(`alter table ${table} ${clauses.join(', ')}`).execute(db);
    } else {
      for (const { name, list } of changes) {
        await sql.raw(`drop index if exists ${name}`).execute(db);
        await sql.raw(`create index ${name} on ${table} (${list})`).execute(db);
      }
    }
  }
}

export async function up(db: Kysely<any>): Promise<void> {
  await rebuild(db, ([key, ...rest]) => [key!, 'school_id', ...rest]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await rebuild(db, (columns) => columns);
}
