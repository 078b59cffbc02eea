/**
 * `pnpm bench`: measures, on this machine, what the product claims. Each figure stands beside its baseline
 * from the same run. Results go to bench/results.md (a table) and bench/results.json.
 *
 * In order: migrating an empty MySQL/MariaDB database and seeding the district profile (50 schools, 50,000
 * students, 1,000,000 audit entries), with the seed's bulk loading (LOAD DATA LOCAL INFILE) against the
 * baseline of multi-row INSERT statements; then, on the seeded database (`pastoral_bench`, left in place), the
 * main operations through the HTTP API beside their ceiling and naive baseline (operations.ts), the full risk
 * recompute, and the audit log's maintenance jobs and pages (audit.ts).
 *
 * BENCH_MYSQL_URL names the server (default mysql://root@127.0.0.1:3306/test); the benchmark creates and
 * replaces its own databases there. BENCH_ONLY=operations or BENCH_ONLY=audit skips the seeds and runs that
 * part alone on the `pastoral_bench` an earlier run left, writing to bench/tmp/ instead: bench/results.md only
 * ever holds one full run. BENCH_ONLY=limits runs the refusal of a document by its shape alone (document-limits.ts),
 * which needs no seeded database.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createDb, migrateToLatest, parseDatabaseUrl, redact, withDatabase } from '@pastoral/db';
import { createConnection } from 'mysql2/promise';
import { migrationsFolder } from '../src/database.ts';
import { SEED_PROFILES } from '../src/seed/profiles.ts';
import { seedDatabase, type SeedSummary } from '../src/seed/seed.ts';
import { auditMarkdown, benchAudit } from './audit.ts';
import { benchDocumentLimits, documentLimitsMarkdown } from './document-limits.ts';
import { describeMachine, type Machine, openRawConnection } from './measure.ts';
import { benchOperations } from './operations.ts';
import { operationsMarkdown } from './operations.report.ts';
import { recomputeAll } from '../src/modules/risk/risk.engine.ts';
import { loadRiskRules } from '../src/modules/risk/risk.rules-file.ts';

const serverUrl = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const resultsDir = new URL('../../../bench/', import.meta.url);
const AS_OF = new Date();
const only = process.env.BENCH_ONLY;
if (only !== undefined && only !== 'audit' && only !== 'operations' && only !== 'limits') {
  throw new Error(
    `BENCH_ONLY takes "operations", "audit" or "limits" (or nothing, for every benchmark); got "${only}"`,
  );
}

interface SeedRun {
  database: string;
  method: 'auto' | 'insert';
  migrateMs: number;
  seed: SeedSummary;
}

/** A connection to the server itself, in no database: for creating and dropping the benchmark's own. */
async function connectToServer() {
  const server = parseDatabaseUrl(serverUrl);
  if (server.engine !== 'mysql') throw new Error('BENCH_MYSQL_URL must be a mysql:// URL');
  return createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
}

async function recreateDatabase(name: string): Promise<string> {
  const connection = await connectToServer();
  await connection.query(`drop database if exists \`${name}\``);
  await connection.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_520_ci`);
  await connection.end();
  return withDatabase(serverUrl, name);
}

async function dropDatabase(name: string): Promise<void> {
  const connection = await connectToServer();
  await connection.query(`drop database if exists \`${name}\``);
  await connection.end();
}

async function seedRun(name: string, method: SeedRun['method']): Promise<SeedRun> {
  const url = await recreateDatabase(name);
  // A batch job, not a request: on a busy machine opening a connection can take seconds, and the seed would
  // fail at the request path's 2 s acquire timeout.
  const handle = createDb(url, { pool: { size: 4, acquireTimeoutMs: 120_000 } });
  try {
    const migrateStarted = performance.now();
    await migrateToLatest(handle.db, migrationsFolder());
    const migrateMs = performance.now() - migrateStarted;
    process.stderr.write(`seeding ${name} (${method === 'auto' ? 'LOAD DATA' : 'multi-row INSERT'})…\n`);
    const seed = await seedDatabase(handle, {
      profile: SEED_PROFILES.district,
      seed: 1,
      asOf: AS_OF,
      password: 'pastoral-demo',
      bulkMethod: method,
    });
    return { database: name, method, migrateMs, seed };
  } finally {
    await handle.destroy();
  }
}

