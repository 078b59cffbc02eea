/**
 * Serving with several worker processes on one port (WEB_CONCURRENCY, one per core by default): the primary
 * forks the workers, replaces one that dies, relays what they must agree on, and stops them all on SIGTERM.
 *
 * - The database's connection cap holds across all of them: each worker gets its share of DB_POOL_SIZE,
 *   DB_POOL_OVERFLOW and DB_POOL_MAX_WAITING, so the total never exceeds what one process was allowed.
 * - A worker that forgets dashboards (a write changed a school) or a session (a sign-out) has every other worker
 *   forget them too before its response leaves, through the primary, so no worker serves figures from before
 *   the change or a session that ended. (With REDIS_URL both live in Redis and this relay has nothing to do.)
 * - /metrics adds up every worker's metrics (prom-client's AggregatorRegistry in the primary).
 *
 * SQLite is one file with one writer: it is served by a single process.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { parseDatabaseUrl } from '@pastoral/db';
import { AggregatorRegistry } from 'prom-client';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import type { CachePeers } from './modules/dashboard/dashboard.cache.ts';
import { type Metrics, metricsListener } from './server/metrics.ts';

/** How long the primary waits for its workers to finish their requests after SIGTERM. */
export const SHUTDOWN_GRACE_MS = 10_000;
/** A worker that must be replaced is restarted after this long, doubling while they keep dying young. */
const RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that lived this long is not dying young. */
const HEALTHY_LIFETIME_MS = 30_000;
/** How long a worker's question to the primary (relay an invalidation, gather metrics) may take. */
const RELAY_TIMEOUT_MS = 2_000;

/**
 * V8's semi-space (half the young generation) for the workers, in MiB. A request's objects die young, but with
 * the default size the scavenger runs so often under load that objects of requests still in flight survive it
 * and are promoted, to be collected later at the old generation's cost. Under the load test's mix at 200
 * requests/s, 64 MiB took the API's CPU per request from 3.02 to 2.70 ms and p99 from 90 to 53 ms, for about
 * 150 MiB more memory per worker.
 */
export const WORKER_SEMI_SPACE_MIB = 64;

/** The workers' Node flags: the primary's own, with the semi-space above unless the operator set one. */
export function workerExecArgv(execArgv: string[], nodeOptions = ''): string[] {
  const chosen = [...execArgv, ...nodeOptions.split(/\s+/)].some((flag) => flag.startsWith('--max-semi-space-size'));
  return chosen ? execArgv : [...execArgv, `--max-semi-space-size=${WORKER_SEMI_SPACE_MIB}`];
}

export interface WorkerPlan {
  workers: number;
  /** Each worker's share of the pool settings. */
  pool: { size: number; overflow: number; maxWaiting: number };
}

/**
 * How many workers, and each one's share of the connection cap. Every worker needs a connection of its own, so
 * there are never more workers than DB_POOL_SIZE: more would open more connections than one process may.
 */
export function planWorkers(config: Config, cores = availableParallelism()): WorkerPlan {
  const { url, poolSize, poolOverflow, poolMaxWaiting } = config.database;
  const sqlite = parseDatabaseUrl(url).engine === 'sqlite';
  const workers = sqlite ? 1 : Math.min(config.webConcurrency ?? cores, poolSize);
  return {
    workers,
    pool: {
      size: Math.floor(poolSize / workers),
      overflow: Math.floor(poolOverflow / workers),
      maxWaiting: Math.ceil(poolMaxWaiting / workers),
    },
  };
}

/** What the workers' in-process caches tell each other through the primary: dashboards, sessions. */
export type CacheChannel = 'dashboard' | 'sessions';

type Message =
  | { type: 'pastoral:cache-invalidate'; id: number; channel: CacheChannel; scopes: string[] }
  | { type: 'pastoral:cache-apply'; id: number; channel: CacheChannel; scopes: string[] }
  | { type: 'pastoral:cache-applied'; id: number }
  | { type: 'pastoral:cache-invalidated'; id: number }
  | { type: 'pastoral:metrics-request'; id: number }
  | { type: 'pastoral:metrics-response'; id: number; text: string | null };

const isMessage = (value: unknown): value is Message =>
  typeof value === 'object' && value !== null && String((value as { type?: unknown }).type).startsWith('pastoral:');

/**
 * Runs the primary: forks the workers and keeps them running until SIGTERM or SIGINT. Resolves once every
 * worker listens.
 */
