/**
 * The audit log at the district's size (issue #6): maintenance jobs first, since archival shapes what the reads
 * find, then pages read through the HTTP API. Runs against an already seeded database.
 */
import { parseDatabaseUrl } from '@pastoral/db';
import type { RowDataPacket } from 'mysql2';
import { loadConfig } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { createLogger } from '../src/logger.ts';
import {
  ARCHIVE_AFTER_DAYS,
  ARCHIVE_BATCH_SIZE,
  type BenchDatabase,
  benchAuditMaintenance,
  LIVE_WRITE_PAUSE_MS,
  type LiveWrites,
} from './audit-maintenance.ts';
import { benchAuditReads, type PageTiming, TIMED_REQUESTS } from './audit-reads.ts';
import { countRows, moveArchivedEntriesBack } from './audit-tables.ts';
import { BENCH_RATE_LIMITS, type LatencySummary, openRawConnection } from './measure.ts';

export interface AuditResults {
  /** Entries in the live log when the benchmark started (after moving back any a previous run archived). */
  entries: number;
  /** Entries a previous run had archived, moved back before starting. */
  restoredFromArchive: number;
  /** The log's size on disk (data and indexes) and the InnoDB buffer pool it competes for. */
  auditLogMiB: number;
  innodbBufferPoolMiB: number;
  /** The server's statement deadline, which the live writes run under too. */
  requestTimeoutMs: number;
  maintenance: Awaited<ReturnType<typeof benchAuditMaintenance>>;
  afterArchival: { live: number; archived: number };
  reads: PageTiming[];
}

export async function benchAudit({
  url,
  twinUrl,
  now,
}: {
  /** The seeded database the benchmarks measure (and archive). */
  url: string;
  /** A database seeded alike, consumed by the one-transaction archival baseline; see benchAuditMaintenance. */
  twinUrl?: string;
  now: Date;
}): Promise<AuditResults> {
  // The server's own configuration path, as in production (no stack traces, no introspection).
  const config = loadConfig({ NODE_ENV: 'production', LOG_LEVEL: 'silent', ...BENCH_RATE_LIMITS, DATABASE_URL: url });
  const logger = createLogger(config);
  const open = (databaseUrl: string): BenchDatabase => ({
    name: databaseNameOf(databaseUrl),
    raw: openRawConnection(databaseUrl),
    writer: openDatabase({ ...config, database: { ...config.database, url: databaseUrl } }, logger),
  });
  const measured = open(url);
  const twin = twinUrl === undefined ? null : open(twinUrl);
  const admin = openDatabase(config, logger, 'admin');
  const { raw } = measured;
  try {
    // Archival moves entries for good, so a rerun on the same database (BENCH_ONLY=audit) would find nothing to
    // move: put them back first, so every run starts from the state the seed left.
    const restoredFromArchive = await countRows(raw, 'audit_log_archive');
    if (restoredFromArchive > 0) {
      process.stderr.write(
        `audit: moving ${restoredFromArchive.toLocaleString('en-GB')} entries archived by an earlier run back to audit_log…\n`,
      );
      await moveArchivedEntriesBack(raw);
    }
    const entries = await countRows(raw, 'audit_log');
    const [sizes] = await raw.promise().query<RowDataPacket[]>(
      `select (select sum(data_length + index_length) from information_schema.tables
                where table_schema = database() and table_name = 'audit_log') as audit_log_bytes,
              @@innodb_buffer_pool_size as buffer_pool_bytes`,
    );
    const maintenance = await benchAuditMaintenance({ measured, admin, twin, now });
    const afterArchival = {
      live: await countRows(raw, 'audit_log'),
      archived: await countRows(raw, 'audit_log_archive'),
    };
    const reads = await benchAuditReads({ config, logger, raw, cutoff: new Date(maintenance.cutoff) });
    return {
      entries,
      restoredFromArchive,
      auditLogMiB: Number(sizes[0]?.audit_log_bytes ?? 0) / 2 ** 20,
      innodbBufferPoolMiB: Number(sizes[0]?.buffer_pool_bytes ?? 0) / 2 ** 20,
      requestTimeoutMs: config.requestTimeoutMs,
      maintenance,
      afterArchival,
      reads,
    };
  } finally {
    await admin.destroy();
    for (const database of twin ? [measured, twin] : [measured]) {
      await database.writer.destroy();
      await database.raw.promise().end();
    }
  }
}

function databaseNameOf(url: string): string {
  const target = parseDatabaseUrl(url);
  return target.engine === 'mysql' ? target.database : url;
}

const count = (n: number) => n.toLocaleString('en-GB');
const ms = (value: number) => value.toFixed(1);
const seconds = (value: number) => (value / 1000).toFixed(1);
const mib = (value: number) => value.toFixed(0);

