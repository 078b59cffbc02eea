/** The load test's report (bench/loadtest.md): latency, rates and errors of a window of samples, as Markdown. */
import { existsSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { withDatabase } from '@pastoral/db';
import { openRawConnection, summarize, type LatencySummary } from './measure.ts';
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
  TCP_SERVER_URL,
  ROUND_TRIPS,
  LOCAL_SOCKET,
  transportName,
} from './loadtest.settings.ts';
import { type CpuByProcess, type Peaks, QUIET_SHARE, type SlowStatement } from './loadtest.processes.ts';

export interface Sample {
  operation: string;
  /** When it was sent, in ms since the run started. */
  at: number;
  ms: number;
  error: string | null;
}

export function describe(window: Sample[], seconds: number, offered: number) {
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

export const fmt = (ms: number) => ms.toFixed(1);

/** `select 1` on a bare connection over each transport, measured before the load: why the API uses the socket. */
let roundTrip = '';

/** Measures the round trips once, before the load, for the report's heading. */
export async function measureRoundTrips(): Promise<void> {
  roundTrip = await roundTripsText();
}

async function roundTripsText(): Promise<string> {
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

export function heading(workers: string): string[] {
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${CORES} cores (${cpus()[0]?.model ?? 'unknown'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}), on the district seed in MariaDB (\`pastoral_bench\`).`,
    `The API ran as \`pastoral serve\` with ${workers} workers (NODE_ENV=production), reaching MariaDB through ${transportName};`,
    `the load generator, pinned to core ${GENERATOR_CORE} with taskset, shared the machine with them and MariaDB.`,
    roundTrip,
    '',
  ];
}

/** Seconds a slice of the measured window's timeline spans. */
export const TIMELINE_SLICE_S = 15;

export function fixedMarkdown(
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

export function findMaxMarkdown(
  steps: { offered: number; window: Sample[] }[],
  peaks: Peaks,
  workers: string,
): string[] {
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

/** Whether other processes left the machine to the run: only a quiet run's results are committed. */
export function quietness(othersShareOfMachine: number) {
  return { othersShareOfMachine, quiet: othersShareOfMachine <= QUIET_SHARE };
}

export type Quietness = ReturnType<typeof quietness>;

/** The statements the API logged as slow, in each phase of the run, the audit chain's apart. */
export interface SlowStatementsInPhase {
  auditChain: number;
  other: number;
  /** The slowest few, their SQL shortened. */
  slowest: { durationMs: number; sql: string }[];
}

const isAuditChainStatement = (sql: string) => /audit_chain_head|append_audit_entr/.test(sql);

export function slowStatementsByPhase(
  statements: readonly SlowStatement[],
  started: number,
  measuredFrom: number,
  end: number,
): { rampAndSettle: SlowStatementsInPhase; window: SlowStatementsInPhase } {
  const inPhase = (from: number, to: number): SlowStatementsInPhase => {
    const of = statements.filter((statement) => statement.at - started >= from && statement.at - started < to);
    return {
      auditChain: of.filter((statement) => isAuditChainStatement(statement.sql)).length,
      other: of.filter((statement) => !isAuditChainStatement(statement.sql)).length,
      slowest: [...of]
        .sort((a, b) => b.durationMs - a.durationMs)
        .slice(0, 5)
        .map((statement) => ({
          durationMs: statement.durationMs,
          sql: statement.sql.replace(/\s+/g, ' ').slice(0, 160),
        })),
    };
  };
  return { rampAndSettle: inPhase(0, measuredFrom), window: inPhase(measuredFrom, end) };
}

export function conditionsMarkdown(quiet: Quietness, slow: ReturnType<typeof slowStatementsByPhase>): string[] {
  const phase = (name: string, of: SlowStatementsInPhase) =>
    `${name}: ${of.auditChain} on the audit chain, ${of.other} others` +
    (of.slowest.length === 0
      ? '.'
      : `; the slowest: ${of.slowest.map((s) => `${s.durationMs} ms \`${s.sql.slice(0, 60)}…\``).join(', ')}.`);
  return [
    `Other processes used ${(quiet.othersShareOfMachine * 100).toFixed(1)}% of the machine during the measurement: ` +
      (quiet.quiet
        ? 'a quiet run.'
        : `NOT a quiet run (more than ${(QUIET_SHARE * 100).toFixed(1)}%): do not commit these results.`),
    `Statements the API logged as slow (over SLOW_QUERY_MS): ${phase('while signing in and settling', slow.rampAndSettle)} ${phase('In the measured window', slow.window)}`,
  ];
}
