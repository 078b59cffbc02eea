/**
 * A bounded MySQL connection pool. mysql2's own pool has no acquire timeout and an unbounded wait queue: under
 * overload requests pile up, keep their memory alive and time out at the client instead of failing fast. This
 * wraps it with what a server needs:
 * - `size` connections kept open, up to `overflow` more opened in a burst and closed again when idle;
 * - at most `maxWaiting` requests waiting for a connection; the next one fails at once;
 * - a waiter gives up after `acquireTimeoutMs`;
 * - a connection idle for longer than `pingAfterIdleMs` is pinged before reuse, and replaced if it is dead;
 * - a statement may be given a time limit at the client (`queryTimeoutMs`), past which the link is presumed
 *   dead and the connection dropped: a stalled network answers nothing, and the server's own statement
 *   timeout cannot stop a statement it never received.
 * Every failure to get a connection, and every statement lost with its connection, is a
 * DatabaseUnavailableError, which the API answers with 503.
 */
import { createPool, type Pool, type PoolConnection, type PoolOptions } from 'mysql2';

export interface PoolLimits {
  size: number;
  overflow: number;
  maxWaiting: number;
  acquireTimeoutMs: number;
  pingAfterIdleMs: number;
}

export const DEFAULT_POOL_LIMITS: PoolLimits = {
  size: 10,
  overflow: 0,
  maxWaiting: 200,
  acquireTimeoutMs: 2_000,
  pingAfterIdleMs: 30_000,
};

