/**
 * Everything that differs between MySQL/MariaDB and SQLite, in one place. The rest of the code base writes one
 * Kysely query for both engines and asks this module for the few things that cannot be written once: bulk
 * loading, catalog reads and query plans.
 */
import { Readable } from 'node:stream';
import type BetterSqlite3 from 'better-sqlite3';
import { type Compilable, CompiledQuery, type Insertable, type Kysely, sql } from 'kysely';
import type { PoolConnection } from 'mysql2';
import type { BoundedPool } from './mysql-pool.ts';
import type { Database, TableName } from './schema.ts';

export type SqlValue = string | number | null;

export interface IndexInfo {
  name: string;
  columns: string[];
  unique: boolean;
}

export interface PlanRow {
  /** The table the step reads. */
  table: string | null;
  /** The index it reads through, or null for a full scan. */
  index: string | null;
  /** The engine's own description of the step. */
  detail: string;
}

export interface BulkInsertOptions {
  /**
   * Skip foreign-key and unique checks while loading: only for data that is known to be consistent, such as a
   * generated seed (MySQL; SQLite checks are cheap enough to keep). On MySQL the summary triggers are paused
   * too: the caller counts the summaries afresh afterwards (`rebuildSchoolSummaries`).
   */
  trusted?: boolean;
  /** MySQL: `insert` skips LOAD DATA and uses multi-row INSERT, as it does by itself where LOAD DATA is off. */
  method?: 'auto' | 'insert';
}

export interface EngineDialect {
  readonly engine: 'mysql' | 'sqlite';
  /**
   * Whether SELECT … FOR UPDATE locks rows (MySQL). SQLite has one writer at a time, so a write transaction
   * already excludes every other writer and FOR UPDATE does not exist.
   */
  readonly rowLocks: boolean;
  /** Insert rows (arrays in `columns` order) as fast as the engine allows; returns the number inserted. */
  bulkInsert(
    table: TableName,
    columns: readonly string[],
    rows: Iterable<readonly SqlValue[]>,
    options?: BulkInsertOptions,
  ): Promise<number>;
  /** The indexes of a table, read back from the engine's catalog. */
  listIndexes(table: TableName): Promise<IndexInfo[]>;
  /** The plan the engine chooses for a query. */
  explain(query: Compilable): Promise<PlanRow[]>;
  /**
   * Inserts rows, or updates the `update` columns of the row that already has the same unique key: the
   * natural-key upsert integrators rely on (sending the same day's attendance twice changes nothing).
   * Pass a transaction as `executor` to upsert inside it.
   */
  upsert<T extends TableName>(
    executor: Kysely<Database>,
    table: T,
    rows: Insertable<Database[T]>[],
    options: { conflict: readonly (keyof Database[T] & string)[]; update: readonly (keyof Database[T] & string)[] },
  ): Promise<void>;
  /** For a partitioned table, the partition names and their bounds; empty on SQLite. */
  listPartitions(table: TableName): Promise<{ name: string; description: string | null }[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// MySQL / MariaDB

/** Rows per LOAD DATA stream or INSERT statement: large enough to amortise round trips, small enough for memory. */
const MYSQL_BATCH_ROWS = 20_000;

export function mysqlEngineDialect(db: Kysely<Database>, pool: BoundedPool): EngineDialect {
  let loadDataRefused = false;

  /**
   * Runs `work` on a connection of the pool. A connection whose session settings `work` could not put back
   * (`reusable` false) is closed rather than returned: the next user would write with checks off and uncounted.
   */
  async function withConnection<T>(
    work: (connection: PoolConnection) => Promise<T>,
    reusable: () => boolean = () => true,
  ): Promise<T> {
    const connection = await new Promise<PoolConnection>((resolve, reject) =>
      pool.getConnection((error, conn) => (error ? reject(error) : resolve(conn))),
    );
    try {
      return await work(connection);
    } finally {
      if (reusable()) connection.release();
      else connection.destroy();
    }
  }

  function query(connection: PoolConnection, options: string | Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve, reject) =>
      connection.query(options as never, (error: Error | null, result: unknown) =>
        error ? reject(error) : resolve(result),
      ),
    );
  }

  async function loadBatch(
    connection: PoolConnection,
    table: string,
    columns: readonly string[],
    batch: string[],
    method: BulkInsertOptions['method'],
  ) {
    const columnList = columns.map((column) => `\`${column}\``).join(', ');
    if (!loadDataRefused && method !== 'insert') {
      try {
        await query(connection, {
          sql:
            `load data local infile 'pastoral-bulk' into table \`${table}\` character set utf8mb4 ` +
            `fields terminated by '\\t' escaped by '\\\\' lines terminated by '\\n' (${columnList})`,
          infileStreamFactory: () => Readable.from(toBufferChunks(batch), { objectMode: false }),
        });
        return;
      } catch (error) {
        // MySQL 8 ships with local_infile off; multi-row INSERT is slower but always allowed.
        if (!isLoadDataRefused(error)) throw error;
        loadDataRefused = true;
      }
    }
    const values = batch.map(tsvLineToValues).join(',');
    await query(connection, `insert into \`${table}\` (${columnList}) values ${values}`);
  }

