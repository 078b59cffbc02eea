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
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { RowDataPacket } from 'mysql2';
import { Agent } from 'undici';
import { createDb } from '@pastoral/db';
import { schoolSummaryMismatches, summarisedSchoolIds } from '../src/modules/summaries/summary.repository.ts';
import { webOperation } from '../src/testing/web-operations.ts';
import { describeMachine, openRawConnection, postGraphql, SEED_PASSWORD, summarize } from './measure.ts';
import {
  USERS,
  THINK_S,
  RAMP_S,
  SETTLE_S,
  DURATION_S,
  STEP_S,
  P99_LIMIT_MS,
  FIND_MAX_START_RATE,
  FIND_MAX_STEP_RATE,
  CORES,
  GENERATOR_CORE,
  databaseUrl,
  resultsDir,
  options,
  ACCEPT_ENCODING,
} from './loadtest.settings.ts';
import {
  type Sample,
  describe,
  measureRoundTrips,
  fixedMarkdown,
  findMaxMarkdown,
  conditionsMarkdown,
  quietness,
  slowStatementsByPhase,
} from './loadtest.report.ts';
import {
  cpuSeconds,
  cpuMsPerRequest,
  othersShare,
  startMonitor,
  startApi,
  stopApi,
  Alarm,
  sleep,
} from './loadtest.processes.ts';

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
  await measureRoundTrips();
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

    const post = async (user: VirtualUser | null, query: string, variables: object) => {
      const answer = await postGraphql(dispatcher, api.url, {
        query,
        variables,
        headers: {
          ...(ACCEPT_ENCODING ? { 'accept-encoding': ACCEPT_ENCODING } : {}),
          ...(user ? { cookie: user.cookie } : {}),
        },
      });
      const body = JSON.parse(answer.text) as {
        data?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
        errors?: { message: string }[];
      };
      if (answer.status !== 200 || body.errors) {
        throw new Error(`${answer.status} ${body.errors?.[0]?.message ?? ''}`.trim());
      }
      return { data: body.data };
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
    let quiet: boolean;
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
      const conditions = quietness(othersShare(cpuBefore, cpuAfter, DURATION_S));
      quiet = conditions.quiet;
      const slow = slowStatementsByPhase(api.slowStatements, started, measuredFrom, end);
      result = {
        mode: 'fixed',
        machine: describeMachine(await databaseVersion(raw)),
        users: USERS,
        thinkS: THINK_S,
        durationS: DURATION_S,
        acceptEncoding: ACCEPT_ENCODING,
        ...describe(window, DURATION_S, USERS / THINK_S),
        peaks,
        cpuMsPerRequest: cpu,
        quiet: conditions,
        slowStatements: slow,
      };
      const settling = samples.filter(
        (sample) => sample.at >= measuredFrom - SETTLE_S * 1000 && sample.at < measuredFrom,
      );
      markdown = [
        ...fixedMarkdown(window, peaks, workers, cpu, measuredFrom, settling),
        '',
        ...conditionsMarkdown(conditions, slow),
      ];
    } else {
      const cpuAtStart = cpuSeconds(api.process.pid!);
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
      const cpuAfter = cpuSeconds(api.process.pid!);
      const conditions = quietness(othersShare(cpuAtStart, cpuAfter, (now() - measuredFrom) / 1000));
      quiet = conditions.quiet;
      const slow = slowStatementsByPhase(api.slowStatements, started, measuredFrom, now());
      result = {
        mode: 'find-max',
        machine: describeMachine(await databaseVersion(raw)),
        users: USERS,
        stepS: STEP_S,
        acceptEncoding: ACCEPT_ENCODING,
        steps: steps.map((step) => ({ offered: step.offered, ...describe(step.window, STEP_S - 2, step.offered) })),
        peaks,
        quiet: conditions,
        slowStatements: slow,
      };
      markdown = [...findMaxMarkdown(steps, peaks, workers), '', ...conditionsMarkdown(conditions, slow)];
    }
    await Promise.all(everyone);
    monitor.stop();
    // The load test's writes (triage, case notes, sign-ins) went through the summary triggers: every row must
    // still equal its full count.
    const summaries = await summariesAfterWrites();
    Object.assign(result, { summariesAfterWrites: summaries });
    markdown.push(
      `After the run, ${summaries.mismatches === 0 ? 'every' : 'NOT every'} summary row of the ${summaries.schools} schools equalled its full count` +
        (summaries.mismatches === 0 ? '.' : ` (${summaries.mismatches} differ).`),
    );
    const name = options['find-max'] ? 'loadtest-max' : 'loadtest';
    // Only a quiet run's results replace the committed ones (and so the README's figures); a busy run's go to
    // bench/tmp/, to be read but not committed.
    const folder = quiet ? '' : 'tmp/';
    mkdirSync(new URL(folder || '.', resultsDir), { recursive: true });
    writeFileSync(new URL(`${folder}${name}.md`, resultsDir), `${markdown.join('\n')}\n`);
    writeFileSync(new URL(`${folder}${name}.json`, resultsDir), `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`${markdown.join('\n')}\nwrote bench/${folder}${name}.md and bench/${folder}${name}.json\n`);
  } finally {
    raw.end();
    await dispatcher.close();
    await stopApi(api);
  }
}

/** Compares every school's summary rows with full counts over the tables, after the run's writes. */
async function summariesAfterWrites(): Promise<{ schools: number; mismatches: number }> {
  const handle = createDb(databaseUrl, { pool: { size: 2, acquireTimeoutMs: 120_000 } });
  try {
    const schools = await summarisedSchoolIds(handle.db);
    let mismatches = 0;
    for (const school of schools) mismatches += (await schoolSummaryMismatches(handle.db, school)).length;
    return { schools: schools.length, mismatches };
  } finally {
    await handle.destroy();
  }
}

async function databaseVersion(raw: ReturnType<typeof openRawConnection>): Promise<string> {
  const [rows] = await raw.promise().query<RowDataPacket[]>('select version() as version');
  return String(rows[0]?.version ?? 'unknown');
}

async function staffAccounts(raw: ReturnType<typeof openRawConnection>): Promise<string[]> {
  const [rows] = await raw.promise().query<RowDataPacket[]>('select email from users where is_active = 1 order by id');
  if (rows.length === 0) throw new Error('no staff in pastoral_bench: run `pnpm bench` first to seed the district');
  return rows.map((row) => String(row.email));
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
