/**
 * `pnpm loadtest`: signed-in staff using the web app at once, in an open model, against the API as
 * `pastoral serve` runs it (WEB_CONCURRENCY workers) on the district seed in `pastoral_bench`.
 *
 * Each simulated user signs in once (spread over the ramp-up), then loops: a random think time (exponential,
 * mean THINK seconds), then one of the web app's own operations, picked from a realistic mix (dashboard, the
 * alert inbox, the case list, the roster, a student's page, and now and then a triage write). The generator
 * shares this machine's cores with the API and MariaDB: it pins itself to one core (taskset) and says so.
 *
 * Reports offered and achieved request rates, p50/p95/p99 overall and per operation, errors, the database's
 * peak connections (Threads_connected, sampled each second) and the API processes' peak resident memory.
 *
 * The measured window opens SETTLE seconds after the last sign-in: the sign-ins (argon2id, about 12 ms of CPU
 * each) and the users' first requests overlap at the end of the ramp-up, and the backlog they leave is the
 * ramp-up's, not the steady load's. The report shows the window by 15 s slices, so any left is seen.
 *
 *   pnpm loadtest [--users 5000] [--think 10] [--ramp 120] [--settle 30] [--duration 120]
 *   pnpm loadtest --find-max [--users 5000] [--step 30]   the highest rate with p99 under 250 ms
 *
 * Results go to bench/loadtest.md and bench/loadtest.json.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseDatabaseUrl, withDatabase } from '@pastoral/db';
import type { RowDataPacket } from 'mysql2';
import { Agent, fetch } from 'undici';
import { webOperation } from '../src/testing/web-operations.ts';
import { freePort } from '../src/testing/free-port.ts';
import { cpuSecondsOf, openRawConnection, SEED_PASSWORD, summarize, type LatencySummary } from './measure.ts';

const { values: options } = parseArgs({
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
  },
});
const USERS = positive(options.users, 'users');
const THINK_S = positive(options.think, 'think');
const RAMP_S = positive(options.ramp, 'ramp');
const SETTLE_S = nonNegative(options.settle, 'settle');
const DURATION_S = positive(options.duration, 'duration');
const STEP_S = positive(options.step, 'step');
/** The target of the find-max mode, and of issue #7 at 5,000 users. */
const P99_LIMIT_MS = 250;
/** Requests per second offered by --find-max's first step, and added at each next one. */
const FIND_MAX_START_RATE = 100;
const FIND_MAX_STEP_RATE = 50;
/** Every core of the machine (not this process's affinity: the generator runs pinned to one of them). */
const CORES = cpus().length;
const GENERATOR_CORE = CORES - 1;

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
const TCP_SERVER_URL = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const ROUND_TRIPS = 5_000;
/** MariaDB's socket on Debian: on one machine the API talks to it as a one-server deployment should. */
const LOCAL_SOCKET = '/run/mysqld/mysqld.sock';
const serverUrl =
  process.env.BENCH_MYSQL_URL ??
  (existsSync(LOCAL_SOCKET)
    ? `mysql://root@localhost/test?socket=${LOCAL_SOCKET}`
    : 'mysql://root@127.0.0.1:3306/test');
const databaseUrl = withDatabase(serverUrl, 'pastoral_bench');
const transport = parseDatabaseUrl(databaseUrl);
const transportName =
  transport.engine === 'mysql' && transport.socketPath ? `its Unix socket (${transport.socketPath})` : 'TCP';
const resultsDir = new URL('../../../bench/', import.meta.url);

interface Sample {
  operation: string;
  /** When it was sent, in ms since the run started. */
  at: number;
  ms: number;
  error: string | null;
}

interface VirtualUser {
  email: string;
  cookie: string;
  students: string[];
  newAlerts: string[];
  cases: { id: string; version: number }[];
}

/** The mix, in shares of requests: what staff do most is look, now and then they triage. */
const MIX: { operation: string; share: number }[] = [
  { operation: 'dashboard', share: 0.3 },
  { operation: 'alert inbox', share: 0.2 },
  { operation: 'case list', share: 0.15 },
  { operation: 'roster', share: 0.15 },
  { operation: "a student's page", share: 0.15 },
  { operation: 'triage write', share: 0.05 },
];