  return {
    engine: 'mysql',
    rowLocks: true,

    async bulkInsert(table, columns, rows, options = {}) {
      let restored = !options.trusted;
      return withConnection(
        async (connection) => {
          // @pastoral_bulk_load pauses the summary triggers (migrations/20261218100000_summary_counts.ts): the
          // loader counts the summaries afresh when it is done.
          if (options.trusted) {
            await query(connection, 'set foreign_key_checks = 0, unique_checks = 0, @pastoral_bulk_load = 1');
          }
          try {
            let batch: string[] = [];
            let count = 0;
            for (const row of rows) {
              batch.push(toTsvLine(row));
              if (batch.length === MYSQL_BATCH_ROWS) {
                await loadBatch(connection, table, columns, batch, options.method);
                count += batch.length;
                batch = [];
              }
            }
            if (batch.length > 0) await loadBatch(connection, table, columns, batch, options.method);
            return count + batch.length;
          } finally {
            if (options.trusted) {
              await query(connection, 'set foreign_key_checks = 1, unique_checks = 1, @pastoral_bulk_load = null');
              restored = true;
            }
          }
        },
        () => restored,
      );
    },

    async listIndexes(table) {
      const { rows } = await sql<{ name: string; column_name: string; non_unique: number }>`
        select index_name as name, column_name, non_unique from information_schema.statistics
        where table_schema = database() and table_name = ${table}
        order by index_name, seq_in_index`.execute(db);
      return groupIndexColumns(rows.map((row) => ({ ...row, unique: Number(row.non_unique) === 0 })));
    },

    async explain(query) {
      const compiled = query.compile();
      const { rows } = await db.executeQuery<{
        table: string | null;
        key: string | null;
        Extra: string | null;
        type: string;
      }>(CompiledQuery.raw(`explain ${compiled.sql}`, [...compiled.parameters]));
      return rows.map((row) => ({
        table: row.table,
        index: row.key,
        detail: `type=${row.type}${row.Extra ? `; ${row.Extra}` : ''}`,
      }));
    },

    async upsert(executor, table, rows, { update }) {
      if (rows.length === 0) return;
      // VALUES(col) works on MariaDB and MySQL 8 alike; MySQL's newer row-alias syntax does not exist on MariaDB.
      const assignments = Object.fromEntries(update.map((column) => [column, sql`values(${sql.ref(column)})`]));
      await executor
        .insertInto(table)
        .values(rows as never)
        .onDuplicateKeyUpdate(assignments as never)
        .execute();
    },

    async listPartitions(table) {
      const { rows } = await sql<{ name: string | null; description: string | null }>`
        select partition_name as name, partition_description as description from information_schema.partitions
        where table_schema = database() and table_name = ${table} order by partition_ordinal_position`.execute(db);
      return rows.filter((row): row is { name: string; description: string | null } => row.name !== null);
    },
  };
}

function isLoadDataRefused(error: unknown): boolean {
  const code = (error as { code?: string; errno?: number }).code;
  const errno = (error as { errno?: number }).errno;
  // 1148 ER_NOT_ALLOWED_COMMAND, 3948 ER_CLIENT_LOCAL_FILES_DISABLED (MySQL 8), 4166 (MariaDB 10.11),
  // 2068 CR_LOAD_DATA_LOCAL_INFILE_REJECTED
  return code === 'ER_NOT_ALLOWED_COMMAND' || [1148, 2068, 3948, 4166].includes(errno ?? 0);
}

/** LOAD DATA streams must yield Buffers; one per ~256 KB keeps packets well under max_allowed_packet. */
function* toBufferChunks(lines: string[]): Generator<Buffer> {
  let chunk = '';
  for (const line of lines) {
    chunk += line;
    if (chunk.length >= 256 * 1024) {
      yield Buffer.from(chunk);
      chunk = '';
    }
  }
  if (chunk) yield Buffer.from(chunk);
}

/** One row as a LOAD DATA line: tab-separated, backslash-escaped, `\N` for NULL. */
function toTsvLine(row: readonly SqlValue[]): string {
  let line = '';
  for (let i = 0; i < row.length; i++) {
    const value = row[i];
    if (i > 0) line += '\t';
    if (value === null || value === undefined) line += '\\N';
    else if (typeof value === 'number') line += String(value);
    else line += /[\\\t\n\r\0]/.test(value) ? value.replace(/[\\\t\n\r\0]/g, escapeTsvChar) : value;
  }
  return `${line}\n`;
}

