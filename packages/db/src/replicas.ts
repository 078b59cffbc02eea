/**
 * Reads from MySQL read replicas, with read-your-own-writes.
 *
 * - Routing is per statement, below Kysely: a SELECT outside a transaction goes to the next replica in rotation;
 *   every other statement, and everything inside a transaction, goes to the primary. Code above needs no change.
 * - Freshness is measured, not assumed: four times a second the monitor records the primary's GTID position
 *   with the time it read it, and asks each replica, with a wait of zero, whether it has applied the position
 *   read on the tick before (MariaDB's MASTER_GTID_WAIT, MySQL's WAIT_FOR_EXECUTED_GTID_SET). A replica that has
 *   is fresh up to that time; one that has not caught up within REPLICA_MAX_LAG_S, or does not answer, leaves the
 *   rotation until it does.
 * - Read-your-own-writes by a recorded write time rather than a GTID wait per request: a request that wrote
 *   notes when (its caller keeps the time, in a cookie, so any API host knows it), and a caller's reads go to a
 *   replica only once that replica is fresh up to the caller's last write. This costs no statement per request
 *   (a GTID wait would cost one on every read after a write), and holds across hosts without shared state.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  Kysely,
  MysqlAdapter,
  MysqlDialect,
  MysqlIntrospector,
  MysqlQueryCompiler,
  type QueryResult,
  sql,
  type TransactionSettings,
} from 'kysely';
import { type BoundedPool, DatabaseUnavailableError } from './mysql-pool.ts';

/** What one request knows and learns about its caller's writes. */
export interface ReadState {
  /** When the caller last wrote (ms since the epoch), as the caller reported it; 0 if never. */
  wroteAt: number;
  /** Set when this request wrote: the time of its last write. */
  wroteNow: number | null;
  /** Every statement to the primary from now on (a mutation: what it reads, it decides on). */
  primaryOnly?: boolean;
}

const readStates = new AsyncLocalStorage<ReadState>();

/** From here on, the current request reads only from the primary (a mutation's reads decide what it writes). */
export function readFromPrimaryOnly(): void {
  const state = readStates.getStore();
  if (state) state.primaryOnly = true;
}

/** Runs `handle` as one caller's request: its reads see its writes, earlier ones and its own. */
export function withReadState<T>(state: ReadState, handle: () => T): T {
  return readStates.run(state, handle);
}

export type ReplicaHealth = 'in rotation' | 'lagging' | 'unreachable' | 'starting';

export interface ReplicaStatus {
  description: string;
  health: ReplicaHealth;
  /** How far behind the primary it was at the last look, in ms (at the monitor's resolution). */
  lagMs: number | null;
  /** SELECTs it served. */
  reads: number;
}

export interface ReplicaSet {
  statuses(): ReplicaStatus[];
  /** Looks once now (the monitor does every 250 ms). */
  check(): Promise<void>;
  stop(): void;
}

interface Replica {
  description: string;
  driver: Driver;
  db: Kysely<unknown>;
  health: ReplicaHealth;
  /** The primary's time up to which this replica has applied everything. */
  freshUntil: number;
  reads: number;
}

