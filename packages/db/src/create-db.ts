import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, type LogEvent, MysqlDialect, SqliteDialect } from 'kysely';
import { type DatabaseTarget, parseDatabaseUrl } from './database-url.ts';
import { type EngineDialect, mysqlEngineDialect, sqliteEngineDialect } from './dialect.ts';
import {
  type BoundedPool,
  createBoundedPool,
  DEFAULT_POOL_LIMITS,
  type PoolLimits,
  type PoolStats,
} from './mysql-pool.ts';
import { type ReplicaStatus, replicatedMysqlDialect } from './replicas.ts';
import type { Database } from './schema.ts';

export type Engine = DatabaseTarget['engine'];

export interface CreateDbOptions {
  /** The MySQL pool's limits (see mysql-pool.ts); its size plus overflow is the per-process connection cap. */
  pool?: Partial<PoolLimits>;
  /** How long to wait for a TCP connection to MySQL before giving up. */
  connectTimeoutMs?: number;
  /**
   * The longest any one statement may run, enforced by the server (MariaDB's max_statement_time, MySQL's
   * max_execution_time for SELECT): work behind a request that has given up does not run on. Off by default
   * (migrations, seeding and archival run long on purpose).
   */
  statementTimeoutMs?: number;
  /**
   * How long the statement about to be sent may take at the client before its connection is presumed dead
   * (MySQL), read as it is sent; undefined for no limit. The API gives each request's time left.
   */
  queryTimeoutMs?: () => number | undefined;
  /**
   * Read replicas of a MySQL primary (DATABASE_REPLICA_URLS): plain reads outside transactions go to them in
   * turn, with read-your-own-writes (replicas.ts).
   */
  replicaUrls?: string[];
  /** A replica further behind the primary than this leaves the rotation until it catches up. */
  replicaMaxLagMs?: number;
  /** Told when a replica enters or leaves the rotation. */
  onReplicaHealthChange?: (status: ReplicaStatus) => void;
  /** Called with every statement and its duration, for slow-query logging and statement counting. */
  log?: (event: LogEvent) => void;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Engine-specific operations: bulk loading, catalog reads, EXPLAIN. */
  dialect: EngineDialect;
  /** A short, password-free description for logs: `mysql 127.0.0.1:3306/pastoral`. */
  description: string;
  /** Open and waiting connections of the MySQL pool; null on SQLite, which has one connection. */
  poolStats(): PoolStats | null;
  /** Each read replica's health and freshness; empty without replicas. */
  replicas(): ReplicaStatus[];
  /** Looks at the replicas now, rather than at the monitor's next tick. */
  checkReplicas(): Promise<void>;
  destroy(): Promise<void>;
}

/** Opens the database a `DATABASE_URL` names. The connection itself opens lazily, on the first query. */
export function createDb(url: string, options: CreateDbOptions = {}): DatabaseHandle {
  const target = parseDatabaseUrl(url);
  return target.engine === 'mysql' ? createMysqlDb(target, options) : createSqliteDb(target.path, options);
}

function createMysqlDb(target: Extract<DatabaseTarget, { engine: 'mysql' }>, options: CreateDbOptions): DatabaseHandle {
  const pool = boundedPoolFor(target, options);
  const replicaTargets = (options.replicaUrls ?? []).map((url) => {
    const replica = parseDatabaseUrl(url);
    if (replica.engine !== 'mysql') throw new Error('A read replica must be a MySQL URL, like DATABASE_URL.');
    return replica;
  });
  const replicated =
    replicaTargets.length > 0
      ? replicatedMysqlDialect(
          pool,
          replicaTargets.map((replica) => ({ pool: boundedPoolFor(replica, options), description: describe(replica) })),
          { maxLagMs: options.replicaMaxLagMs ?? 5_000, onHealthChange: options.onReplicaHealthChange },
        )
      : null;
  const db = new Kysely<Database>({
    dialect: replicated?.dialect ?? new MysqlDialect({ pool }),
    log: options.log,
  });
  return {
    db,
    engine: 'mysql',
    dialect: mysqlEngineDialect(db, pool),
    description: describe(target),
    poolStats: () => pool.stats(),
    replicas: () => replicated?.replicaSet.statuses() ?? [],
    checkReplicas: async () => replicated?.replicaSet.check(),
    destroy: () => db.destroy(),
  };
}

function describe(target: Extract<DatabaseTarget, { engine: 'mysql' }>): string {
  return `mysql ${target.socketPath ?? `${target.host}:${target.port}`}/${target.database}`;
}

function boundedPoolFor(target: Extract<DatabaseTarget, { engine: 'mysql' }>, options: CreateDbOptions): BoundedPool {
  return createBoundedPool(
    {
      ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
      user: target.user,
      password: target.password,
      database: target.database,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // Our types: timestamps and dates as UTC strings, SUM/AVG as numbers, identical to what SQLite returns.
      timezone: 'Z',
      dateStrings: true,
      decimalNumbers: true,
      supportBigNumbers: true,
      charset: 'UTF8MB4_UNICODE_520_CI',
      enableKeepAlive: true,
      keepAliveInitialDelay: 30_000,
    },
    { ...DEFAULT_POOL_LIMITS, ...options.pool },
    {
      queryTimeoutMs: options.queryTimeoutMs,
      onConnection: (connection) => {
        // NOW() and friends in UTC, like everything we store.
        connection.query("set time_zone = '+00:00'");
        // Every statement names its school (docs/SCALING.md), so a lookup by a selective key carries school_id
        // too; MariaDB then intersected the key's index with a (school_id, …) one (a classroom's roster read
        // both students_classroom_active_idx and students_school_active_idx) where the key's index alone reads
        // exactly the rows. The composite indexes serve every query; intersecting them never does better.
        connection.query("set session optimizer_switch = 'index_merge_intersection=off'");
        const timeout = options.statementTimeoutMs;
        if (timeout) {
          // MariaDB names it max_statement_time (seconds); MySQL max_execution_time (milliseconds, SELECT only).
          connection.query(`set session max_statement_time = ${timeout / 1000}`, (error) => {
            if (error) connection.query(`set session max_execution_time = ${Math.ceil(timeout)}`, () => undefined);
          });
        }
      },
    },
  );
}

function createSqliteDb(path: string, options: CreateDbOptions): DatabaseHandle {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const database = new BetterSqlite3(path);
  // WAL lets readers work while a writer commits; NORMAL sync is durable across application crashes in WAL.
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  database.pragma('busy_timeout = 5000');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), log: options.log });
  return {
    db,
    engine: 'sqlite',
    dialect: sqliteEngineDialect(db, database),
    description: `sqlite ${path}`,
    poolStats: () => null,
    replicas: () => [],
    checkReplicas: async () => {},
    destroy: () => db.destroy(),
  };
}
