/**
 * DDL helpers for the migrations, and only for them.
 *
 * Frozen like the migrations themselves: a migration that ran must run the same way next year, so never change
 * what an existing helper emits; add a new helper instead. Nothing here imports application code.
 *
 * Neither engine runs DDL in a transaction, so a migration that fails halfway must be safe to run again: tables
 * are created IF NOT EXISTS and indexes only when the engine's catalog does not list them yet.
 */
import { type CreateTableBuilder, type Kysely, MysqlAdapter, sql } from 'kysely';

export function isMysql(db: Kysely<any>): boolean {
  return db.getExecutor().adapter instanceof MysqlAdapter;
}

/** Column types that differ between the engines (see packages/db/src/schema.ts for the conventions). */
export function columnTypes(db: Kysely<any>) {
  const mysql = isMysql(db);
  return {
    /** An auto-increment surrogate key; SQLite needs exactly INTEGER for a rowid alias. */
    id: mysql ? sql`int unsigned` : sql`integer`,
    /** A reference to an `id` column. */
    ref: mysql ? sql`int unsigned` : sql`integer`,
    bigId: mysql ? sql`bigint unsigned` : sql`integer`,
    timestamp: mysql ? sql`datetime(3)` : sql`text`,
    date: mysql ? sql`date` : sql`text`,
    flag: mysql ? sql`tinyint(1)` : sql`integer`,
    smallInt: mysql ? sql`smallint` : sql`integer`,
    tinyInt: mysql ? sql`tinyint` : sql`integer`,
    double: mysql ? sql`double` : sql`real`,
    text: sql`text`,
    hash: mysql ? sql`char(64)` : sql`text`,
  };
}

export async function indexExists(db: Kysely<any>, table: string, name: string): Promise<boolean> {
  if (isMysql(db)) {
    const { rows } = await sql<{ n: number }>`
      select count(*) as n from information_schema.statistics
      where table_schema = database() and table_name = ${table} and index_name = ${name}`.execute(db);
    return Number(rows[0]?.n ?? 0) > 0;
  }
  const { rows } = await sql<{ n: number }>`
    select count(*) as n from sqlite_master where type = 'index' and tbl_name = ${table} and name = ${name}`.execute(
    db,
  );
  return Number(rows[0]?.n ?? 0) > 0;
}

export interface IndexSpec {
  name: string;
  columns: string[];
  unique?: boolean;
}

/** CREATE INDEX unless it is there already (MySQL 8 has no CREATE INDEX IF NOT EXISTS). */
export async function createIndexes(db: Kysely<any>, table: string, indexes: IndexSpec[]): Promise<void> {
  for (const index of indexes) {
    if (await indexExists(db, table, index.name)) continue;
    let builder = db.schema.createIndex(index.name).on(table).columns(index.columns);
    if (index.unique) builder = builder.unique();
    await builder.execute();
  }
}

/** DROP TABLE IF EXISTS for each, in the order given (children first). */
export async function dropTables(db: Kysely<any>, tables: string[]): Promise<void> {
  for (const table of tables) await db.schema.dropTable(table).ifExists().execute();
}

/** `[column, 'table.column', on delete]`: a foreign key. */
export type ForeignKeySpec = [column: string, references: string, onDelete?: 'cascade' | 'set null'];

export interface TableOptions {
  foreignKeys?: ForeignKeySpec[];
  /** A MySQL PARTITION BY clause; ignored on SQLite. */
  partitioning?: string;
}

/**
 * CREATE TABLE IF NOT EXISTS with the project's table options:
 * - InnoDB, utf8mb4 with a collation both MySQL 8 and MariaDB 10.11 have (utf8mb4_0900_ai_ci is MySQL-only);
 * - foreign keys as table-level constraints named `<table>_<column>_fkey` (MySQL parses and silently ignores
 *   an inline REFERENCES on a column).
 */