/** The database cannot serve this request now; the caller should retry shortly. */
export class DatabaseUnavailableError extends Error {
  override name = 'DatabaseUnavailableError';
  constructor(
    message: string,
    readonly retryAfterSeconds = 2,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface PoolStats {
  /** Connections open now (busy or idle). */
  open: number;
  /** Connections lent to callers now. */
  inUse: number;
  /** Requests waiting for a connection. */
  waiting: number;
  limits: PoolLimits;
}

/** What Kysely's MysqlDialect needs of a pool. */
export interface BoundedPool {
  getConnection(callback: (error: unknown, connection: PoolConnection) => void): void;
  end(callback: (error: unknown) => void): void;
  stats(): PoolStats;
}

const CONNECTION_LOST = new Set([
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST',
]);

export interface BoundedPoolHooks {
  /** Runs once on each new connection (session settings). */
  onConnection?: (connection: PoolConnection) => void;
  /**
   * How long the statement about to be sent may take before its connection is given up for dead, read as it is
   * sent (a request's time left); undefined for no limit.
   */
  queryTimeoutMs?: () => number | undefined;
}

type QueryCallback = (error: unknown, ...results: unknown[]) => void;

export function createBoundedPool(
  options: PoolOptions,
  limits: PoolLimits = DEFAULT_POOL_LIMITS,
  { onConnection, queryTimeoutMs }: BoundedPoolHooks = {},
): BoundedPool {
  const pool: Pool = createPool({
    ...options,
    connectionLimit: limits.size + limits.overflow,
    // Connections above `size` close after a minute idle: the overflow of SQLAlchemy's pool.
    maxIdle: limits.size,
    idleTimeout: 60_000,
    // We bound the queue ourselves, with a timeout mysql2 lacks.
    queueLimit: 0,
    waitForConnections: true,
  });
  pool.on('connection', (connection) => {
    // A connection the server closes while it sits idle (a restart, wait_timeout) reports an error with no
    // query to receive it; mysql2 drops it from the pool, and the next ping-before-reuse replaces it.
    connection.on('error', () => undefined);
    onConnection?.(connection);
  });
  /** Acquisitions in progress, and connections handed out and not yet released. */
  let pending = 0;
  let leased = 0;
  const lastReleased = new WeakMap<PoolConnection, number>();
  /** mysql2's own release of each connection, before ours wraps it to count leases. */
  const rawRelease = new WeakMap<PoolConnection, () => void>();

  function track(connection: PoolConnection): PoolConnection {
    if (!rawRelease.has(connection)) {
      // Kysely sends every statement as query(sql, parameters, callback); a stream (no callback) passes as is.
      const rawQuery = connection.query.bind(connection) as (...args: unknown[]) => unknown;
      (connection as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const [statement, parameters, callback] = args;
        if (typeof statement !== 'string' || typeof callback !== 'function') return rawQuery(...args);
        const timeout = queryTimeoutMs?.();
        return rawQuery(
          { sql: statement, values: parameters, ...(timeout === undefined ? {} : { timeout: Math.max(1, timeout) }) },
          (error: unknown, ...results: unknown[]) => {
            const lost = error ? lostWithConnection(error) : null;
            // mysql2 answers a timed-out statement but keeps its connection, whose next statement would queue
            // behind the unanswered one: a connection that stopped answering is never lent again.
            if (lost instanceof DatabaseUnavailableError) connection.destroy();
            (callback as QueryCallback)(lost ?? error, ...results);
          },
        );
      };
      const release = connection.release.bind(connection);
      rawRelease.set(connection, release);
      connection.release = () => {
        leased--;
        lastReleased.set(connection, Date.now());
        release();
      };
    }
    return connection;
  }

  /** A statement that failed because its connection did: unavailable, like a connection that never came. */
  function lostWithConnection(error: unknown): unknown {
    const code = (error as { code?: string }).code ?? '';
    if (!CONNECTION_LOST.has(code)) return error;
    const reason =
      code === 'PROTOCOL_SEQUENCE_TIMEOUT'
        ? 'the database did not answer in time'
        : `the connection to the database was lost (${code})`;
    return new DatabaseUnavailableError(`The statement failed: ${reason}.`, 5, { cause: error });
  }

  function unavailable(error: unknown): DatabaseUnavailableError {
    if (error instanceof DatabaseUnavailableError) return error;
    const code = (error as { code?: string }).code ?? '';
    const reason = CONNECTION_LOST.has(code)
      ? `the database is unreachable (${code})`
      : `the database refused a connection (${code || String(error)})`;
    return new DatabaseUnavailableError(`No database connection: ${reason}.`, 5, { cause: error });
  }

  function acquire(callback: (error: unknown, connection: PoolConnection) => void, retried: boolean): void {
    // Requests beyond the cap wait in the queue; those below it are only waiting for a connection to open.
    const capacity = limits.size + limits.overflow;
    const mustWait = pending + leased >= capacity;
    if (mustWait && pending + leased - capacity >= limits.maxWaiting) {
      callback(
        new DatabaseUnavailableError(
          `All ${limits.size + limits.overflow} database connections are busy and ${limits.maxWaiting} requests are already waiting.`,
        ),
        undefined as never,
      );
      return;
    }
    pending++;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      pending--;
      callback(
        new DatabaseUnavailableError(`No database connection became free within ${limits.acquireTimeoutMs} ms.`),
        undefined as never,
      );
    }, limits.acquireTimeoutMs);

    pool.getConnection((error, connection) => {
      if (settled) {
        // It came after the waiter gave up: straight back to the pool (it was never leased).
        if (connection) (rawRelease.get(connection) ?? connection.release.bind(connection))();
        return;
      }
      settled = true;
      clearTimeout(timer);
      pending--;
      if (error) {
        callback(unavailable(error), undefined as never);
        return;
      }
      track(connection);
      leased++;
      const idleSince = lastReleased.get(connection);
      if (idleSince === undefined || Date.now() - idleSince < limits.pingAfterIdleMs) {
        callback(null, connection);
        return;
      }
      connection.ping((pingError) => {
        if (!pingError) {
          callback(null, connection);
          return;
        }
        // Dead while idle (a restart, a proxy's idle cut): drop it and take another, once.
        leased--;
        connection.destroy();
        if (retried) callback(unavailable(pingError), undefined as never);
        else acquire(callback, true);
      });
    });
  }

  return {
    getConnection: (callback) => acquire(callback, false),
    end: (callback) => pool.end((error) => callback(error ?? null)),
    stats: () => {
      const internals = pool as unknown as { _allConnections?: { length: number } };
      const open = internals._allConnections?.length ?? 0;
      return { open, inUse: leased, waiting: Math.max(0, pending + leased - (limits.size + limits.overflow)), limits };
    },
  };
}