const TSV_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r', '\0': '\\0' };
function escapeTsvChar(char: string): string {
  return TSV_ESCAPES[char] ?? char;
}

/** The INSERT fallback reuses the encoded line: `\N` becomes NULL, everything else a quoted SQL string. */
function tsvLineToValues(line: string): string {
  const fields = line.slice(0, -1).split('\t');
  return `(${fields.map((field) => (field === '\\N' ? 'NULL' : `'${field.replace(/'/g, "\\'")}'`)).join(',')})`;
}

function groupIndexColumns(rows: { name: string; column_name: string; unique: boolean }[]): IndexInfo[] {
  const byName = new Map<string, IndexInfo>();
  for (const row of rows) {
    const index = byName.get(row.name) ?? { name: row.name, columns: [], unique: row.unique };
    index.columns.push(row.column_name);
    byName.set(row.name, index);
  }
  return [...byName.values()];
}

// ---------------------------------------------------------------------------------------------------------------
// SQLite

const SQLITE_BATCH_ROWS = 10_000;

export function sqliteEngineDialect(db: Kysely<Database>, database: BetterSqlite3.Database): EngineDialect {
  return {
    engine: 'sqlite',
    rowLocks: false,

    async bulkInsert(table, columns, rows) {
      // One prepared statement in a transaction per batch: SQLite's fastest path, and the event loop breathes
      // between batches.
      const statement = database.prepare(
        `insert into "${table}" (${columns.map((c) => `"${c}"`).join(', ')}) values (${columns.map(() => '?').join(', ')})`,
      );
      const insertBatch = database.transaction((batch: (readonly SqlValue[])[]) => {
        for (const row of batch) statement.run(...row);
      });
      let batch: (readonly SqlValue[])[] = [];
      let count = 0;
      for (const row of rows) {
        batch.push(row);
        if (batch.length === SQLITE_BATCH_ROWS) {
          insertBatch(batch);
          count += batch.length;
          batch = [];
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      insertBatch(batch);
      return count + batch.length;
    },

    async listIndexes(table) {
      const { rows } = await sql<{ name: string; column_name: string; unique: number }>`
        select il.name as name, ii.name as column_name, il."unique" as "unique"
        from pragma_index_list(${table}) as il, pragma_index_info(il.name) as ii
        order by il.name, ii.seqno`.execute(db);
      return groupIndexColumns(rows.map((row) => ({ ...row, unique: Number(row.unique) === 1 })));
    },

    async explain(query) {
      const compiled = query.compile();
      const plan = database
        .prepare(`explain query plan ${compiled.sql}`)
        .all(...(compiled.parameters as SqlValue[])) as {
        detail: string;
      }[];
      return plan.map(({ detail }) => {
        const match =
          /^(?:SCAN|SEARCH) (\S+)(?: AS \S+)?(?: USING (?:COVERING )?INDEX (\S+)| USING (?:INTEGER )?PRIMARY KEY)?/.exec(
            detail,
          );
        const usesPrimaryKey = /USING (?:INTEGER )?PRIMARY KEY/.test(detail);
        return {
          table: match?.[1] ?? null,
          index: match?.[2] ?? (usesPrimaryKey ? 'PRIMARY' : null),
          detail,
        };
      });
    },

    async upsert(executor, table, rows, { conflict, update }) {
      if (rows.length === 0) return;
      const assignments = Object.fromEntries(update.map((column) => [column, sql.ref(`excluded.${column}`)]));
      await executor
        .insertInto(table)
        .values(rows as never)
        .onConflict((onConflict) => onConflict.columns(conflict as never).doUpdateSet(assignments as never))
        .execute();
    },

    async listPartitions() {
      return [];
    },
  };
}

/** A statement the server stopped for running past its time limit (MariaDB 1969, MySQL 3024). */
export function isStatementTimeout(error: unknown): boolean {
  const errno = (error as { errno?: number } | null)?.errno;
  return errno === 1969 || errno === 3024;
}

/** An insert or update that hit a unique key (MySQL 1062 ER_DUP_ENTRY, SQLite SQLITE_CONSTRAINT_UNIQUE/PK). */
export function isUniqueViolation(error: unknown): boolean {
  const { errno, code } = (error as { errno?: number; code?: string } | null) ?? {};
  return errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** The engine gave up on a transaction to break a deadlock (MySQL 1213); it rolled back and may be retried. */
export function isDeadlock(error: unknown): boolean {
  return (error as { errno?: number } | null)?.errno === 1213;
}
