/**
 * `pastoral doctor`: the source document's deployment checklist as checks against the running database and
 * configuration. Each check passes, warns or fails, and says how to fix what it found.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDb,
  type DatabaseHandle,
  migrateToLatest,
  migrationStatus,
  TABLE_COLUMNS,
  type TableName,
} from '@pastoral/db';
import type { Config } from '../../config.ts';
import { databaseVersion, maxConnections, oldestAuditEntryTime, slowQueryLogSettings } from './health.repository.ts';
import { HOT_QUERIES } from './hot-queries.ts';
import {
  SUMMARY_TRIGGERS,
  schoolSummaryMismatches,
  summarisedSchoolIds,
  summaryTriggerCount,
} from '../summaries/summary.repository.ts';

export type CheckResult = 'pass' | 'warn' | 'fail';

export interface Check {
  name: string;
  result: CheckResult;
  /** What was found. */
  detail: string;
  /** What to do about it; null when nothing is to be done. */
  fix: string | null;
}

/** Connections kept free for administrators, replication and monitoring. */
const RESERVED_CONNECTIONS = 10;
/** Past this share of max_connections, a second API host would not fit. */
const POOL_SHARE_WARNING = 0.5;
const DAY_MS = 86_400_000;
/** Archival may run late by this much before the check fails. */
const ARCHIVAL_SLACK_DAYS = 7;

export async function runDoctor(
  handle: DatabaseHandle,
  config: Config,
  { migrationsFolder, now = new Date() }: { migrationsFolder: string; now?: Date },
): Promise<Check[]> {
  const checks: Check[] = [];
  const attempt = async (name: string, check: () => Promise<Omit<Check, 'name'>>) => {
    try {
      checks.push({ name, ...(await check()) });
    } catch (error) {
      checks.push({
        name,
        result: 'fail',
        detail: `the check itself failed: ${(error as Error).message}`,
        fix: 'Check that DATABASE_URL names a reachable database whose user may read its catalog.',
      });
    }
  };

  await attempt('database answers', async () => {
    const version = await databaseVersion(handle.db, handle.engine);
    return {
      result: 'pass',
      detail: `${handle.description}, ${handle.engine === 'mysql' ? '' : 'SQLite '}${version}`,
      fix: null,
    };
  });
  if (checks[0]?.result === 'fail') return checks;

  await attempt('migrations current', async () => {
    const pending = (await migrationStatus(handle.db, migrationsFolder)).filter((migration) => !migration.executedAt);
    return pending.length === 0
      ? { result: 'pass', detail: 'every migration has run', fix: null }
      : {
          result: 'fail',
          detail: `${pending.length} not run: ${pending.map((migration) => migration.name).join(', ')}`,
          fix: 'Run `pnpm pastoral migrate` (back up first).',
        };
  });

  await attempt('expected indexes', async () => {
    const missing = await missingIndexes(handle, migrationsFolder);
    return missing.length === 0
      ? { result: 'pass', detail: 'every index the migrations create is there, with its columns', fix: null }
      : {
          result: 'fail',
          detail: `missing or different: ${missing.join('; ')}`,
          fix: 'Recreate them as the migrations define them (see migrations/), or revert and re-run the migration that made them.',
        };
  });

  for (const hot of HOT_QUERIES) {
    await attempt(`plan: ${hot.name}`, async () => {
      const plan = await handle.dialect.explain(hot.query(handle.db));
      const indexes = plan.map((step) => step.index);
      const scans = plan.filter((step) => step.table !== null && step.index === null).map((step) => step.table);
      if (indexes.includes(hot.index) && scans.length === 0) {
        return { result: 'pass', detail: `reads through ${hot.index}`, fix: null };
      }
      return {
        result: 'fail',
        detail: `reads ${plan.map((step) => `${step.table ?? '?'} by ${step.index ?? 'a full scan'}`).join(', ')}; expected ${hot.index}`,
        fix:
          handle.engine === 'mysql'
            ? `Refresh the statistics (ANALYZE TABLE ${[...new Set(plan.map((step) => step.table).filter(Boolean))].join(', ')}) and check that ${hot.index} exists.`
            : `Run ANALYZE and check that ${hot.index} exists.`,
      };
    });
  }

  await attempt('summary counts exact', async () => {
    const triggers = await summaryTriggerCount(handle.db, handle.engine);
    if (triggers !== SUMMARY_TRIGGERS) {
      return {
        result: 'fail',
        detail: `${triggers} of the ${SUMMARY_TRIGGERS} triggers that keep the dashboards' summary counts exist`,
        fix: 'Recreate them from migration 20261218100000_summary_counts (its down, then up), then run `pnpm pastoral summaries rebuild`.',
      };
    }
    const schools = await summarisedSchoolIds(handle.db);
    const wrong: string[] = [];
    for (const schoolId of schools) {
      for (const { row, stored, counted } of await schoolSummaryMismatches(handle.db, schoolId)) {
        wrong.push(
          `school ${schoolId} ${row.scope_kind} ${row.scope_id} ${row.metric} ${row.bucket}: ${stored}, counted ${counted}`,
        );
      }
    }
    if (wrong.length === 0) {
      return {
        result: 'pass',
        detail: `every summary row of ${schools.length} schools equals its full count`,
        fix: null,
      };
    }
    return {
      result: 'fail',
      detail: `${wrong.length} summary rows differ from their full counts (${wrong.slice(0, 3).join('; ')}${wrong.length > 3 ? '; …' : ''})`,
      fix: 'Run `pnpm pastoral summaries rebuild` (safe while the API runs); a student deleted with their alerts and cases leaves them counted.',
    };
  });

  await attempt('pool against max_connections', async () => {
    const perHost = config.database.poolSize + config.database.poolOverflow;
    if (handle.engine !== 'mysql') return { result: 'pass', detail: 'SQLite: one connection', fix: null };
    const max = await maxConnections(handle.db);
    const detail = `this host opens at most ${perHost} (DB_POOL_SIZE ${config.database.poolSize} + DB_POOL_OVERFLOW ${config.database.poolOverflow}, shared by all its workers); the server allows ${max}`;
    if (perHost > max - RESERVED_CONNECTIONS) {
      return {
        result: 'fail',
        detail,
        fix: `Lower DB_POOL_SIZE/DB_POOL_OVERFLOW, or raise max_connections above ${perHost + RESERVED_CONNECTIONS} (${RESERVED_CONNECTIONS} kept for administrators).`,
      };
    }
    if (perHost > max * POOL_SHARE_WARNING) {
      return {
        result: 'warn',
        detail: `${detail}: a second API host would not fit`,
        fix: `Raise max_connections to at least ${hostsFit(perHost, 2)} before adding a host.`,
      };
    }
    return { result: 'pass', detail, fix: null };
  });

  await attempt('audit partitions ahead', async () => {
    if (handle.engine !== 'mysql') return { result: 'pass', detail: 'SQLite: no partitions', fix: null };
    const names = new Set((await handle.dialect.listPartitions('audit_log')).map((partition) => partition.name));
    const year = now.getUTCFullYear();
    const missing = [year, year + 1].map((y) => `p${y}`).filter((name) => !names.has(name));
    return missing.length === 0
      ? { result: 'pass', detail: `partitions for ${year} and ${year + 1} exist`, fix: null }
      : {
          result: 'fail',
          detail: `no partition ${missing.join(' or ')}: entries land in the catch-all`,
          fix: 'Run `pnpm pastoral audit partitions` (the scheduled archival runs it too).',
        };
  });

  await attempt('audit archival running', async () => {
    const oldest = await oldestAuditEntryTime(handle.db);
    const limitDays = config.auditArchive.olderThanDays + ARCHIVAL_SLACK_DAYS;
    const ageDays = oldest
      ? Math.floor((now.getTime() - Date.parse(`${String(oldest).replace(' ', 'T')}Z`)) / DAY_MS)
      : 0;
    const scheduled = config.auditArchive.schedule
      ? `AUDIT_ARCHIVE_SCHEDULE is "${config.auditArchive.schedule}"`
      : 'AUDIT_ARCHIVE_SCHEDULE is not set';
    if (ageDays > limitDays) {
      return {
        result: 'fail',
        detail: `the live log's oldest entry is ${ageDays} days old (archival moves entries past ${config.auditArchive.olderThanDays}); ${scheduled}`,
        fix: 'Set AUDIT_ARCHIVE_SCHEDULE (such as "0 2 * * *"), or run `pnpm pastoral audit archive` from cron nightly.',
      };
    }
    return {
      result: config.auditArchive.schedule ? 'pass' : 'warn',
      detail: `the live log's oldest entry is ${ageDays} days old; ${scheduled}`,
      fix: config.auditArchive.schedule
        ? null
        : 'Set AUDIT_ARCHIVE_SCHEDULE, unless cron runs `pnpm pastoral audit archive`.',
    };
  });

  await attempt('slow-query logging', async () => {
    const app = `statements slower than ${config.database.slowQueryMs} ms are logged by the API (SLOW_QUERY_MS)`;
    if (handle.engine !== 'mysql') return { result: 'pass', detail: app, fix: null };
    const setting = await slowQueryLogSettings(handle.db);
    if (setting.slow_query_log !== 'ON') {
      return {
        result: 'warn',
        detail: `${app}; the server's own slow-query log is off (it would catch the command line's and other clients' statements too)`,
        fix: "SET GLOBAL slow_query_log = ON, long_query_time = 0.5 (and the same in the server's configuration file).",
      };
    }
    return {
      result: 'pass',
      detail: `${app}; the server logs statements over ${setting.long_query_time} s`,
      fix: null,
    };
  });

  return checks;
}