function heading(machine: Machine): string[] {
  return [
    '# Pastoral benchmark results',
    '',
    `Measured ${machine.date.slice(0, 10)} on ${machine.cores} cores (${machine.cpu}), ${machine.memoryGiB} GiB,`,
    `Node ${machine.node}, ${machine.database}. Every figure stands beside its baseline from the same run.`,
    '',
  ];
}

function writeResults(directory: URL, lines: string[], results: object) {
  mkdirSync(directory, { recursive: true });
  writeFileSync(new URL('results.md', directory), lines.join('\n'));
  writeFileSync(new URL('results.json', directory), `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(
    `${lines.join('\n')}\nwrote ${fileURLToPath(new URL('results.md', directory))} and results.json\n`,
  );
}

/** BENCH_ONLY=operations: the main operations alone, on the database a full run seeded, into bench/tmp/. */
async function benchOperationsOnly() {
  const url = withDatabase(serverUrl, 'pastoral_bench');
  const raw = openRawConnection(url);
  try {
    const operations = await benchOperations({ url, raw });
    const machine = describeMachine(await serverVersion());
    writeResults(new URL('tmp/', resultsDir), [...heading(machine), ...operationsMarkdown(operations, machine.cores)], {
      machine,
      operations,
    });
  } finally {
    raw.end();
  }
}

/** BENCH_ONLY=audit: the audit benchmarks alone, on the database a full run seeded, to iterate on them quickly. */
async function benchAuditOnly() {
  process.stderr.write(
    'BENCH_ONLY=audit: no seeding; using pastoral_bench as it is, with the current time as "now" (the seed\'s own is not recorded)\n',
  );
  const audit = await benchAudit({ url: withDatabase(serverUrl, 'pastoral_bench'), now: new Date() });
  const machine = describeMachine(await serverVersion());
  writeResults(new URL('tmp/', resultsDir), [...heading(machine), ...auditMarkdown(audit)], { machine, audit });
}

/** BENCH_ONLY=limits: refusing a document by its shape, which needs no seeded database, into bench/tmp/. */
async function benchDocumentLimitsOnly() {
  const limits = await benchDocumentLimits();
  const machine = describeMachine(await serverVersion());
  writeResults(new URL('tmp/', resultsDir), [...heading(machine), ...documentLimitsMarkdown(limits)], {
    machine,
    limits,
  });
}

async function serverVersion(): Promise<string> {
  // The server's, not pastoral_bench's: BENCH_ONLY=limits runs before any seed has made that database.
  const connection = await connectToServer();
  try {
    const [rows] = await connection.query('select version() as version');
    return (rows as { version: string }[])[0]?.version ?? 'unknown';
  } finally {
    await connection.end();
  }
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);

/** The full risk recompute over the seeded district, as the command line runs it. */
async function timeRiskRecompute(url: string) {
  process.stderr.write("recomputing every active student's risk…\n");
  // A batch job, not a request: on a busy machine opening a connection can take seconds, and the seed would
  // fail at the request path's 2 s acquire timeout.
  const handle = createDb(url, { pool: { size: 4, acquireTimeoutMs: 120_000 } });
  try {
    const started = performance.now();
    const summary = await recomputeAll({
      db: handle.db,
      dialect: handle.dialect,
      rules: loadRiskRules(undefined),
      actor: { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null },
      now: new Date(),
    });
    return { ms: performance.now() - started, summary };
  } finally {
    await handle.destroy();
  }
}

async function main() {
  process.stderr.write(`benchmarking against ${redact(serverUrl)}\n`);
  if (only === 'audit') return benchAuditOnly();
  if (only === 'operations') return benchOperationsOnly();
  if (only === 'limits') return benchDocumentLimitsOnly();
  const baseline = await seedRun('pastoral_bench_insert', 'insert');
  const measured = await seedRun('pastoral_bench', 'auto');
  const benchUrl = withDatabase(serverUrl, 'pastoral_bench');
  const raw = openRawConnection(benchUrl);
  const operations = await benchOperations({ url: benchUrl, raw }).finally(() => raw.end());
  const recompute = await timeRiskRecompute(benchUrl);
  const limits = await benchDocumentLimits();
  // The seed baseline's database holds the same data as the measured one: the audit benchmark's one-transaction
  // archival baseline consumes it, and then it has served its purpose. The measured one stays, for BENCH_ONLY.
  const audit = await benchAudit({
    url: withDatabase(serverUrl, 'pastoral_bench'),
    twinUrl: withDatabase(serverUrl, 'pastoral_bench_insert'),
    now: AS_OF,
  }).finally(() => dropDatabase('pastoral_bench_insert'));

  const machine = describeMachine(await serverVersion());
  const results = {
    machine,
    seed: {
      profile: 'district',
      measured: { method: 'LOAD DATA LOCAL INFILE', migrateMs: measured.migrateMs, ...measured.seed },
      baseline: { method: 'multi-row INSERT', migrateMs: baseline.migrateMs, ...baseline.seed },
    },
    operations,
    recompute,
    limits,
    audit,
  };

  const baselineByTable = new Map(baseline.seed.tables.map((t) => [t.table, t.ms]));
  const lines = [
    ...heading(machine),
    '## Migrate and seed the district profile',
    '',
    '50 schools, 1,000 classrooms, 50,000 students, 60 school days of attendance, 200,000 alerts, 100,000 cases,',
    '1,000,000 audit entries. Target: migrate plus seed under 3 minutes.',
    '',
    '| step | LOAD DATA LOCAL INFILE (s) | baseline: multi-row INSERT (s) |',
    '| --- | ---: | ---: |',
    `| migrate (empty database) | ${seconds(measured.migrateMs)} | ${seconds(baseline.migrateMs)} |`,
    `| generate the data in memory | ${seconds(measured.seed.generateMs)} | ${seconds(baseline.seed.generateMs)} |`,
    ...measured.seed.tables.map(
      (t) =>
        `| load ${t.table} (${t.rows.toLocaleString('en-GB')} rows) | ${seconds(t.ms)} | ${seconds(baselineByTable.get(t.table) ?? 0)} |`,
    ),
    `| **seed, total** | **${seconds(measured.seed.totalMs)}** | **${seconds(baseline.seed.totalMs)}** |`,
    `| **migrate + seed** | **${seconds(measured.migrateMs + measured.seed.totalMs)}** | **${seconds(baseline.migrateMs + baseline.seed.totalMs)}** |`,
    '',
    'Tables load in two parallel lanes (attendance on one connection, everything else on another), so the',
    'per-table times overlap and do not add up to the total.',
    '',
    ...operationsMarkdown(operations, machine.cores),
    '## The full risk recompute',
    '',
    `\`recomputeAll\` (what \`pastoral recompute-risk\` runs) over every active student of the district, in set-based batches:`,
    `${recompute.summary.students.toLocaleString('en-GB')} students in ${seconds(recompute.ms)} s; ${recompute.summary.levelChanged.toLocaleString('en-GB')} changed level,`,
    `${recompute.summary.alertsRaised.toLocaleString('en-GB')} alerts raised, ${recompute.summary.alertsResolved.toLocaleString('en-GB')} resolved.`,
    '',
    ...documentLimitsMarkdown(limits),
    ...auditMarkdown(audit),
  ];
  writeResults(resultsDir, lines, results);
}

await main();
