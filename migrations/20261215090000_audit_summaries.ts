import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/**
 * Counters behind summarised audit entries. An event that can repeat without limit (a throttled sign-in, an
 * access refused) is written to the audit log once when its key's window opens and once, with the count, when
 * the window closes; the occurrences between are counted here. The audit log is an append-only hash chain, so
 * an entry cannot be updated with its count: the count lives here until the closing entry carries it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  await createTable(db, 'audit_summaries', (table) =>
    table
      .addColumn('summary_key', 'varchar(191)', (c) => c.primaryKey())
      .addColumn('window_started_at', t.timestamp, (c) => c.notNull())
      .addColumn('window_ends_at', t.timestamp, (c) => c.notNull())
      .addColumn('occurrences', 'integer', (c) => c.notNull())
      .addColumn('last_occurred_at', t.timestamp, (c) => c.notNull())
      .addColumn('event', t.text, (c) => c.notNull())
      .addColumn('actor', t.text, (c) => c.notNull()),
  );
  // The sweep closes the windows that have ended.
  await createIndexes(db, 'audit_summaries', [{ name: 'audit_summaries_ends_idx', columns: ['window_ends_at'] }]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['audit_summaries']);
}
