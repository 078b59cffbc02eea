/**
 * `pnpm bench:request-profile`: what one API process spends its CPU on per request, on the load test's mix.
 *
 * Starts one API process (bench/servers/profiled-api.ts: the server `pastoral serve` runs in each worker, with
 * NODE_ENV=production) on a database of its own, signs in the seeded staff, then
 *  1. sends each of the mix's operations one at a time and counts the SQL statements each sent (from the API's
 *     own statement counter, so other users of the MariaDB server do not show), and
 *  2. offers the load test's mix (loadtest.ts) at a fixed rate, Poisson arrivals, for --duration seconds while
 *     the API's CPU profile is taken, and reports its CPU per request (/proc/<pid>/stat) and the profile's time by
 *     the parts of the request pipeline (session and viewer, AsyncLocalStorage, plugins, GraphQL, Kysely, mysql2,
 *     JSON, logging, Fastify, compression...).
 *
 * The machine is shared: the figures that mean something are CPU time and shares of the profile, not latency.
 *
 *   pnpm bench:request-profile [--rate 100] [--duration 30] [--warm-up 10] [--seed] [--profile-out file]
 *
 * --seed (re)creates the database `pastoral_request_profile` with the demo profile first; without it the database
 * must exist. Nothing is written under bench/: the report goes to stdout, the profile to --profile-out.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { withDatabase } from '@pastoral/db';
import type { RowDataPacket } from 'mysql2';
import { Agent } from 'undici';
import { webOperation } from '../src/testing/web-operations.ts';
import { BENCH_RATE_LIMITS, cpuSecondsOf, openRawConnection, postGraphql, SEED_PASSWORD } from './measure.ts';
import { categoryShares, type CpuProfile, profileMarkdown } from './request-profile.categories.ts';

const { values: options } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    rate: { type: 'string', default: '100' },
    duration: { type: 'string', default: '30' },
    'warm-up': { type: 'string', default: '10' },
    seed: { type: 'boolean', default: false },
    database: { type: 'string', default: 'pastoral_request_profile' },
    'profile-out': { type: 'string', default: join(tmpdir(), 'pastoral-request-profile.cpuprofile') },
  },
});
const RATE = Number(options.rate);
const DURATION_S = Number(options.duration);
const WARM_UP_S = Number(options['warm-up']);
/** MariaDB over its Unix socket where there is one, as the load test talks to it (loadtest.settings.ts). */
const LOCAL_SOCKET = '/run/mysqld/mysqld.sock';
const serverUrl =
  process.env.BENCH_MYSQL_URL ??
  (existsSync(LOCAL_SOCKET)
    ? `mysql://root@localhost/test?socket=${LOCAL_SOCKET}`
    : 'mysql://root@127.0.0.1:3306/test');
const databaseUrl = withDatabase(serverUrl, options.database);
const METRICS_TOKEN = 'request-profile-metrics-token';
/** Each operation's statements are counted over this many requests, one at a time. */
const COUNT_RUNS = 20;

/** The load test's mix (loadtest.ts), by operation. */
const MIX = [
  { operation: 'DashboardPageQuery', share: 0.3 },
  { operation: 'AlertsPageQuery', share: 0.2 },
  { operation: 'CasesPageQuery', share: 0.15 },
  { operation: 'StudentsPageQuery', share: 0.15 },
  { operation: 'StudentPageQuery', share: 0.15 },
  { operation: 'triage write', share: 0.05 },
] as const;
type Operation = (typeof MIX)[number]['operation'] | 'AcknowledgeAlertsMutation' | 'AddCaseNoteMutation';

interface User {
  cookie: string;
  students: string[];
  newAlerts: string[];
  cases: { id: string }[];
}

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const apiEnv = {
  ...process.env,
  ...BENCH_RATE_LIMITS,
  NODE_ENV: 'production',
  LOG_LEVEL: 'warn',
  DATABASE_URL: databaseUrl,
  METRICS_TOKEN,
};

