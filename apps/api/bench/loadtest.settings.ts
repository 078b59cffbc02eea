/** The load test's settings: its command-line options, the machine's cores, and the database it loads. */
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { parseDatabaseUrl, withDatabase } from '@pastoral/db';

export const { values: options } = parseArgs({
  // pnpm may pass a lone "--" ahead of the options.
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    users: { type: 'string', default: '5000' },
    think: { type: 'string', default: '10' },
    ramp: { type: 'string', default: '120' },
    settle: { type: 'string', default: '30' },
    duration: { type: 'string', default: '120' },
    'find-max': { type: 'boolean', default: false },
    step: { type: 'string', default: '30' },
    workers: { type: 'string' },
    // What a browser sends (Chromium sends "gzip, deflate, br, zstd"; the API answers br or gzip): answers over
    // 1 KiB are compressed, as they are for staff. An empty value asks for plain answers.
    'accept-encoding': { type: 'string', default: 'br, gzip' },
  },
});
export const USERS = positive(options.users, 'users');
export const THINK_S = positive(options.think, 'think');
export const RAMP_S = positive(options.ramp, 'ramp');
export const SETTLE_S = nonNegative(options.settle, 'settle');
export const DURATION_S = positive(options.duration, 'duration');
export const STEP_S = positive(options.step, 'step');
export const ACCEPT_ENCODING = options['accept-encoding'].trim();
/** The target of the find-max mode, and of issue #7 at 5,000 users. */
export const P99_LIMIT_MS = 250;
/** Requests per second offered by --find-max's first step, and added at each next one. */
export const FIND_MAX_START_RATE = 100;
export const FIND_MAX_STEP_RATE = 50;
/** Every core of the machine (not this process's affinity: the generator runs pinned to one of them). */
export const CORES = cpus().length;
export const GENERATOR_CORE = CORES - 1;

function nonNegative(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) throw new Error(`--${name} takes a number, 0 or more; got "${value}"`);
  return number;
}

function positive(value: string | undefined, name: string): number {
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0) throw new Error(`--${name} takes a positive number; got "${value}"`);
  return number;
}

/** The same server over TCP, for the round-trip comparison. */
export const TCP_SERVER_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
export const ROUND_TRIPS = 5_000;
/** MariaDB's socket on Debian: on one machine the API talks to it as a one-server deployment should. */
export const LOCAL_SOCKET = '/run/mysqld/mysqld.sock';
export const serverUrl =
  process.env.BENCH_MYSQL_URL ??
  (existsSync(LOCAL_SOCKET)
    ? `mysql://root@localhost/test?socket=${LOCAL_SOCKET}`
    : 'mysql://root@127.0.0.1:3306/test');
export const databaseUrl = withDatabase(serverUrl, 'pastoral_bench');
export const transport = parseDatabaseUrl(databaseUrl);
export const transportName =
  transport.engine === 'mysql' && transport.socketPath ? `its Unix socket (${transport.socketPath})` : 'TCP';
export const resultsDir = new URL('../../../bench/', import.meta.url);
