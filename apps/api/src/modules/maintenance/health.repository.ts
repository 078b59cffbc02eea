/**
 * The statements that look at the database itself: whether it answers (/readyz), and what it is and how it is
 * set for `pastoral doctor`.
 */
import type { Database, DatabaseHandle } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';

/** The cheapest statement a database can answer: it proves the connection and the server's attention. */
export async function pingDatabase(db: Kysely<Database>): Promise<void> {
  await sql`select 1`.execute(db);
}

/** The server's version (MariaDB's or MySQL's), or the SQLite library's. */
export async function databaseVersion(
  db: Kysely<Database>,
  engine: DatabaseHandle['engine'],
): Promise<string | undefined> {
  return engine === 'mysql'
    ? (await sql<{ version: string }>`select version() as version`.execute(db)).rows[0]?.version
    : (await sql<{ version: string }>`select sqlite_version() as version`.execute(db)).rows[0]?.version;
}

/** MySQL's max_connections: how many connections the server accepts from all its clients together. */
export async function maxConnections(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ Value: string }>`show variables like 'max_connections'`.execute(db);
  return Number(rows[0]?.Value ?? 0);
}

/** MySQL's slow-query log settings (slow_query_log, long_query_time), by name. */
export async function slowQueryLogSettings(db: Kysely<Database>): Promise<Record<string, string>> {
  const { rows } = await sql<{ Variable_name: string; Value: string }>`
      show variables where Variable_name in ('slow_query_log', 'long_query_time')`.execute(db);
  return Object.fromEntries(rows.map((row) => [row.Variable_name, row.Value]));
}

/** When the live audit log's oldest entry happened (null or absent when the log is empty). */
export async function oldestAuditEntryTime(db: Kysely<Database>) {
  const oldest = await db
    .selectFrom('audit_log')
    .select((eb) => eb.fn.min('occurred_at').as('oldest'))
    .executeTakeFirst();
  return oldest?.oldest;
}