async function main() {
  if (options.seed) {
    const raw = openRawConnection(serverUrl);
    await raw.promise().query(`create database if not exists \`${options.database}\``);
    raw.end();
    execFileSync(process.execPath, ['--import', 'tsx', cli, 'seed', '--profile', 'demo', '--reset'], {
      env: apiEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  const api = await startApi();
  // A request unanswered for 30 s fails (and is counted) rather than holding the run up.
  const dispatcher = new Agent({
    connections: 64,
    keepAliveTimeout: 30_000,
    headersTimeout: 30_000,
    bodyTimeout: 30_000,
  });
  try {
    const post = async (user: User | null, query: string, variables: object) => {
      // No Accept-Encoding: answers come uncompressed, so compression is not in the profile (the load test asks
      // for it by default, as a browser does).
      const answer = await postGraphql(dispatcher, api.url, {
        query,
        variables,
        headers: user ? { cookie: user.cookie } : {},
      });
      const body = JSON.parse(answer.text) as { data?: unknown; errors?: { message: string }[] };
      if (answer.status !== 200 || body.errors) {
        throw new Error(`${answer.status} ${body.errors?.[0]?.message ?? ''}`.trim());
      }
      return { setCookie: answer.headers['set-cookie'] };
    };
    // The users' lists are read once, so that later requests can name what they saw.
    const read = async (user: User, query: string, variables: object) => {
      const response = await dispatcher.request({
        origin: api.url,
        path: '/graphql',
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: user.cookie },
        body: JSON.stringify({ query, variables }),
      });
      return ((await response.body.json()) as { data: any }).data; // eslint-disable-line @typescript-eslint/no-explicit-any
    };

    const raw = openRawConnection(databaseUrl);
    const [rows] = await raw
      .promise()
      .query<RowDataPacket[]>('select email from users where is_active = 1 order by id');
    raw.end();
    const users: User[] = [];
    for (const { email } of rows) {
      const { setCookie } = await post(
        null,
        'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
        { input: { email, password: SEED_PASSWORD } },
      );
      const cookie = (Array.isArray(setCookie) ? setCookie[0] : setCookie)?.split(';')[0];
      if (!cookie) throw new Error(`sign-in as ${email} refused`);
      const user: User = { cookie, students: [], newAlerts: [], cases: [] };
      const [students, alerts, cases] = await Promise.all([
        read(user, webOperation('StudentsPageQuery'), {}),
        read(user, webOperation('AlertsPageQuery'), { filter: { status: ['NEW'] } }),
        read(user, webOperation('CasesPageQuery'), { filter: {} }),
      ]);
      user.students = students.students.edges.map((edge: { node: { id: string } }) => edge.node.id);
      user.newAlerts = alerts.alerts.edges.map((edge: { node: { id: string } }) => edge.node.id);
      user.cases = cases.cases.edges.map((edge: { node: { id: string } }) => edge.node);
      users.push(user);
    }

    const send = async (operation: Operation, user: User): Promise<unknown> => {
      switch (operation) {
        case 'AlertsPageQuery':
          return post(user, webOperation(operation), { filter: { status: ['NEW'] } });
        case 'CasesPageQuery':
          return post(user, webOperation(operation), { filter: {} });
        case 'StudentPageQuery': {
          const id = user.students[Math.floor(Math.random() * user.students.length)];
          return id ? post(user, webOperation(operation), { id }) : send('DashboardPageQuery', user);
        }
        case 'AcknowledgeAlertsMutation': {
          const alert = user.newAlerts.pop();
          return alert ? post(user, webOperation(operation), { ids: [alert] }) : send('AddCaseNoteMutation', user);
        }
        case 'AddCaseNoteMutation': {
          const item = user.cases[Math.floor(Math.random() * user.cases.length)];
          return item
            ? post(user, webOperation(operation), {
                input: { caseId: item.id, body: 'Spoke with the student after registration.' },
              })
            : send('DashboardPageQuery', user);
        }
        case 'triage write':
          return send(user.newAlerts.length > 0 ? 'AcknowledgeAlertsMutation' : 'AddCaseNoteMutation', user);
        default:
          return post(user, webOperation(operation), {});
      }
    };
    const anyUser = () => users[Math.floor(Math.random() * users.length)]!;

    // 1. Statements per request, each operation alone (after one untimed round, so caches are as under load).
    const statements = async () => sumStatements(await metricsText(api.url));
    const counted: { operation: Operation; perRequest: Record<string, number> }[] = [];
    const operations: Operation[] = [
      'DashboardPageQuery',
      'AlertsPageQuery',
      'CasesPageQuery',
      'StudentsPageQuery',
      'StudentPageQuery',
      'AcknowledgeAlertsMutation',
      'AddCaseNoteMutation',
    ];
    process.stderr.write(`request profile: ${users.length} staff signed in; counting statements\n`);
    for (const operation of operations) {
      for (const user of users) await send(operation, user);
      const before = await statements();
      for (let i = 0; i < COUNT_RUNS; i++) await send(operation, users[i % users.length]!);
      const after = await statements();
      counted.push({ operation, perRequest: perRequestDelta(before, after, COUNT_RUNS) });
    }

    // 2. The mix at a fixed rate: a warm-up, then the measured window under the profiler.
    let failures = 0;
    let sent = 0;
    const offer = async (seconds: number) => {
      const inFlight = new Set<Promise<unknown>>();
      const until = performance.now() + seconds * 1000;
      let next = performance.now();
      while (next < until) {
        next += -Math.log(1 - Math.random()) * (1000 / RATE);
        await sleep(next - performance.now());
        let pick = Math.random();
        const operation = MIX.find((entry) => (pick -= entry.share) < 0)?.operation ?? 'DashboardPageQuery';
        const request = send(operation, anyUser())
          .catch(() => void (failures += 1))
          .finally(() => inFlight.delete(request));
        inFlight.add(request);
        sent += 1;
      }
      await Promise.all(inFlight);
    };
    process.stderr.write(`request profile: warming up for ${WARM_UP_S} s, then measuring for ${DURATION_S} s\n`);
    await offer(WARM_UP_S);
    failures = 0;
    sent = 0;
    const statementsBefore = await statements();
    await api.command('start', 'profiling');
    const cpuBefore = cpuSecondsOf([api.process.pid!]);
    await offer(DURATION_S);
    const cpuAfter = cpuSecondsOf([api.process.pid!]);
    await api.command(`stop ${options['profile-out']}`, 'stopped');
    const statementsAfter = await statements();
    const cpuMsPerRequest = ((cpuAfter - cpuBefore) * 1000) / sent;
    const profile = JSON.parse(readFileSync(options['profile-out'], 'utf8')) as CpuProfile;
    const shares = categoryShares(profile);

    const lines = [
      `## Request profile: ${RATE} requests/s for ${DURATION_S} s, one API process, ${new Date().toISOString()}`,
      '',
      `${sent} requests, ${failures} failed. API CPU per request: **${cpuMsPerRequest.toFixed(2)} ms** (/proc, user + system).`,
      `SQL statements per request on the mix: ${formatCounts(perRequestDelta(statementsBefore, statementsAfter, sent))}.`,
      '',
      '### SQL statements per request, each operation alone',
      '',
      '| operation | statements |',
      '| --- | --- |',
      ...counted.map(({ operation, perRequest }) => `| ${operation} | ${formatCounts(perRequest)} |`),
      '',
      `### Where the CPU goes (profile: ${options['profile-out']})`,
      '',
      ...profileMarkdown(shares, cpuMsPerRequest),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await dispatcher.close();
    await api.stop();
  }
}

/** The API's SQL statements so far, by kind, from its Prometheus counter. */
function sumStatements(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const match of text.matchAll(/^pastoral_sql_statement_duration_seconds_count\{([^}]*)\} (\d+)/gm)) {
    const kind = /kind="([^"]+)"/.exec(match[1]!)?.[1] ?? 'other';
    counts[kind] = (counts[kind] ?? 0) + Number(match[2]);
  }
  return counts;
}

