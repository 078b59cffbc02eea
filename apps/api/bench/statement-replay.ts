/**
 * `pnpm bench:replay`: the database's share of the load test, alone. Replays the reads `pnpm bench:explain`
 * captured (bench/tmp/explain.json), request by request, from many connections at once, against a MariaDB
 * server on this machine, and reports the server's CPU per request (its process's user + system time, from
 * /proc) with the rate and latencies: to compare server settings (thread_handling=pool-of-threads) or schemas
 * side by side, without the API's CPU in the figure.
 *
 * Each request is one operation of the load test's mix, in its shares, as one of the staff the load test signs
 * in (every active user: mostly form masters), its statements sent one after another on one connection.
 *
 *   BENCH_MYSQL_URL=mysql://root@127.0.0.1:3307/pastoral_bench_explain pnpm bench:replay [--from bench/tmp/explain.json]
 *     [--connections 32] [--duration 30]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createPool } from 'mysql2/promise';
import type { StatementPlan } from '../src/testing/statement-plan.ts';
import { summarize } from './measure.ts';

const { values: options } = parseArgs({
  args: process.argv.slice(2).filter((argument) => argument !== '--'),
  options: {
    from: { type: 'string', default: new URL('../../../bench/tmp/explain.json', import.meta.url).pathname },
    connections: { type: 'string', default: '32' },
    duration: { type: 'string', default: '30' },
  },
});
const url = process.env.BENCH_MYSQL_URL;
if (!url) throw new Error('BENCH_MYSQL_URL names the server and database to replay against');

/** The load test's mix (loadtest.ts): triage writes are left out, a replay must not change the data. */
const MIX: Record<string, number> = {
  DashboardPageQuery: 0.3,
  AlertsPageQuery: 0.2,
  CasesPageQuery: 0.15,
  StudentsPageQuery: 0.15,
  StudentPageQuery: 0.15,
};
/** Active staff of the district seed by role: the load test signs every one of them in. */
const ROLES: Record<string, number> = { FORM_MASTER: 1800, PASTORAL_LEAD: 150, SCHOOL_ADMIN: 50, DISTRICT_ADMIN: 5 };

const captured = JSON.parse(readFileSync(options.from, 'utf8')) as {
  role: string;
  operation: string;
  plan: StatementPlan;
}[];
const requests = new Map<string, string[]>();
for (const { role, operation, plan } of captured) {
  if (!(operation in MIX) || plan.returned === null) continue;
  const key = `${role} ${operation}`;
  requests.set(key, [...(requests.get(key) ?? []), plan.sql]);
}

function pick<T extends string>(weights: Record<T, number>): T {
  const entries = Object.entries(weights) as [T, number][];
  let left = Math.random() * entries.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [name, weight] of entries) if ((left -= weight) < 0) return name;
  return entries[0]![0];
}

/** The server process's CPU seconds so far (same machine: its pid file names it). */
function serverCpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function main() {
  const connections = Number(options.connections);
  const pool = createPool({ uri: url, connectionLimit: connections, multipleStatements: false });
  const [[settings]] = (await pool.query(
    'select @@pid_file as pidFile, @@thread_handling as threadHandling, @@thread_pool_size as poolSize',
  )) as unknown as [{ pidFile: string; threadHandling: string; poolSize: number }[]];
  const pid = Number(readFileSync(settings!.pidFile, 'utf8').trim());
  // Every connection opened and every statement's pages read once before the clock starts.
  await Promise.all(
    Array.from({ length: connections }, async () => {
      for (const statements of requests.values()) for (const statement of statements) await pool.query(statement);
    }),
  );
  const latencies: number[] = [];
  const stopAt = performance.now() + Number(options.duration) * 1000;
  const cpuBefore = serverCpuSeconds(pid);
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < stopAt) {
        const statements = requests.get(`${pick(ROLES)} ${pick(MIX)}`) ?? [];
        const at = performance.now();
        const connection = await pool.getConnection();
        try {
          for (const statement of statements) await connection.query(statement);
        } finally {
          connection.release();
        }
        latencies.push(performance.now() - at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = serverCpuSeconds(pid) - cpuBefore;
  await pool.end();
  const summary = summarize(latencies);
  const result = {
    threadHandling: settings!.threadHandling,
    threadPoolSize: settings!.poolSize,
    connections,
    requests: latencies.length,
    perSecond: Math.round(latencies.length / seconds),
    serverCpuMsPerRequest: Number(((cpu * 1000) / latencies.length).toFixed(3)),
    serverCpuCores: Number((cpu / seconds).toFixed(2)),
    p50: Number(summary.p50.toFixed(2)),
    p99: Number(summary.p99.toFixed(2)),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