export async function runPrimary({
  config,
  logger,
  plan,
}: {
  config: Config;
  logger: Logger;
  plan: WorkerPlan;
}): Promise<void> {
  const aggregator = new AggregatorRegistry();
  const workerEnv = {
    DB_POOL_SIZE: String(plan.pool.size),
    DB_POOL_OVERFLOW: String(plan.pool.overflow),
    DB_POOL_MAX_WAITING: String(plan.pool.maxWaiting),
    // The primary alone serves METRICS_PORT, with every worker's figures added up. (Every worker schedules the
    // audit archival; its lease lets one of them run it.)
    METRICS_PORT: '',
  };
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS) });
  let stopping = false;
  let recentDeaths = 0;
  const startedAt = new Map<Worker, number>();

  const fork = () => {
    const worker = cluster.fork(workerEnv);
    startedAt.set(worker, Date.now());
    worker.on('message', (message: unknown) => {
      if (isMessage(message)) void relay(worker, message);
    });
    return worker;
  };

  // Each worker numbers its own questions, so two workers' invalidations may share an id: what the primary asks
  // the others is numbered afresh here, or one worker's answer could stand for another's question.
  let relayed = 0;
  async function relay(from: Worker, message: Message): Promise<void> {
    if (message.type === 'pastoral:cache-invalidate') {
      const others = Object.values(cluster.workers ?? {}).filter(
        (worker): worker is Worker => worker !== undefined && worker !== from && worker.isConnected(),
      );
      const id = relayed++;
      await Promise.all(
        others.map((worker) =>
          ask(worker, { type: 'pastoral:cache-apply', id, channel: message.channel, scopes: message.scopes }),
        ),
      );
      from.send({ type: 'pastoral:cache-invalidated', id: message.id } satisfies Message);
    } else if (message.type === 'pastoral:metrics-request') {
      const text = await aggregator.clusterMetrics().catch((error: unknown) => {
        logger.warn({ err: error }, "could not gather the workers' metrics");
        return null;
      });
      from.send({ type: 'pastoral:metrics-response', id: message.id, text } satisfies Message);
    }
  }

  cluster.on('exit', (worker, code, signal) => {
    const lived = Date.now() - (startedAt.get(worker) ?? 0);
    startedAt.delete(worker);
    if (stopping) return;
    recentDeaths = lived > HEALTHY_LIFETIME_MS ? 1 : recentDeaths + 1;
    const delay = Math.min(MAX_RESTART_DELAY_MS, RESTART_DELAY_MS * 2 ** (recentDeaths - 1));
    logger.error({ pid: worker.process.pid, code, signal, restartInMs: delay }, 'a worker died; starting another');
    setTimeout(() => {
      if (!stopping) fork();
    }, delay);
  });

  const listening = new Promise<void>((resolve) => {
    let count = 0;
    const onListening = () => {
      count += 1;
      if (count === plan.workers) {
        cluster.off('listening', onListening);
        resolve();
      }
    };
    cluster.on('listening', onListening);
  });
  for (let i = 0; i < plan.workers; i++) fork();

  let metricsServer: ReturnType<typeof metricsListener> | null = null;
  if (config.metrics.port !== undefined) {
    metricsServer = metricsListener(
      () => aggregator.clusterMetrics(),
      aggregator.contentType,
      (error) => logger.error({ err: error }, 'metrics could not be gathered'),
    );
    metricsServer.listen(config.metrics.port, config.metrics.host);
  }

  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, workers: Object.keys(cluster.workers ?? {}).length }, 'stopping the workers');
    metricsServer?.close();
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    const force = setTimeout(() => {
      for (const worker of workers) if (!worker.isDead()) worker.process.kill('SIGKILL');
    }, SHUTDOWN_GRACE_MS);
    let remaining = workers.length;
    if (remaining === 0) process.exit(0);
    for (const worker of workers) {
      worker.once('exit', () => {
        remaining -= 1;
        if (remaining === 0) {
          clearTimeout(force);
          process.exit(0);
        }
      });
      worker.process.kill('SIGTERM');
    }
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await listening;
}

/** Sends a question to a worker (or, from a worker, to the primary) and waits for its answer. */
function ask(target: Worker | NodeJS.Process, message: Message): Promise<Message | null> {
  return new Promise((resolve) => {
    const answers: Record<string, Message['type']> = {
      'pastoral:cache-apply': 'pastoral:cache-applied',
      'pastoral:cache-invalidate': 'pastoral:cache-invalidated',
      'pastoral:metrics-request': 'pastoral:metrics-response',
    };
    const expected = answers[message.type];
    const onMessage = (reply: unknown) => {
      if (isMessage(reply) && reply.type === expected && reply.id === message.id) finish(reply);
    };
    const timer = setTimeout(() => finish(null), RELAY_TIMEOUT_MS);
    function finish(reply: Message | null) {
      clearTimeout(timer);
      target.off('message', onMessage);
      resolve(reply);
    }
    target.on('message', onMessage);
    (target as { send(message: Message): boolean }).send(message);
  });
}

let nextId = 0;

/** In a worker: the dashboard cache's peers are the other workers, reached through the primary. */
export function workerCachePeers(channel: CacheChannel): CachePeers | undefined {
  if (!cluster.isWorker) return undefined;
  return {
    async publish(scopes) {
      await ask(process, { type: 'pastoral:cache-invalidate', id: nextId++, channel, scopes });
    },
    subscribe(apply) {
      process.on('message', (message: unknown) => {
        if (isMessage(message) && message.type === 'pastoral:cache-apply' && message.channel === channel) {
          apply(message.scopes);
          process.send!({ type: 'pastoral:cache-applied', id: message.id } satisfies Message);
        }
      });
    },
  };
}

/**
 * In a worker: its metrics answer the primary's gathering, and /metrics on the main port shows every worker's,
 * added up by the primary. Outside a cluster the metrics are returned as they are.
 */
export function workerMetrics(metrics: Metrics): Metrics {
  if (!cluster.isWorker) return metrics;
  AggregatorRegistry.setRegistries([metrics.registry]);
  new AggregatorRegistry();
  return {
    ...metrics,
    async render() {
      const reply = await ask(process, { type: 'pastoral:metrics-request', id: nextId++ });
      if (reply?.type !== 'pastoral:metrics-response' || reply.text === null) {
        throw new Error("the primary did not send the workers' metrics in time");
      }
      return reply.text;
    },
  };
}
