/**
 * Small measuring tools shared by the benchmarks: latency percentiles, peak memory, a raw MySQL connection, and
 * servers in processes of their own.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseDatabaseUrl } from '@pastoral/db';
import { type Connection, createConnection } from 'mysql2';
import type { Dispatcher } from 'undici';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';

export interface LatencySummary {
  samples: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles of latencies in milliseconds. */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const at = (fraction: number) => sorted[Math.max(0, Math.ceil(fraction * sorted.length) - 1)] ?? 0;
  return { samples: sorted.length, p50: at(0.5), p95: at(0.95), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

/**
 * Calls `operation` one at a time: `warmUp` untimed calls (connections opened, plans and pages cached), then
 * `runs` timed ones.
 */
export async function timeEach(
  operation: () => Promise<unknown>,
  { warmUp, runs }: { warmUp: number; runs: number },
): Promise<LatencySummary> {
  for (let i = 0; i < warmUp; i++) await operation();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await operation();
    latencies.push(performance.now() - started);
  }
  return summarize(latencies);
}

export interface Timed<T> {
  result: T;
  ms: number;
  /** The highest resident set size seen while the work ran, above what it was when the work started. */
  peakRssDeltaMiB: number;
}

const RSS_SAMPLE_INTERVAL_MS = 20;

/** Times `work` and samples this process's resident memory as it runs (a streaming job should stay flat). */
export async function timed<T>(work: () => Promise<T>): Promise<Timed<T>> {
  const rssBefore = process.memoryUsage.rss();
  let rssPeak = rssBefore;
  const sampler = setInterval(() => {
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
  }, RSS_SAMPLE_INTERVAL_MS);
  const started = performance.now();
  try {
    const result = await work();
    const ms = performance.now() - started;
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    return { result, ms, peakRssDeltaMiB: (rssPeak - rssBefore) / 2 ** 20 };
  } finally {
    clearInterval(sampler);
  }
}

/**
 * One connection of the bare driver, with the same type settings as `createDb` (timestamps as UTC strings,
 * big numbers as strings), so rows cost the same to decode: the baselines' side of a comparison.
 */
export function openRawConnection(url: string): Connection {
  return createConnection(rawConnectionOptions(url));
}

/** The bare driver's options for `url`, as `openRawConnection` and the ceiling's pool use them. */
export function rawConnectionOptions(url: string) {
  const target = parseDatabaseUrl(url);
  if (target.engine !== 'mysql') throw new Error('the raw baselines need a mysql:// URL');
  return {
    ...(target.socketPath ? { socketPath: target.socketPath } : { host: target.host, port: target.port }),
    user: target.user,
    password: target.password,
    database: target.database,
    timezone: 'Z',
    dateStrings: true,
    decimalNumbers: true,
    supportBigNumbers: true,
    charset: 'UTF8MB4_UNICODE_520_CI',
  };
}

const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** The CPU time (user and system) processes have used so far, in seconds, from /proc. */
export function cpuSecondsOf(pids: number[]): number {
  return (
    pids.reduce((sum, pid) => {
      try {
        // utime and stime: the 14th and 15th fields, counted after the command name's closing parenthesis.
        const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        return sum + Number(fields[11]) + Number(fields[12]);
      } catch {
        return sum; // The process ended between listing and reading.
      }
    }, 0) / CLOCK_TICKS_PER_SECOND
  );
}

/** What a result was measured on: committed results say it, and the README's figures repeat it. */
export function describeMachine(databaseVersion: string) {
  return {
    date: new Date().toISOString(),
    // The machine's, not this process's affinity: the load generator runs pinned to one core.
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    database: databaseVersion,
  };
}

export type Machine = ReturnType<typeof describeMachine>;

/**
 * Rate limits (rate-limit.ts) of the benchmarks' API servers: a benchmark sends thousands of requests a minute as
 * one session, which the defaults would refuse. Each request is still counted, so its cost is in every figure.
 */
export const BENCH_RATE_LIMITS = {
  RATE_LIMIT_STAFF: '100000000',
  RATE_LIMIT_TOKEN: '100000000',
  RATE_LIMIT_ANONYMOUS: '100000000',
};

/** The seeded staff's password. */
export const SEED_PASSWORD = 'pastoral-demo';

/** Signs in through the API's GraphQL endpoint and returns the session cookie to send back. */
export async function signIn(endpoint: string, email: string): Promise<string> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      query: 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
      variables: { input: { email, password: SEED_PASSWORD } },
    }),
  });
  const cookie = response.headers.getSetCookie()[0]?.split(';')[0];
  if (!cookie) throw new Error(`sign-in as ${email} failed: ${await response.text()}`);
  return cookie;
}

/** Streams a query's rows from the server one at a time and drops them: reading without any work per row. */
export async function streamAndDiscard(
  connection: Connection,
  statement: string,
  values: unknown[] = [],
): Promise<number> {
  let rows = 0;
  for await (const _row of connection.query(statement, values).stream()) rows++;
  return rows;
}

/** A server in a process of its own, so that the client's work never shares its event loop. */
export interface Child {
  url: string;
  process: ChildProcess;
}

/**
 * Starts a TypeScript entry point (a path from bench/) under tsx, with `env` over this process's environment and
 * the benchmarks' rate limits, and waits for its `listening <port>` line.
 */
export async function startChild(entry: string, args: string[], env: Record<string, string>): Promise<Child> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(entry, import.meta.url)), ...args], {
    env: { ...process.env, ...BENCH_RATE_LIMITS, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${entry} exited with ${code} before listening`)));
  });
  return { url: `http://127.0.0.1:${port}`, process: child };
}

export async function stopChild(child: Child): Promise<void> {
  if (child.process.exitCode !== null) return;
  const exited = new Promise((resolve) => child.process.once('exit', resolve));
  child.process.kill('SIGTERM');
  await exited;
}

/** What postGraphql answers: the status, the headers and the body as text, decompressed. */
export interface GraphqlAnswer {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  text: string;
}

/**
 * A GraphQL request as the web app sends it, with undici's request(), not fetch(): a generator shares the machine
 * with what it measures, and fetch's WHATWG layers cost it about twice the CPU per request. The body comes back
 * decompressed as its content-encoding says (request() leaves that to its caller).
 */
export async function postGraphql(
  dispatcher: Dispatcher,
  origin: string,
  request: { query: string; variables: object; headers?: Record<string, string> },
): Promise<GraphqlAnswer> {
  const response = await dispatcher.request({
    origin,
    path: '/graphql',
    method: 'POST',
    headers: { 'content-type': 'application/json', ...request.headers },
    body: JSON.stringify({ query: request.query, variables: request.variables }),
  });
  const raw = Buffer.from(await response.body.arrayBuffer());
  const encoding = response.headers['content-encoding'];
  const body = encoding === 'br' ? brotliDecompressSync(raw) : encoding === 'gzip' ? gunzipSync(raw) : raw;
  return { status: response.statusCode, headers: response.headers, text: body.toString('utf8') };
}

/** POSTs a GraphQL request with fetch; throws on an HTTP error or a GraphQL error, with the answer's start. */
export async function postOrThrow(url: string, body: unknown, headers: Record<string, string> = {}): Promise<unknown> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text.slice(0, 300)}`);
  const parsed = JSON.parse(text) as { errors?: { message: string }[] };
  if (parsed.errors) throw new Error(`${url}: ${parsed.errors.map((error) => error.message).join('; ')}`);
  return parsed;
}
