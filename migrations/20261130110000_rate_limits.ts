import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/**
 * Fixed-window counters for throttling (failed sign-ins per account and per address). In the database, so
 * every API process counts the same attempts without Redis.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  await createTable(db, 'rate_limits', (table) =>
    table
      .addColumn('rate_key', 'varchar(191)', (c) => c.primaryKey())
      .addColumn('window_started_at', t.timestamp, (c) => c.notNull())
      .addColumn('hits', 'integer', (c) => c.notNull()),
  );
  await createIndexes(db, 'rate_limits', [{ name: 'rate_limits_window_idx', columns: ['window_started_at'] }]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['rate_limits']);
}