/** The results as sections of bench/results.md. */
export function auditMarkdown(results: AuditResults): string[] {
  const { maintenance: m, reads } = results;
  const latency = (summary: LatencySummary) => `${ms(summary.p50)} | ${ms(summary.p95)} | ${ms(summary.p99)}`;
  const writes = (label: string, summary: LiveWrites) =>
    `| ${label} | ${count(summary.samples)} | ${ms(summary.p50)} | ${ms(summary.p99)} | ${ms(summary.max)} | ${summary.failed} |`;
  const verified = (result: (typeof m.verify.measured)['result']) =>
    `${count(result.entries)} entries, ${result.ok ? 'chain intact' : `broken at ${result.brokenAt}`}`;
  return [
    '## Audit log maintenance (issue #6)',
    '',
    `On \`pastoral_bench\` as seeded: ${count(results.entries)} entries over three years in the live log`,
    `(${mib(results.auditLogMiB)} MiB with indexes; the InnoDB buffer pool is ${mib(results.innodbBufferPoolMiB)} MiB).`,
    ...(results.restoredFromArchive > 0
      ? [`${count(results.restoredFromArchive)} entries an earlier run had archived were moved back first.`]
      : []),
    `Archival cut-off: ${ARCHIVE_AFTER_DAYS} days before the seed's "now" (${m.cutoff.slice(0, 10)}). The jobs are the`,
    "functions behind `pastoral audit verify | archive | export`, on the CLI's database handle. Peak RSS Δ is this process's",
    'highest resident memory while the job ran, above where it started.',
    '',
    '| job | measured (s) | peak RSS Δ (MiB) | result | baseline (s) | peak RSS Δ (MiB) | baseline |',
    '| --- | ---: | ---: | --- | ---: | ---: | --- |',
    `| verifyChain | ${seconds(m.verify.measured.ms)} | ${mib(m.verify.measured.peakRssDeltaMiB)} | ${verified(m.verify.measured.result)} | ${seconds(m.verify.baseline.ms)} | ${mib(m.verify.baseline.peakRssDeltaMiB)} | stream the same ${count(m.verify.baseline.result)} rows in seq order, one SELECT per table, no hashing |`,
    `| archiveOlderThan, batches of ${count(ARCHIVE_BATCH_SIZE)} | ${seconds(m.archive.measured.ms)} | | ${count(m.archive.measured.moved)} moved in ${count(m.archive.measured.batches)} batches | ${seconds(m.archive.baseline.ms)} | | one transaction: INSERT…SELECT of all ${count(m.archive.baseline.moved)} old entries into the archive, then one DELETE |`,
    `| archiveOlderThan again | ${seconds(m.archiveRerun.ms)} | | ${count(m.archiveRerun.moved)} moved | | | |`,
    `| verifyChain after archival | ${seconds(m.verifyAfterArchival.measured.ms)} | ${mib(m.verifyAfterArchival.measured.peakRssDeltaMiB)} | ${verified(m.verifyAfterArchival.measured.result)} | ${seconds(m.verifyAfterArchival.baseline.ms)} | ${mib(m.verifyAfterArchival.baseline.peakRssDeltaMiB)} | as above, archive then live log |`,
    `| exportEntries, epoch to now, to /dev/null | ${seconds(m.export.measured.ms)} | ${mib(m.export.measured.peakRssDeltaMiB)} | ${count(m.export.measured.result.lines)} lines, ${mib(m.export.measured.result.bytes / 2 ** 20)} MiB | ${seconds(m.export.baseline.ms)} | ${mib(m.export.baseline.peakRssDeltaMiB)} | stream the same ${count(m.export.baseline.result)} rows in (occurred_at, id) order, one SELECT per table, no JSON |`,
    '',
    'The streaming baselines are the I/O floor: the rows the job reads, in its order, on a bare mysql2 connection,',
    'dropped as they arrive. What the job adds above them is its keyset paging, Kysely, and the SHA-256 of every',
    'entry (verify) or its JSON line (export).',
    m.archive.restoreMs === null
      ? `The one-transaction baseline ran on \`${m.archive.baselineDatabase}\`, the seed baseline's database: the same data (same profile, seed and "now"), dropped afterwards.`
      : `The one-transaction baseline ran on the same tables first; its entries were then moved back (${seconds(m.archive.restoreMs)} s, not counted) so the batched run had the same work.`,
    '',
    '### Live audit writes while archiving',
    '',
    `Another connection appends an audit entry (\`recordAuditEvent\`, the server's database handle with its`,
    `${seconds(results.requestTimeoutMs)}-second statement deadline) every ${LIVE_WRITE_PAUSE_MS} ms while the job runs: the time each append takes is`,
    'what a request writing an audit entry would wait. Baseline: the same writes with nothing else running.',
    '',
    '| while | writes | p50 (ms) | p99 (ms) | max (ms) | failed |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    writes('nothing else runs (baseline)', m.liveWritesIdle),
    writes('archiving in one transaction (baseline)', m.archive.baseline.liveWrites),
    writes(`archiveOlderThan, batches of ${count(ARCHIVE_BATCH_SIZE)}`, m.archive.measured.liveWrites),
    '',
    '## Audit log pages through the API (issue #6)',
    '',
    `After archival: ${count(results.afterArchival.live)} entries live, ${count(results.afterArchival.archived)} archived.`,
    "Each request posts the admin page's `auditLog` query (25 entries with `totalCount`, the actor's name and the",
    "school's code) over HTTP to the API listening on 127.0.0.1 (NODE_ENV=production, sessions in the database),",
    `one at a time: 20 warm-up requests, then ${TIMED_REQUESTS} timed. Baseline: the same page's rows read by one`,
    'hand-written SELECT with the same WHERE, ORDER BY and LIMIT (26 rows, one more than shown, as the API reads;',
    'for the archive, a UNION ALL of both tables) on a bare mysql2 connection, timed the same way: the ceiling, with',
    'no HTTP, GraphQL, session, count or names. The benchmark checks that both read the same 25 entries. The',
    'floor row is a signed-in request for the viewer alone: what HTTP, GraphQL and the session cost every page.',
    '**Target: p95 well under 20 ms.**',
    '',
    "| reader | page | API p50 (ms) | API p95 | API p99 | one SELECT p50 (ms) | p95 | p99 | the SELECT's plan (EXPLAIN) |",
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...reads.map(
      (read) =>
        `| ${read.viewer} | ${read.page} | ${latency(read.measured)} | ${read.baseline ? latency(read.baseline) : '— | — | —'} | ${read.baselinePlan ?? '—'} |`,
    ),
    '',
  ];
}
