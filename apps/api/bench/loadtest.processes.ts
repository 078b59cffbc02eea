/**
 * The processes a load test runs and watches: the API (`pastoral serve`) started and stopped, the CPU and memory
 * of it and of MariaDB, and the database's connections, sampled each second.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { RowDataPacket } from 'mysql2';
import { fetch } from 'undici';
import { freePort } from '../src/testing/free-port.ts';
import { cpuSecondsOf, type openRawConnection } from './measure.ts';
import { CORES, databaseUrl } from './loadtest.settings.ts';

export interface CpuByProcess {
  api: number;
  database: number | null;
  generator: number;
  /**
   * Every other process of the machine. A run is quiet when they used almost nothing: only a quiet run's
   * results are committed (see QUIET_SHARE).
   */
  others: number;
}

/**
 * The share of the machine's CPU other processes may use for a run to count as quiet: 5%. An idle machine is not
 * at 0: on the project's 2-core machine its kernel threads and daemons use about 2.5% (measured 2026-12-07).
 */
export const QUIET_SHARE = 0.05;

export function cpuSeconds(apiPid: number): CpuByProcess {
  const database = pidsNamed('mariadbd').concat(pidsNamed('mysqld'));
  const own = process.cpuUsage();
  const api = [apiPid, ...childrenOf(apiPid)];
  // Every other process's own CPU, kernel threads included. Not the machine's total less the three: that
  // counts the loopback network's softirq time, which the run itself causes, as somebody else's.
  const ours = new Set([...api, ...database, process.pid, process.ppid]);
  const others = readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && !ours.has(Number(name)))
    .map(Number);
  return {
    api: cpuSecondsOf(api),
    database: database.length === 0 ? null : cpuSecondsOf(database),
    generator: (own.user + own.system) / 1e6,
    others: cpuSecondsOf(others),
  };
}

export function cpuMsPerRequest(before: CpuByProcess, after: CpuByProcess, requests: number): CpuByProcess {
  const perRequest = (from: number, to: number) => ((to - from) * 1000) / Math.max(1, requests);
  return {
    api: perRequest(before.api, after.api),
    database: before.database === null || after.database === null ? null : perRequest(before.database, after.database),
    generator: perRequest(before.generator, after.generator),
    others: perRequest(before.others, after.others),
  };
}

/** The share of the machine's CPU (all cores) other processes used between two readings `seconds` apart. */
export function othersShare(before: CpuByProcess, after: CpuByProcess, seconds: number): number {
  return Math.max(0, after.others - before.others) / (seconds * CORES);
}

export interface Peaks {
  connections: number;
  rssMiB: number;
}

/** Samples MariaDB's connections and the API processes' memory each second. */
export function startMonitor(raw: ReturnType<typeof openRawConnection>, apiPid: number) {
  const peaks: Peaks = { connections: 0, rssMiB: 0 };
  const timer = setInterval(() => {
    raw
      .promise()
      .query<RowDataPacket[]>("show global status like 'Threads_connected'")
      .then(([rows]) => {
        peaks.connections = Math.max(peaks.connections, Number(rows[0]?.Value ?? 0) - 1);
      })
      .catch(() => {});
    peaks.rssMiB = Math.max(peaks.rssMiB, residentMiB([apiPid, ...childrenOf(apiPid)]));
  }, 1_000);
  return { peaks: () => ({ ...peaks }), stop: () => clearInterval(timer) };
}

export const childrenOf = (pid: number) => pgrep(['-P', String(pid)]);
export const pidsNamed = (name: string) => pgrep(['-x', name]);

/** The pids pgrep finds; none when it finds none (it then exits 1). */
export function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function residentMiB(pids: number[]): number {
  let kib = 0;
  for (const pid of pids) {
    try {
      const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kib += Number(match?.[1] ?? 0);
    } catch {
      // The process ended between listing and reading.
    }
  }
  return kib / 1024;
}