async function main() {
  const workers = options.workers ?? String(Math.max(1, CORES));
  const api = await startApi(workers);
  const dispatcher = new Agent({ connections: 256, keepAliveTimeout: 30_000 });
  const raw = openRawConnection(databaseUrl);
  roundTrip = await measureRoundTrips();
  try {
    const accounts = await staffAccounts(raw);
    const users: VirtualUser[] = [];
    const samples: Sample[] = [];
    const started = performance.now();
    const now = () => performance.now() - started;
    let stopAt = Number.POSITIVE_INFINITY;
    // Rung when the rate changes or the run stops: every user thinking then draws again (an exponential think
    // time is memoryless, so drawing anew is exactly as if the new rate had always held) or leaves.
    const alarm = new Alarm();
    const changeRate = (nextThinkS: number) => {
      thinkS = nextThinkS;
      alarm.ring();
    };
    const stop = () => {
      stopAt = now();
      alarm.ring();
    };
    // --find-max starts well below the nominal rate and climbs by FIND_MAX_STEP_RATE.
    let thinkS = options['find-max'] ? USERS / FIND_MAX_START_RATE : THINK_S;

    const monitor = startMonitor(raw, api.process.pid!);
    process.stderr.write(
      `loadtest: ${USERS} users signing in over ${RAMP_S} s, ${workers} API workers, generator on core ${GENERATOR_CORE}\n`,
    );

    // undici's request(), not fetch(): the generator shares the machine, and fetch's WHATWG layers cost it about
    // twice the CPU per request.
    const post = async (user: VirtualUser | null, query: string, variables: object) => {
      const response = await dispatcher.request({
        origin: api.url,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(user ? { cookie: user.cookie } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.body.json()) as { data?: any; errors?: { message: string }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
      if (response.statusCode !== 200 || body.errors) {
        throw new Error(`${response.statusCode} ${body.errors?.[0]?.message ?? ''}`.trim());
      }
      return { response, data: body.data };
    };

    const timed = async (operation: string, work: () => Promise<void>) => {
      const at = now();
      try {
        await work();
        samples.push({ operation, at, ms: now() - at, error: null });
      } catch (error) {
        samples.push({ operation, at, ms: now() - at, error: (error as Error).message.slice(0, 120) });
      }
    };

    const act = async (user: VirtualUser) => {
      let pick = Math.random();
      const choice = MIX.find((entry) => (pick -= entry.share) < 0)?.operation ?? 'dashboard';
      switch (choice) {
        case 'dashboard':
          return timed(choice, async () => void (await post(user, webOperation('DashboardPageQuery'), {})));
        case 'alert inbox':
          return timed(choice, async () => {
            const { data } = await post(user, webOperation('AlertsPageQuery'), { filter: { status: ['NEW'] } });
            user.newAlerts = data.alerts.edges.map((edge: { node: { id: string } }) => edge.node.id);
          });
        case 'case list':
          return timed(choice, async () => {
            const { data } = await post(user, webOperation('CasesPageQuery'), { filter: {} });
            user.cases = data.cases.edges.map((edge: { node: { id: string; version: number } }) => edge.node);
          });
        case 'roster':
          return timed(choice, async () => {
            const { data } = await post(user, webOperation('StudentsPageQuery'), {});
            user.students = data.students.edges.map((edge: { node: { id: string } }) => edge.node.id);
          });
        case "a student's page": {
          const id = user.students[Math.floor(Math.random() * user.students.length)];
          if (!id) return act(user);
          return timed(choice, async () => void (await post(user, webOperation('StudentPageQuery'), { id })));
        }
        default: {
          // Triage: acknowledge one of the new alerts seen in the inbox, or else note on a case.
          const alert = user.newAlerts.pop();
          if (alert) {
            return timed('triage write', async () => {
              await post(user, webOperation('AcknowledgeAlertsMutation'), { ids: [alert] });
            });
          }
          const item = user.cases[Math.floor(Math.random() * user.cases.length)];
          if (!item) return act(user);
          return timed('triage write', async () => {
            await post(user, webOperation('AddCaseNoteMutation'), {
              input: { caseId: item.id, body: 'Spoke with the student after registration.' },
            });
          });
        }
      }
    };

    const live = async (index: number) => {
      await sleep((index / USERS) * RAMP_S * 1000);
      const email = accounts[index % accounts.length]!;
      const signIn = await dispatcher.request({
        origin: api.url,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          query: 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
          variables: { input: { email, password: SEED_PASSWORD } },
        }),
      });
      await signIn.body.dump();
      const setCookie = signIn.headers['set-cookie'];
      const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
      if (!cookie) {
        samples.push({ operation: 'sign in', at: now(), ms: 0, error: `sign-in refused (${signIn.statusCode})` });
        return;
      }
      const user: VirtualUser = { email, cookie, students: [], newAlerts: [], cases: [] };
      users.push(user);
      while (now() < stopAt) {
        const slept = await alarm.sleep(-Math.log(1 - Math.random()) * thinkS * 1000);
        if (now() >= stopAt) break;
        if (slept) await act(user);
      }
    };

    const everyone = Array.from({ length: USERS }, (_, index) => live(index));
    await sleep((RAMP_S + SETTLE_S) * 1000);
    const measuredFrom = now();
    let result: object;
    let markdown: string[];
    if (!options['find-max']) {
      const end = measuredFrom + DURATION_S * 1000;
      stopAt = end;
      const cpuBefore = cpuSeconds(api.process.pid!);
      await sleep(DURATION_S * 1000);
      const cpuAfter = cpuSeconds(api.process.pid!);
      stop();
      const window = samples.filter((sample) => sample.at >= measuredFrom && sample.at < end);
      const peaks = monitor.peaks();
      const cpu = cpuMsPerRequest(cpuBefore, cpuAfter, window.length);
      result = {
        mode: 'fixed',
        users: USERS,
        thinkS: THINK_S,
        durationS: DURATION_S,
        ...describe(window, DURATION_S, USERS / THINK_S),
        peaks,
        cpuMsPerRequest: cpu,
      };
      const settling = samples.filter(
        (sample) => sample.at >= measuredFrom - SETTLE_S * 1000 && sample.at < measuredFrom,
      );
      markdown = fixedMarkdown(window, peaks, workers, cpu, measuredFrom, settling);
    } else {
      const steps: { offered: number; window: Sample[] }[] = [];
      for (let offered = FIND_MAX_START_RATE; ; offered += FIND_MAX_STEP_RATE) {
        if (offered !== FIND_MAX_START_RATE) changeRate(USERS / offered);
        const from = now();
        await sleep(STEP_S * 1000);
        const window = samples.filter((sample) => sample.at >= from + 2_000 && sample.at < now());
        steps.push({ offered, window });
        const summary = summarize(window.map((sample) => sample.ms));
        const errors = window.filter((sample) => sample.error).length;
        process.stderr.write(
          `offered ${offered.toFixed(0)}/s: achieved ${(window.length / (STEP_S - 2)).toFixed(0)}/s, p99 ${summary.p99.toFixed(0)} ms, ${errors} errors\n`,
        );
        if (summary.p99 > P99_LIMIT_MS || errors > window.length * 0.001) break;
      }
      stop();
      const peaks = monitor.peaks();
      result = {
        mode: 'find-max',
        users: USERS,
        stepS: STEP_S,
        steps: steps.map((step) => ({ offered: step.offered, ...describe(step.window, STEP_S - 2, step.offered) })),
        peaks,
      };
      markdown = findMaxMarkdown(steps, peaks, workers);
    }
    await Promise.all(everyone);
    monitor.stop();
    const name = options['find-max'] ? 'loadtest-max' : 'loadtest';
    writeFileSync(new URL(`${name}.md`, resultsDir), `${markdown.join('\n')}\n`);
    writeFileSync(new URL(`${name}.json`, resultsDir), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${markdown.join('\n')}\nwrote bench/${name}.md and bench/${name}.json\n`);
  } finally {
    raw.end();
    await dispatcher.close();
    await stopApi(api);
  }
}

function describe(window: Sample[], seconds: number, offered: number) {
  return {
    offeredPerSecond: offered,
    achievedPerSecond: window.length / seconds,
    latency: summarize(window.map((sample) => sample.ms)),
    errors: window.filter((sample) => sample.error).length,
    errorKinds: Object.entries(
      window.reduce<Record<string, number>>((kinds, sample) => {
        if (sample.error) kinds[sample.error] = (kinds[sample.error] ?? 0) + 1;
        return kinds;
      }, {}),
    ),
  };
}

const fmt = (ms: number) => ms.toFixed(1);

/** `select 1` on a bare connection over each transport, measured before the load: why the API uses the socket. */
let roundTrip = '';

async function measureRoundTrips(): Promise<string> {
  const time = async (url: string) => {
    const connection = openRawConnection(url).promise();
    try {
      for (let i = 0; i < 200; i++) await connection.query('select 1');
      const started = performance.now();
      for (let i = 0; i < ROUND_TRIPS; i++) await connection.query('select 1');
      return ((performance.now() - started) / ROUND_TRIPS) * 1000;
    } finally {
      await connection.end();
    }
  };
  const tcp = await time(withDatabase(TCP_SERVER_URL, 'pastoral_bench'));
  if (!existsSync(LOCAL_SOCKET))
    return `A database round trip (\`select 1\`, bare mysql2, mean of ${ROUND_TRIPS}): ${tcp.toFixed(0)} µs over TCP.`;
  const socket = await time(withDatabase(`mysql://root@localhost/test?socket=${LOCAL_SOCKET}`, 'pastoral_bench'));
  return `A database round trip (\`select 1\`, bare mysql2, mean of ${ROUND_TRIPS}, before the load): ${socket.toFixed(0)} µs through the Unix socket, ${tcp.toFixed(0)} µs over loopback TCP.`;
}

function heading(workers: string): string[] {
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${CORES} cores, on the district seed in MariaDB (\`pastoral_bench\`).`,
    `The API ran as \`pastoral serve\` with ${workers} workers (NODE_ENV=production), reaching MariaDB through ${transportName};`,
    `the load generator, pinned to core ${GENERATOR_CORE} with taskset, shared the machine with them and MariaDB.`,
    roundTrip,
    '',
  ];
}

/** Seconds a slice of the measured window's timeline spans. */
const TIMELINE_SLICE_S = 15;

function fixedMarkdown(
  window: Sample[],
  peaks: Peaks,
  workers: string,
  cpu: CpuByProcess,
  measuredFrom: number,
  settling: Sample[],
): string[] {
  const total = describe(window, DURATION_S, USERS / THINK_S);
  const settled = summarize(settling.map((sample) => sample.ms));
  // By slice of the window: a backlog left by the ramp-up drains in the first slices, where saturation holds
  // in every slice.
  const slices = Array.from({ length: Math.ceil(DURATION_S / TIMELINE_SLICE_S) }, (_, index) => {
    const from = measuredFrom + index * TIMELINE_SLICE_S * 1000;
    const of = window.filter((sample) => sample.at >= from && sample.at < from + TIMELINE_SLICE_S * 1000);
    const seconds = Math.min(TIMELINE_SLICE_S, DURATION_S - index * TIMELINE_SLICE_S);
    return { start: index * TIMELINE_SLICE_S, seconds, of, latency: summarize(of.map((sample) => sample.ms)) };
  });
  const operations = [...new Set(window.map((sample) => sample.operation))].sort();
  const row = (name: string, latency: LatencySummary, count: number, errors: number) =>
    `| ${name} | ${count.toLocaleString('en-GB')} | ${fmt(latency.p50)} | ${fmt(latency.p95)} | ${fmt(latency.p99)} | ${errors} |`;
  return [
    `# Load test: ${USERS.toLocaleString('en-GB')} signed-in users`,
    '',
    ...heading(workers),
    `Each user signed in once (over ${RAMP_S} s), then looped: think time exponential with mean ${THINK_S} s, then one of the`,
    "web app's operations (dashboard 30%, alert inbox 20%, case list 15%, roster 15%, a student's page 15%, a triage",
    `write 5%). Measured over ${DURATION_S} s from ${SETTLE_S} s after the last sign-in. Target: p95 < 100 ms, p99 < 250 ms, no errors, ≤ 30 database connections.`,
    '',
    ...(settling.length > 0
      ? [
          `While settling (the ${SETTLE_S} s between the last sign-in and the window, not measured): ` +
            `${settling.length.toLocaleString('en-GB')} requests, p50 ${fmt(settled.p50)} ms, p95 ${fmt(settled.p95)} ms, ` +
            `p99 ${fmt(settled.p99)} ms, ${settling.filter((sample) => sample.error).length} errors.`,
          '',
        ]
      : []),
    `Offered ${total.offeredPerSecond.toFixed(0)} requests/s, achieved ${total.achievedPerSecond.toFixed(0)}/s; ${total.errors} errors.`,
    `Peak database connections: ${peaks.connections} (Threads_connected, less this monitor's own); the API's peak resident memory: ${peaks.rssMiB.toFixed(0)} MiB (all its processes).`,
    `CPU per request over the measured window (from /proc; the machine has ${(CORES * 1000).toLocaleString('en-GB')} ms a second): MariaDB ${cpu.database === null ? 'not on this machine' : `${fmt(cpu.database)} ms`}, the API ${fmt(cpu.api)} ms, this generator ${fmt(cpu.generator)} ms.`,
    '',
    '| operation | requests | p50 (ms) | p95 | p99 | errors |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...operations.map((operation) => {
      const of = window.filter((sample) => sample.operation === operation);
      return row(
        operation,
        summarize(of.map((sample) => sample.ms)),
        of.length,
        of.filter((sample) => sample.error).length,
      );
    }),
    row('**all**', total.latency, window.length, total.errors),
    '',
    `Over time, by ${TIMELINE_SLICE_S} s of the measured window:`,
    '',
    '| from (s) | achieved (/s) | p50 (ms) | p95 | p99 | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...slices.map(
      (slice) =>
        `| ${slice.start} | ${(slice.of.length / slice.seconds).toFixed(0)} | ${fmt(slice.latency.p50)} | ${fmt(slice.latency.p95)} | ${fmt(slice.latency.p99)} | ${slice.of.filter((sample) => sample.error).length} |`,
    ),
    ...(total.errorKinds.length > 0
      ? ['', 'Errors:', ...total.errorKinds.map(([kind, count]) => `- ${count} × ${kind}`)]
      : []),
  ];
}

function findMaxMarkdown(steps: { offered: number; window: Sample[] }[], peaks: Peaks, workers: string): string[] {
  const rows = steps.map((step) => ({ offered: step.offered, ...describe(step.window, STEP_S - 2, step.offered) }));
  const passing = rows.filter((row) => row.latency.p99 <= P99_LIMIT_MS && row.errors <= row.latency.samples * 0.001);
  const best = passing.at(-1);
  return [
    `# Load test: the highest rate with p99 under ${P99_LIMIT_MS} ms`,
    '',
    ...heading(workers),
    `${USERS.toLocaleString('en-GB')} signed-in users; the think time shortened every ${STEP_S} s so that the offered rate rose from`,
    `${FIND_MAX_START_RATE}/s by ${FIND_MAX_STEP_RATE}/s a step, until p99 passed the limit or more than 0.1% of requests failed.`,
    '',
    best
      ? `**Highest sustained: ${best.achievedPerSecond.toFixed(0)} requests/s** (offered ${best.offered.toFixed(0)}/s) with p99 ${fmt(best.latency.p99)} ms.`
      : `No step kept p99 under ${P99_LIMIT_MS} ms.`,
    `Peak database connections: ${peaks.connections}; the API's peak resident memory: ${peaks.rssMiB.toFixed(0)} MiB.`,
    '',
    '| offered (/s) | achieved (/s) | p50 (ms) | p95 | p99 | errors |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.offered.toFixed(0)} | ${row.achievedPerSecond.toFixed(0)} | ${fmt(row.latency.p50)} | ${fmt(row.latency.p95)} | ${fmt(row.latency.p99)} | ${row.errors} |`,
    ),
  ];
}

