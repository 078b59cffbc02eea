import { type CreateTableBuilder, type Kysely, sql } from 'kysely';
import { type IndexSpec, columnTypes, createIndexes, createTable, dropTables, isMysql } from './support/ddl.ts';

/**
 * The append-only audit log, its archive and the head of its hash chain.
 *
 * On MySQL/MariaDB the live log is RANGE-partitioned by year of `occurred_at`: a time-bounded query reads only
 * its years, and old years can be dropped or exchanged whole. Partitioned InnoDB tables allow no foreign keys
 * and every unique key must contain the partition column, hence the primary key (id, occurred_at).
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  const mysql = isMysql(db);

  await createTable(
    db,
    'audit_log',
    (table) => {
      const withId = mysql
        ? table.addColumn('id', t.bigId, (c) => c.notNull().autoIncrement())
        : table.addColumn('id', t.id, (c) => c.primaryKey().autoIncrement());
      const withColumns = addEntryColumns(withId, t);
      return mysql ? withColumns.addPrimaryKeyConstraint('audit_log_pkey', ['id', 'occurred_at']) : withColumns;
    },
    { partitioning: mysql ? yearPartitions(new Date().getUTCFullYear()) : undefined },
  );
  await createIndexes(db, 'audit_log', auditIndexes('audit_log'));

  await createTable(db, 'audit_log_archive', (table) =>
    addEntryColumns(
      table.addColumn('id', t.bigId, (c) => c.primaryKey()),
      t,
    ).addColumn('archived_at', t.timestamp, (c) => c.notNull()),
  );
  await createIndexes(db, 'audit_log_archive', auditIndexes('audit_log_archive'));

  await createTable(db, 'audit_chain_head', (table) =>
    table
      .addColumn('id', t.tinyInt, (c) => c.primaryKey())
      .addColumn('seq', t.bigId, (c) => c.notNull())
      .addColumn('hash', t.hash, (c) => c.notNull()),
  );
  // The genesis: sequence 0 with an all-zero hash. Every writer locks this row to append the next entry.
  await sql`insert into audit_chain_head (id, seq, hash)
    select 1, 0, ${'0'.repeat(64)} where not exists (select 1 from audit_chain_head where id = 1)`.execute(db);
}

/** The columns of an entry after its id, the same in the live log and the archive. */
function addEntryColumns(
  table: CreateTableBuilder<string, string>,
  t: ReturnType<typeof columnTypes>,
): CreateTableBuilder<string, string> {
  return table
    .addColumn('occurred_at', t.timestamp, (c) => c.notNull())
    .addColumn('seq', t.bigId, (c) => c.notNull())
    .addColumn('hash', t.hash, (c) => c.notNull())
    .addColumn('school_id', t.ref)
    .addColumn('actor_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('user_id', t.ref)
    .addColumn('api_token_id', t.ref)
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('entity_type', 'varchar(40)')
    .addColumn('entity_id', t.ref)
    .addColumn('student_id', t.ref)
    .addColumn('request_id', 'varchar(64)')
    .addColumn('ip', 'varchar(45)')
    .addColumn('details', t.text);
}

/** Partitions for the three years before this one (seeded history), this year and the next, and catch-alls. */
function yearPartitions(currentYear: number): string {
  const years = [-3, -2, -1, 0, 1].map((offset) => currentYear + offset);
  const first = years[0] as number;
  const partitions = [
    `partition p_before_${first} values less than (${first})`,
    ...years.map((year) => `partition p${year} values less than (${year + 1})`),
    'partition p_future values less than maxvalue',
  ];
  return `partition by range (year(occurred_at)) (${partitions.join(', ')})`;
}

function auditIndexes(table: 'audit_log' | 'audit_log_archive'): IndexSpec[] {
  return [
    // The source document's compliance index: one user's actions over a time range.
    { name: `${table}_user_time_idx`, columns: ['user_id', 'occurred_at'] },
    // A school's log (school admins), newest first.
    { name: `${table}_school_time_idx`, columns: ['school_id', 'occurred_at'] },
    // The history of one record.
    { name: `${table}_entity_idx`, columns: ['entity_type', 'entity_id', 'occurred_at'] },
    // A student's disclosure record.
    { name: `${table}_student_time_idx`, columns: ['student_id', 'occurred_at'] },
    // The district's log by time, and archival by age.
    { name: `${table}_time_idx`, columns: ['occurred_at'] },
    // The chain order (unique keys on the partitioned table must contain the partition column).
    { name: `${table}_seq_key`, columns: table === 'audit_log' ? ['seq', 'occurred_at'] : ['seq'], unique: true },
  ];
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['audit_chain_head', 'audit_log_archive', 'audit_log']);
}