const MONITOR_INTERVAL_MS = 250;
const READ = /^\s*\(?\s*(select|with)\b/i;
const LOCKING_READ = /\bfor\s+update\b|\block\s+in\s+share\s+mode\b|\bfor\s+share\b/i;

export function isPlainRead(statement: string): boolean {
  return READ.test(statement) && !LOCKING_READ.test(statement);
}

/**
 * A Kysely dialect over a primary and its replicas (each a bounded pool), and the replica set that reports
 * their health. The monitor starts at once and stops with `replicaSet.stop()` (the handle's destroy calls it).
 */
export function replicatedMysqlDialect(
  primaryPool: BoundedPool,
  replicaPools: { pool: BoundedPool; description: string }[],
  options: { maxLagMs: number; onHealthChange?: (status: ReplicaStatus) => void },
): { dialect: Dialect; replicaSet: ReplicaSet } {
  const primaryDriver = new MysqlDialect({ pool: primaryPool }).createDriver();
  const primaryDb = new Kysely<unknown>({ dialect: new MysqlDialect({ pool: primaryPool }) });
  const replicas: Replica[] = replicaPools.map(({ pool, description }) => ({
    description,
    driver: new MysqlDialect({ pool }).createDriver(),
    db: new Kysely<unknown>({ dialect: new MysqlDialect({ pool }) }),
    health: 'starting',
    freshUntil: 0,
    reads: 0,
  }));
  let next = 0;

  function pickReplica(): Replica | null {
    const state = readStates.getStore();
    if (state?.primaryOnly) return null;
    const wroteAt = state?.wroteAt ?? 0;
    for (let tried = 0; tried < replicas.length; tried++) {
      const replica = replicas[next++ % replicas.length]!;
      if (replica.health === 'in rotation' && replica.freshUntil >= wroteAt) return replica;
    }
    return null;
  }

  function setHealth(replica: Replica, health: ReplicaHealth, now: number) {
    if (replica.health === health) return;
    replica.health = health;
    options.onHealthChange?.(statusOf(replica, now));
  }

  function statusOf(replica: Replica, now = Date.now()): ReplicaStatus {
    return {
      description: replica.description,
      health: replica.health,
      lagMs: replica.freshUntil ? Math.max(0, now - replica.freshUntil) : null,
      reads: replica.reads,
    };
  }

  // ---- The monitor ------------------------------------------------------------------------------------------

  let flavour: 'mariadb' | 'mysql' | null = null;
  let previous: { position: string; at: number } | null = null;
  async function check(): Promise<void> {
    const at = Date.now();
    let position: string;
    try {
      flavour ??= String(
        (await sql<{ v: string }>`select version() as v`.execute(primaryDb)).rows[0]?.v ?? '',
      ).includes('MariaDB')
        ? 'mariadb'
        : 'mysql';
      const read =
        flavour === 'mariadb'
          ? sql<{ p: string }>`select @@gtid_binlog_pos as p`
          : sql<{ p: string }>`select @@gtid_executed as p`;
      position = String((await read.execute(primaryDb)).rows[0]?.p ?? '');
    } catch {
      return; // The primary away: nothing to compare with; the replicas keep their state.
    }
    const sample = previous;
    previous = { position, at };
    await Promise.all(
      replicas.map(async (replica) => {
        try {
          if (!sample || sample.position === '') {
            // Nothing written yet: a replica that answers is as fresh as the primary.
            await sql`select 1`.execute(replica.db);
            replica.freshUntil = at;
          } else {
            const reached =
              flavour === 'mariadb'
                ? sql<{ w: number }>`select master_gtid_wait(${sample.position}, 0) as w`
                : sql<{ w: number }>`select wait_for_executed_gtid_set(${sample.position}, 0) as w`;
            if (Number((await reached.execute(replica.db)).rows[0]?.w) === 0) {
              replica.freshUntil = Math.max(replica.freshUntil, sample.at);
            }
          }
          setHealth(replica, at - replica.freshUntil <= options.maxLagMs ? 'in rotation' : 'lagging', at);
        } catch {
          setHealth(replica, 'unreachable', at);
        }
      }),
    );
  }
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    void check().finally(() => (checking = false));
  }, MONITOR_INTERVAL_MS);
  timer.unref();

  // ---- Routing ----------------------------------------------------------------------------------------------

  class RoutingConnection implements DatabaseConnection {
    inTransaction = false;
    private primary: DatabaseConnection | null = null;
    private readonly leased: { driver: Driver; connection: DatabaseConnection }[] = [];

    async onPrimary(): Promise<DatabaseConnection> {
      if (!this.primary) {
        this.primary = await primaryDriver.acquireConnection();
        this.leased.push({ driver: primaryDriver, connection: this.primary });
      }
      return this.primary;
    }

    async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
      const read = isPlainRead(compiledQuery.sql);
      if (read && !this.inTransaction) {
        const replica = pickReplica();
        if (replica) {
          try {
            const connection = await replica.driver.acquireConnection();
            try {
              const result = await connection.executeQuery<R>(compiledQuery);
              replica.reads += 1;
              return result;
            } finally {
              await replica.driver.releaseConnection(connection);
            }
          } catch (error) {
            // A replica that cannot serve leaves the rotation at once; the read goes to the primary instead.
            if (!(error instanceof DatabaseUnavailableError)) throw error;
            setHealth(replica, 'unreachable', Date.now());
          }
        }
        return (await this.onPrimary()).executeQuery<R>(compiledQuery);
      }
      const result = await (await this.onPrimary()).executeQuery<R>(compiledQuery);
      if (!read) {
        const state = readStates.getStore();
        if (state) state.wroteNow = Date.now();
      }
      return result;
    }

    async *streamQuery<R>(compiledQuery: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
      // Streams (exports) read from the primary: long reads should not fall behind a replica's lag.
      yield* (await this.onPrimary()).streamQuery<R>(compiledQuery, chunkSize);
    }

    async release(): Promise<void> {
      for (const { driver, connection } of this.leased.splice(0)) await driver.releaseConnection(connection);
      this.primary = null;
      this.inTransaction = false;
    }
  }

  const routing = (connection: DatabaseConnection) => connection as RoutingConnection;
  const driver: Driver = {
    init: async () => {
      await primaryDriver.init();
      for (const replica of replicas) await replica.driver.init();
    },
    acquireConnection: async () => new RoutingConnection(),
    async beginTransaction(connection, settings: TransactionSettings) {
      routing(connection).inTransaction = true;
      await primaryDriver.beginTransaction(await routing(connection).onPrimary(), settings);
    },
    commitTransaction: async (connection) => primaryDriver.commitTransaction(await routing(connection).onPrimary()),
    rollbackTransaction: async (connection) => primaryDriver.rollbackTransaction(await routing(connection).onPrimary()),
    savepoint: async (connection, name, compile) =>
      primaryDriver.savepoint!(await routing(connection).onPrimary(), name, compile),
    rollbackToSavepoint: async (connection, name, compile) =>
      primaryDriver.rollbackToSavepoint!(await routing(connection).onPrimary(), name, compile),
    releaseSavepoint: async (connection, name, compile) =>
      primaryDriver.releaseSavepoint!(await routing(connection).onPrimary(), name, compile),
    releaseConnection: (connection) => routing(connection).release(),
    async destroy() {
      clearInterval(timer);
      // Each pool ends once, with its driver (the monitor's Kysely instances share the same pools).
      await primaryDriver.destroy();
      for (const replica of replicas) await replica.driver.destroy().catch(() => undefined);
    },
  };

  return {
    dialect: {
      createAdapter: () => new MysqlAdapter(),
      createDriver: () => driver,
      createQueryCompiler: () => new MysqlQueryCompiler(),
      createIntrospector: (db) => new MysqlIntrospector(db),
    },
    replicaSet: {
      statuses: () => replicas.map((replica) => statusOf(replica)),
      check,
      stop: () => clearInterval(timer),
    },
  };
}