/** A statement the API logged as slow (over SLOW_QUERY_MS), when its line arrived (performance.now()). */
export interface SlowStatement {
  at: number;
  durationMs: number;
  sql: string;
}

export interface RunningApi {
  url: string;
  process: ChildProcess;
  /** Every slow statement the API has logged so far. */
  slowStatements: SlowStatement[];
}

/**
 * Reads the API's log lines (pino's JSON, one a line): slow statements are kept for the report, every line is
 * passed on to `onOutputLine`, or else to this process's output as it was.
 */
function watchLog(
  child: ChildProcess,
  slowStatements: SlowStatement[],
  onOutputLine: (line: string) => void = (line) => void process.stdout.write(`${line}\n`),
): void {
  createInterface({ input: child.stdout! }).on('line', (line) => {
    onOutputLine(line);
    if (!line.includes('"slow query"')) return;
    try {
      const entry = JSON.parse(line) as { msg?: string; sql?: string; durationMs?: number };
      if (entry.msg === 'slow query') {
        slowStatements.push({ at: performance.now(), durationMs: entry.durationMs ?? 0, sql: entry.sql ?? '' });
      }
    } catch {
      // Not a JSON line: passed on above, nothing to count.
    }
  });
}

/** Where the API serves from and what it is told beyond the load test's own settings. */
export interface ApiOptions {
  databaseUrl?: string;
  env?: Record<string, string>;
  /** The built API (dist/cli.js) instead of the source under tsx: it starts in seconds on a busy machine. */
  cli?: string;
  /** Each line the API writes to stdout (its log), instead of passing it through. */
  onOutputLine?: (line: string) => void;
}

export async function startApi(workers: string, options: ApiOptions = {}): Promise<RunningApi> {
  const port = await freePort();
  const cli = options.cli ?? fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  const loader = options.cli ? [] : ['--import', 'tsx'];
  // The API is not pinned: it, MariaDB and the generator share the cores as they would on one server.
  const child = spawn(
    'taskset',
    ['-c', `0-${CORES - 1}`, process.execPath, ...apiNodeFlags(), ...loader, cli, 'serve'],
    {
      env: {
        ...process.env,
        LOADTEST_PINNED: '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: options.databaseUrl ?? databaseUrl,
        PORT: String(port),
        WEB_CONCURRENCY: workers,
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const slowStatements: SlowStatement[] = [];
  watchLog(child, slowStatements, options.onOutputLine);
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; ; attempt++) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (attempt > 300) throw new Error('the API did not start within 30 s');
    await sleep(100);
  }
  // Every worker listens before the load starts.
  await sleep(2_000);
  return { url, process: child, slowStatements };
}

/** Extra Node flags for the API (such as --cpu-prof to profile it under load), from LOADTEST_API_NODE_FLAGS. */
export function apiNodeFlags(): string[] {
  return (process.env.LOADTEST_API_NODE_FLAGS ?? '').split(' ').filter(Boolean);
}

export async function stopApi(api: { process: ChildProcess }): Promise<void> {
  // taskset execs node: the pid is the API's primary.
  const exited = new Promise((resolve) => api.process.once('exit', resolve));
  api.process.kill('SIGTERM');
  await exited;
}

/**
 * Sleeps that can be cut short all at once. Not an AbortSignal: with 5,000 users listening, adding and removing
 * each sleep's listener walked the signal's whole list of listeners, twice per request, in the generator that
 * shares the machine with what it measures.
 */
export class Alarm {
  readonly #sleepers = new Set<() => void>();

  /** Resolves true after `ms`, or false as soon as the alarm rings. */
  sleep(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(
        () => {
          this.#sleepers.delete(wake);
          resolve(true);
        },
        Math.max(0, ms),
      );
      this.#sleepers.add(wake);
    });
  }

  ring(): void {
    const sleepers = [...this.#sleepers];
    this.#sleepers.clear();
    for (const wake of sleepers) wake();
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