/**
 * CPU by process: the API (all its processes), MariaDB (null when it is not on this machine) and this generator;
 * in seconds used so far, or in milliseconds per request over a window.
 */
interface CpuByProcess {
  api: number;
  database: number | null;
  generator: number;
}

function cpuSeconds(apiPid: number): CpuByProcess {
  const database = pidsNamed('mariadbd').concat(pidsNamed('mysqld'));
  const own = process.cpuUsage();
  return {
    api: cpuSecondsOf([apiPid, ...childrenOf(apiPid)]),
    database: database.length === 0 ? null : cpuSecondsOf(database),
    generator: (own.user + own.system) / 1e6,
  };
}

function cpuMsPerRequest(before: CpuByProcess, after: CpuByProcess, requests: number): CpuByProcess {
  const perRequest = (from: number, to: number) => ((to - from) * 1000) / Math.max(1, requests);
  return {
    api: perRequest(before.api, after.api),
    database: before.database === null || after.database === null ? null : perRequest(before.database, after.database),
    generator: perRequest(before.generator, after.generator),
  };
}

interface Peaks {
  connections: number;
  rssMiB: number;
}

/** Samples MariaDB's connections and the API processes' memory each second. */
function startMonitor(raw: ReturnType<typeof openRawConnection>, apiPid: number) {
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

const childrenOf = (pid: number) => pgrep(['-P', String(pid)]);
const pidsNamed = (name: string) => pgrep(['-x', name]);

/** The pids pgrep finds; none when it finds none (it then exits 1). */
function pgrep(args: string[]): number[] {
  try {
    return execFileSync('pgrep', args, { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

function residentMiB(pids: number[]): number {
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

async function staffAccounts(raw: ReturnType<typeof openRawConnection>): Promise<string[]> {
  const [rows] = await raw.promise().query<RowDataPacket[]>('select email from users where is_active = 1 order by id');
  if (rows.length === 0) throw new Error('no staff in pastoral_bench: run `pnpm bench` first to seed the district');
  return rows.map((row) => String(row.email));
}

async function startApi(workers: string): Promise<{ url: string; process: ChildProcess }> {
  const port = await freePort();
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
  // The API is not pinned: it, MariaDB and the generator share the cores as they would on one server.
  const child = spawn(
    'taskset',
    ['-c', `0-${CORES - 1}`, process.execPath, ...apiNodeFlags(), '--import', 'tsx', cli, 'serve'],
    {
      env: {
        ...process.env,
        LOADTEST_PINNED: '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        DATABASE_URL: databaseUrl,
        PORT: String(port),
        WEB_CONCURRENCY: workers,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
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
  return { url, process: child };
}

/** Extra Node flags for the API (such as --cpu-prof to profile it under load), from LOADTEST_API_NODE_FLAGS. */
function apiNodeFlags(): string[] {
  return (process.env.LOADTEST_API_NODE_FLAGS ?? '').split(' ').filter(Boolean);
}

async function stopApi(api: { process: ChildProcess }): Promise<void> {
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
class Alarm {
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
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

// Pin the generator to the last core, once: the API and MariaDB share the rest (and this one).
if (!process.env.LOADTEST_PINNED) {
  const child = spawn(
    'taskset',
    ['-c', String(GENERATOR_CORE), process.execPath, ...process.execArgv, ...process.argv.slice(1)],
    {
      stdio: 'inherit',
      env: { ...process.env, LOADTEST_PINNED: String(GENERATOR_CORE) },
    },
  );
  child.on('exit', (code) => process.exit(code ?? 1));
} else {
  await main();
}
