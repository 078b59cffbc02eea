import { type Kysely, sql } from 'kysely';
import { columnTypes, createTable, dropTables } from './support/ddl.ts';

/**
 * Two small tables for running the audit log over years:
 *
 * - `job_leases`: a scheduled job (the nightly archival) runs in one API process of several. A process takes the
 *   job's row for a while and renews it as it goes; a process that dies simply lets its lease expire. A row in
 *   the database works the same on every engine and across hosts, where a lock file would not.
 * - `audit_chain_anchor`: where the verifiable chain starts. Purging old entries for the district's retention
 *   policy moves the anchor to the last purged entry's sequence number and hash, so `audit verify` checks the
 *   rest from there instead of from the genesis.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  await createTable(db, 'job_leases', (table) =>
    table
      .addColumn('job', 'varchar(64)', (c) => c.primaryKey())
      .addColumn('holder', 'varchar(128)', (c) => c.notNull())
      .addColumn('acquired_at', t.timestamp, (c) => c.notNull())
      .addColumn('expires_at', t.timestamp, (c) => c.notNull()),
  );
  await createTable(db, 'audit_chain_anchor', (table) =>
    table
      .addColumn('id', t.tinyInt, (c) => c.primaryKey())
      .addColumn('seq', t.bigId, (c) => c.notNull())
      .addColumn('hash', t.hash, (c) => c.notNull())
      .addColumn('purged_before', t.timestamp)
      .addColumn('purged_at', t.timestamp),
  );
  // Nothing purged yet: the chain is verifiable from the genesis (sequence 0, the all-zero hash).
  await sql`insert into audit_chain_anchor (id, seq, hash)
    select 1, 0, ${'0'.repeat(64)} where not exists (select 1 from audit_chain_anchor where id = 1)`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['audit_chain_anchor', 'job_leases']);
}