function perRequestDelta(before: Record<string, number>, after: Record<string, number>, requests: number) {
  const delta: Record<string, number> = {};
  for (const kind of Object.keys(after)) {
    const per = ((after[kind] ?? 0) - (before[kind] ?? 0)) / Math.max(1, requests);
    if (per > 0) delta[kind] = per;
  }
  return delta;
}

function formatCounts(counts: Record<string, number>): string {
  const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
  const parts = Object.entries(counts).map(([kind, count]) => `${count.toFixed(2)} ${kind}`);
  return `${total.toFixed(2)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

async function metricsText(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  return response.text();
}

async function startApi() {
  const server = fileURLToPath(new URL('servers/profiled-api.ts', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', server], {
    env: apiEnv,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  // The API's log lines (JSON, on the same stdout) are passed on; its answers are plain words.
  const nextLine = async (): Promise<string> => {
    const { value, done } = await lines.next();
    if (done) return '';
    if (!String(value).startsWith('{')) return String(value);
    process.stderr.write(`${value}\n`);
    return nextLine();
  };
  const port = /^listening (\d+)$/.exec(await nextLine())?.[1];
  if (!port) throw new Error('the API did not start');
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    async command(command: string, answer: string) {
      child.stdin!.write(`${command}\n`);
      const line = await nextLine();
      if (line !== answer) throw new Error(`the API answered "${line}" to "${command}"`);
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.stdin!.end();
      await exited;
    },
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

await main();