export async function createTable(
  db: Kysely<any>,
  name: string,
  columns: (table: CreateTableBuilder<string, string>) => CreateTableBuilder<string, string>,
  options: TableOptions = {},
): Promise<void> {
  let builder = columns(db.schema.createTable(name).ifNotExists());
  for (const [column, references, onDelete] of options.foreignKeys ?? []) {
    const [refTable, refColumn] = references.split('.') as [string, string];
    builder = builder.addForeignKeyConstraint(`${name}_${column}_fkey`, [column], refTable, [refColumn], (fk) =>
      onDelete ? fk.onDelete(onDelete) : fk,
    );
  }
  if (isMysql(db)) {
    const tableOptions = 'engine=InnoDB default charset=utf8mb4 collate=utf8mb4_unicode_520_ci';
    builder = builder.modifyEnd(sql.raw([tableOptions, options.partitioning].filter(Boolean).join(' ')));
  }
  await builder.execute();
}

export async function tableExists(db: Kysely<any>, table: string): Promise<boolean> {
  const { rows } = isMysql(db)
    ? await sql<{ n: number }>`
        select count(*) as n from information_schema.tables
        where table_schema = database() and table_name = ${table}`.execute(db)
    : await sql<{
        n: number;
      }>`select count(*) as n from sqlite_master where type = 'table' and name = ${table}`.execute(db);
  return Number(rows[0]?.n ?? 0) > 0;
}

export async function columnExists(db: Kysely<any>, table: string, column: string): Promise<boolean> {
  const { rows } = isMysql(db)
    ? await sql<{ n: number }>`
        select count(*) as n from information_schema.columns
        where table_schema = database() and table_name = ${table} and column_name = ${column}`.execute(db)
    : await sql<{ n: number }>`select count(*) as n from pragma_table_info(${table}) where name = ${column}`.execute(
        db,
      );
  return Number(rows[0]?.n ?? 0) > 0;
}

/** ALTER TABLE … ADD COLUMN unless the table has it (neither engine has ADD COLUMN IF NOT EXISTS in common). */
export async function addColumns(
  db: Kysely<any>,
  table: string,
  columns: { name: string; type: Parameters<ReturnType<Kysely<any>['schema']['alterTable']>['addColumn']>[1] }[],
): Promise<void> {
  for (const column of columns) {
    if (await columnExists(db, table, column.name)) continue;
    await db.schema.alterTable(table).addColumn(column.name, column.type).execute();
  }
}

/** ALTER TABLE … DROP COLUMN where the table has it. */
export async function dropColumns(db: Kysely<any>, table: string, columns: string[]): Promise<void> {
  for (const column of columns) {
    if (await columnExists(db, table, column)) await db.schema.alterTable(table).dropColumn(column).execute();
  }
}

/**
 * createIndexes for several indexes of one table, in one ALTER TABLE on MySQL (each ALTER costs a table rebuild's
 * bookkeeping, and a migration of many indexes ran long on a busy machine); CREATE INDEX each on SQLite.
 */
export async function addIndexesTogether(db: Kysely<any>, table: string, indexes: IndexSpec[]): Promise<void> {
  const missing: IndexSpec[] = [];
  for (const index of indexes) if (!(await indexExists(db, table, index.name))) missing.push(index);
  if (missing.length === 0) return;
  if (!isMysql(db)) return createIndexes(db, table, missing);
  const clauses = missing.map(
    (index) =>
      sql`add ${sql.raw(index.unique ? 'unique ' : '')}index ${sql.ref(index.name)} (${sql.raw(index.columns.join(', '))})`,
  );
  await sql`alter table ${sql.table(table)} ${sql.join(clauses)}`.execute(db);
}

/** Drops those of `names` the table has, in one ALTER TABLE on MySQL; DROP INDEX each on SQLite. */
export async function dropIndexesTogether(db: Kysely<any>, table: string, names: string[]): Promise<void> {
  const present: string[] = [];
  for (const name of names) if (await indexExists(db, table, name)) present.push(name);
  if (present.length === 0) return;
  if (!isMysql(db)) {
    for (const name of present) await db.schema.dropIndex(name).execute();
    return;
  }
  await sql`alter table ${sql.table(table)} ${sql.join(present.map((name) => sql`drop index ${sql.ref(name)}`))}`.execute(
    db,
  );
}