/** The max_connections that `hosts` hosts of `perHost` connections need, with the administrators' reserve. */
function hostsFit(perHost: number, hosts: number): number {
  return perHost * hosts + RESERVED_CONNECTIONS;
}

/**
 * Indexes the migrations create that the database lacks, or has with other columns. What they create is read
 * from a scratch SQLite database migrated for the purpose: the migrations keep both engines' catalogs alike.
 */
async function missingIndexes(handle: DatabaseHandle, migrationsFolder: string): Promise<string[]> {
  const folder = mkdtempSync(join(tmpdir(), 'pastoral-doctor-'));
  const scratch = createDb(`file:${join(folder, 'expected.sqlite')}`);
  try {
    await migrateToLatest(scratch.db, migrationsFolder);
    const missing: string[] = [];
    for (const table of Object.keys(TABLE_COLUMNS) as TableName[]) {
      const expected = (await scratch.dialect.listIndexes(table)).filter((index) => !index.name.startsWith('sqlite_'));
      const actual = new Map(
        (await handle.dialect.listIndexes(table)).map((index) => [index.name, index.columns.join(', ')]),
      );
      for (const index of expected) {
        const columns = index.columns.join(', ');
        if (actual.get(index.name) !== columns) missing.push(`${table}.${index.name} (${columns})`);
      }
    }
    return missing;
  } finally {
    await scratch.destroy();
    rmSync(folder, { recursive: true, force: true });
  }
}
