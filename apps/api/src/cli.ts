/**
 * `pnpm pastoral <command>`: the operator's tool. A user's mistake is one clear line and a non-zero exit,
 * never a stack trace (set PASTORAL_DEBUG=1 to see one).
 */
import { type DatabaseHandle, MigrationFailedError, migrateDown, migrateToLatest, redact, ROLES } from '@pastoral/db';
import { Argument, Command, InvalidArgumentError, Option } from 'commander';
import { type Config, ConfigError, loadConfig } from './config.ts';
import { migrationsFolder, openDatabase } from './database.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import cluster from 'node:cluster';
import { planWorkers, runPrimary, workerMetrics } from './cluster.ts';
import { WELL_KNOWN_ACCOUNTS } from './seed/generate.ts';
import { SEED_PROFILES, type SeedProfile } from './seed/profiles.ts';
import { type SeedProgress, SeedError, seedDatabase } from './seed/seed.ts';
import { startServer } from './server.ts';
import { recomputeAll } from './modules/risk/risk.engine.ts';
import { sweepExpired } from './modules/maintenance/sweep.ts';
import { addYearPartitions, exportEntries, verifyChain } from './modules/audit-log/audit.maintenance.ts';
import { AUDIT_ARCHIVE_JOB, runAuditArchiveJob } from './modules/audit-log/audit-archive.job.ts';
import { currentJobLease } from './modules/maintenance/job-lease.ts';
import { PurgeRefusedError, purgeBefore } from './modules/audit-log/audit.retention.ts';
import { IMPORT_KINDS, type ImportKind, ImportFileError, importCsv } from './modules/ingest/csv-import.ts';
import { loadRiskRules, RiskRulesError } from './modules/risk/risk.rules-file.ts';
import { forgetEveryDashboard } from './modules/dashboard/dashboard.cache.ts';
import { runDoctor } from './modules/maintenance/doctor.ts';
import { forgetEndedSessions } from './modules/auth/session-cache.ts';
import { AccountChangeError, changePassword, changeRole } from './modules/users/user.mutations.ts';

/** Output of a command: progress goes to stderr (redrawn in place on a terminal), results to stdout. */
export interface CliOutput {
  out: (line: string) => void;
  progress: (line: string) => void;
  isTerminal: boolean;
}

const defaultOutput: CliOutput = {
  out: (line) => process.stdout.write(`${line}\n`),
  progress: (line) => {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  },
  isTerminal: Boolean(process.stderr.isTTY),
};

export function buildCli(output: CliOutput = defaultOutput): Command {
  const program = new Command('pastoral')
    .description('Pastoral: early warning and intervention for schools')
    .showHelpAfterError('(run with --help for usage)')
    // Before adding commands, so they inherit it: usage errors come back to runCli as exit code 2.
    .exitOverride()
    .configureOutput({ outputError: (message, write) => write(message) });

  program
    .command('migrate')
    .description('Bring the schema up to date, or revert it with --down')
    .option('--down', 'revert migrations instead of applying them')
    .addOption(
      new Option('--steps <n>', 'with --down: how many migrations to revert').argParser(positiveInteger).default(1),
    )
    .option('--all', 'with --down: revert every migration (drops all tables and their data)')
    .action(async (options: { down?: boolean; steps: number; all?: boolean }) => {
      await withDatabase(async (database) => {
        const folder = migrationsFolder();
        const outcome = options.down
          ? await migrateDown(database.db, folder, options.all ? Infinity : options.steps)
          : await migrateToLatest(database.db, folder);
        for (const result of outcome.results) {
          output.out(`${result.direction === 'Up' ? 'applied ' : 'reverted'} ${result.migrationName}`);
        }
        if (outcome.results.length === 0) output.out(options.down ? 'Nothing to revert.' : 'The schema is up to date.');
      });
    });

  program
    .command('seed')
    .description('Fill an empty database with generated, realistic data')
    .addOption(
      new Option('--profile <name>', 'how much data: demo (2 schools) or district (50 schools, 50,000 students)')
        .choices(Object.keys(SEED_PROFILES))
        .makeOptionMandatory(),
    )
    .addOption(
      new Option('--seed <n>', 'random seed: the same seed gives the same data').argParser(positiveInteger).default(1),
    )
    .addOption(new Option('--as-of <date>', 'the day the data ends on, YYYY-MM-DD (default: today)').argParser(isoDate))
    .option('--reset', 'drop and recreate every table first (destroys all data)')
    .action(async (options: { profile: SeedProfile['name']; seed: number; asOf?: Date; reset?: boolean }) => {
      await withDatabase(async (database, config) => {
        if (options.reset) {
          await migrateDown(database.db, migrationsFolder(), Infinity);
          await migrateToLatest(database.db, migrationsFolder());
        }
        const summary = await seedDatabase(database, {
          profile: SEED_PROFILES[options.profile],
          seed: options.seed,
          asOf: options.asOf ?? new Date(),
          password: config.seedPassword,
          onProgress: progressPrinter(output),
        });
        if (output.isTerminal) output.progress('');
        output.out(
          `Seeded the ${options.profile} profile into ${database.description} in ${seconds(summary.totalMs)}:`,
        );
        const width = Math.max(...summary.tables.map((t) => t.table.length));
        for (const { table, rows, ms } of summary.tables) {
          output.out(
            `  ${table.padEnd(width)}  ${rows.toLocaleString('en-GB').padStart(10)} rows  ${seconds(ms).padStart(7)}`,
          );
        }
        output.out(`  (generating the data took ${seconds(summary.generateMs)})`);
        printSignIns(output, config, summary.wellKnownClassroom);
      });
    });

  /** A job changed what dashboards count: API processes forget their cached figures, or catch up within the TTL. */
  async function announceChange(config: Config, databaseDescription: string) {
    const forgotten = await forgetEveryDashboard(config.redisUrl, databaseDescription).catch((error: unknown) => {
      output.out(`Could not reach Redis to refresh the dashboards (${(error as Error).message}).`);
      return false;
    });
    if (!forgotten && config.dashboardCache.ttlSeconds > 0) {
      output.out(
        `Dashboards show the new figures within ${config.dashboardCache.ttlSeconds} s (DASHBOARD_CACHE_TTL_S).`,
      );
    }
  }

  program
    .command('recompute-risk')
    .description("Recompute every active student's risk profile and alerts, in set-based batches")
    .addOption(new Option('--school <id>', 'only this school (its database id)').argParser(positiveInteger))
    .action(async (options: { school?: number }) => {
      await withDatabase(async (database, config) => {
        const rules = loadRiskRules(config.riskRulesFile);
        const started = performance.now();
        const summary = await recomputeAll(
          {
            db: database.db,
            dialect: database.dialect,
            rules,
            actor: { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null },
            now: new Date(),
          },
          {
            schoolId: options.school,
            onBatch: (done) => output.progress(`recomputed ${done.toLocaleString('en-GB')} students…`),
          },
        );
        if (output.isTerminal) output.progress('');
        output.out(
          `Recomputed ${summary.students.toLocaleString('en-GB')} students with rules ${rules.version} in ${seconds(performance.now() - started)}: ` +
            `${summary.levelChanged} changed level; alerts ${summary.alertsRaised} raised, ${summary.alertsRaisedInBand} moved to a worse band, ${summary.alertsResolved} resolved.`,
        );
        await announceChange(config, database.description);
      });
    });

  program
    .command('import')
    .description('Import a CSV file of students, attendance, behaviour or assessment results, as the API would')
    .addArgument(new Argument('<kind>', 'what the file holds').choices(IMPORT_KINDS))
    .argument('<file>', 'the CSV file, UTF-8, with a header line naming the columns')
    .addOption(
      new Option('--school <id>', 'the school the records belong to (its database id)')
        .argParser(positiveInteger)
        .makeOptionMandatory(),
    )
    .option('--dry-run', 'check every line and report, without changing anything')
    .action(async (kind: ImportKind, file: string, options: { school: number; dryRun?: boolean }) => {
      await withDatabase(async (database, config) => {
        const started = performance.now();
        const summary = await importCsv(
          {
            db: database.db,
            dialect: database.dialect,
            rules: loadRiskRules(config.riskRulesFile),
            now: new Date(),
            kind,
            file,
            schoolId: options.school,
            dryRun: Boolean(options.dryRun),
          },
          {
            rejected: (line) => output.out(`line ${line.line}: ${line.field ? `${line.field}: ` : ''}${line.message}`),
            progress: (lines) => output.progress(`read ${lines.toLocaleString('en-GB')} lines…`),
          },
        );
        if (output.isTerminal) output.progress('');
        const verb = options.dryRun ? 'would apply' : 'applied';
        output.out(
          `${summary.lines.toLocaleString('en-GB')} lines read in ${seconds(performance.now() - started)}: ${verb} ${summary.applied.toLocaleString('en-GB')}, ` +
            `rejected ${summary.rejected.toLocaleString('en-GB')}` +
            (options.dryRun
              ? ' (dry run: nothing changed).'
              : `; recomputed ${summary.studentsRecomputed} students, ${summary.alertsRaised} alerts raised.`),
        );
        if (!options.dryRun && summary.applied > 0) await announceChange(config, database.description);
        // A file with rejected lines needs someone's attention: say so to scripts and schedulers too.
        if (summary.rejected > 0) process.exitCode = 1;
      });
    });

  const audit = program
    .command('audit')
    .description('Keep the audit log fast and verifiable: partitions, archival, verification, export, retention');
  audit
    .command('verify')
    .description('Walk the archive and the live log, checking every link of the hash chain (exit 1 on a break)')
    .action(async () => {
      await withDatabase(async (database) => {
        const started = performance.now();
        const result = await verifyChain(database.db);
        if (result.ok) {
          output.out(
            `The audit chain verifies: ${result.entries.toLocaleString('en-GB')} entries in ${seconds(performance.now() - started)}.`,
          );
        } else {
          output.out(
            `The audit chain is broken at entry ${result.brokenAt.toLocaleString('en-GB')}: it was edited, deleted, inserted or moved (${result.entries.toLocaleString('en-GB')} entries read).`,
          );
          process.exitCode = 1;
        }
      });
    });
  audit
    .command('partitions')
    .description("Add the coming years' partitions ahead of time (MySQL; idempotent)")
    .action(async () => {
      await withDatabase(async (database) => {
        const added = await addYearPartitions(database, new Date());
        output.out(
          database.engine !== 'mysql'
            ? 'SQLite keeps the audit log in one table: nothing to partition.'
            : added.length > 0
              ? `Added partitions ${added.join(', ')}.`
              : 'The partitions are in place for this year and the next two.',
        );
      });
    });
  audit
    .command('archive')
    .description('Move entries older than the cut-off to the archive table, in short batches (safe to stop and rerun)')
    .addOption(new Option('--older-than <days>', 'the cut-off, as a number of days with a d: 90d').default('90d'))
    .addOption(new Option('--batch <n>', 'entries per transaction').argParser(positiveInteger).default(5000))
    .action(async (options: { olderThan: string; batch: number }) => {
      const match = /^(\d+)d$/.exec(options.olderThan);
      if (!match || Number(match[1]) < 1) throw new ConfigError('--older-than takes a number of days such as 90d.');
      await withDatabase(async (database) => {
        const started = performance.now();
        // The same lease as the API's scheduled run: two archivals at once would only deadlock each other.
        const result = await runAuditArchiveJob(
          database,
          { olderThanDays: Number(match[1]), batchSize: options.batch },
          { onBatch: (progress) => output.progress(`archived ${progress.moved.toLocaleString('en-GB')} entries…`) },
        );
        if (!result.ran) {
          const lease = await currentJobLease(database.db, AUDIT_ARCHIVE_JOB);
          throw new ConfigError(
            `Another process is archiving the audit log (${lease?.holder ?? 'unknown'}, its lease runs to ${lease?.expiresAt ?? 'unknown'} UTC): let it finish, or if it was killed, run this again once the lease has run out.`,
          );
        }
        if (output.isTerminal) output.progress('');
        output.out(
          `Archived ${result.moved.toLocaleString('en-GB')} entries older than ${match[1]} days in ${result.batches} batches, ${seconds(performance.now() - started)}.${result.leaseLost ? ' Stopped early: another process took over the lease (this one was too slow to renew it); run again to finish.' : ''}`,
        );
        if (result.leaseLost) process.exitCode = 1;
      });
    });

  audit
    .command('export')
    .description('Write the entries of a date range, archive included, to stdout as NDJSON, oldest first')
    .requiredOption('--from <date>', 'the first day, YYYY-MM-DD', isoDate)
    .requiredOption('--to <date>', 'the last day, YYYY-MM-DD (included)', isoDate)
    .addOption(new Option('--school <id>', 'only this school (its database id)').argParser(positiveInteger))
    .action(async (options: { from: Date; to: Date; school?: number }) => {
      if (options.to < options.from) throw new ConfigError('--to is before --from: give the earlier day to --from.');
      const to = new Date(options.to.getTime() + 86_400_000);
      await withDatabase(async (database) => {
        const written = await exportEntries(
          database.db,
          { from: options.from, to, ...(options.school === undefined ? {} : { schoolId: options.school }) },
          writeRespectingBackpressure,
        );
        // stdout carries the data, so the summary goes to stderr; on a terminal, progress() would overwrite it.
        process.stderr.write(`exported ${written.toLocaleString('en-GB')} entries\n`);
      });
    });

  audit
    .command('purge')
    .description(
      "Delete entries before a date for the district's retention policy (archival never deletes); audited itself",
    )
    .requiredOption('--before <date>', 'the cut-off day, YYYY-MM-DD: entries before it go', isoDate)
    .option('--force', 'purge even entries still in the live log, or a range whose chain does not verify')
    .addOption(new Option('--batch <n>', 'entries per transaction').argParser(positiveInteger).default(5000))
    .action(async (options: { before: Date; force?: boolean; batch: number }) => {
      await withDatabase(async (database) => {
        const started = performance.now();
        const outcome = await purgeBefore(database, options.before, {
          force: options.force === true,
          batchSize: options.batch,
          now: new Date(),
          onBatch: (progress) => output.progress(`purged ${progress.purged.toLocaleString('en-GB')} entries…`),
        });
        if (output.isTerminal) output.progress('');
        const day = options.before.toISOString().slice(0, 10);
        if (outcome.throughSeq === null) {
          output.out(`Nothing to purge: no entry before ${day} is left in the chain.`);
          output.out(
            `Deleted ${outcome.purgedViews.toLocaleString('en-GB')} views of students' records of days before ${day}.`,
          );
          return;
        }
        output.out(
          `Purged ${outcome.purged.toLocaleString('en-GB')} entries before ${day} (through entry ${outcome.throughSeq.toLocaleString('en-GB')}) in ${seconds(performance.now() - started)}; kept ${outcome.keptDisclosures.toLocaleString('en-GB')} disclosure entries of students still on record. The chain now verifies from entry ${(outcome.throughSeq + 1).toLocaleString('en-GB')}.`,
        );
        output.out(
          `Deleted ${outcome.purgedViews.toLocaleString('en-GB')} views of students' records of days before ${day}.`,
        );
      });
    });

  /** A password or role changed: its user's sessions ended, and every API process is told to forget them. */
  async function reportEndedSessions(config: Config, change: string, endedSessions: string[]) {
    const told = await forgetEndedSessions(config.redisUrl, endedSessions).catch((error: unknown) => {
      output.out(`Could not reach Redis to tell the API processes (${(error as Error).message}).`);
      return false;
    });
    const count = endedSessions.length;
    output.out(`${change}; ended ${count} session${count === 1 ? '' : 's'}.`);
    if (count > 0 && !told && config.sessionCache.ttlSeconds > 0) {
      output.out(
        `API processes that had them cached refuse them within ${config.sessionCache.ttlSeconds} s (SESSION_CACHE_TTL_S); with REDIS_URL set, at once.`,
      );
    }
  }

  const user = program
    .command('user')
    .description("Change a member of staff's password or role; either ends every session of theirs");
  user
    .command('set-password')
    .description('Set a new password, read as one line from standard input, and end their sessions')
    .argument('<email>', "the member of staff's e-mail address")
    .action(async (email: string) => {
      const password = await readLineFromStdin();
      await withDatabase(async (database, config) => {
        const changed = await changePassword({ ...database, now: new Date() }, email, password);
        await reportEndedSessions(config, `Changed the password of ${email.trim()}`, changed.endedSessions);
      });
    });
  user
    .command('set-role')
    .description('Give a member of staff another role, and end their sessions')
    .argument('<email>', "the member of staff's e-mail address")
    .addArgument(new Argument('<role>', 'the new role').choices(ROLES))
    .addOption(
      new Option('--school <id>', 'for a district admin given a school role: the school (its database id)').argParser(
        positiveInteger,
      ),
    )
    .action(async (email: string, role: string, options: { school?: number }) => {
      await withDatabase(async (database, config) => {
        const changed = await changeRole({ ...database, now: new Date() }, email, role, options.school);
        await reportEndedSessions(config, `${email.trim()} is now a ${role}`, changed.endedSessions);
      });
    });

  program
    .command('sweep')
    .description(
      'Delete expired sessions, idempotency keys past their keeping time and old throttling windows, and close ended audit summaries (run it daily)',
    )
    .action(async () => {
      await withDatabase(async (database) => {
        const summary = await sweepExpired(database, new Date());
        output.out(
          `Removed ${summary.sessions} expired sessions, ${summary.idempotencyKeys} idempotency keys, ${summary.rateLimits} throttling windows and ${summary.signInAddresses} sign-in addresses unused for 30 days; closed ${summary.auditSummaries} summarised audit windows.`,
        );
      });
    });

  program
    .command('doctor')
    .description(
      'Check a deployment against the checklist: migrations, indexes, query plans, pool, partitions, archival, slow-query log',
    )
    .action(async () => {
      await withDatabase(async (database, config) => {
        const checks = await runDoctor(database, config, { migrationsFolder: migrationsFolder() });
        const width = Math.max(...checks.map((check) => check.name.length));
        for (const check of checks) {
          output.out(`${check.result.toUpperCase().padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}`);
          if (check.fix) output.out(`${' '.repeat(width + 8)}fix: ${check.fix}`);
        }
        const failed = checks.filter((check) => check.result === 'fail').length;
        const warned = checks.filter((check) => check.result === 'warn').length;
        output.out(
          `\n${checks.length - failed - warned} passed, ${warned} warning${warned === 1 ? '' : 's'}, ${failed} failed.`,
        );
        if (failed > 0) process.exitCode = 1;
      });
    });

  program
    .command('serve')
    .description('Serve the API and the web app with WEB_CONCURRENCY workers (no migrations, no seeding)')
    .action(async () => {
      const config = loadConfig();
      await serve(config, createLogger(config));
    });

  program
    .command('start')
    .description('Migrate, seed the demo profile if the database is empty, then serve: the quickest way to try it')
    .action(async () => {
      const config = loadConfig();
      const logger = createLogger(config);
      // A worker of the cluster only serves: the primary has migrated and seeded already.
      if (cluster.isWorker) return serveOneProcess(config, logger);
      const database = openDatabase(config, logger, 'admin');
      try {
        await migrateToLatest(database.db, migrationsFolder());
        const schools = await database.db
          .selectFrom('schools')
          .select((eb) => eb.fn.countAll<number>().as('count'))
          .executeTakeFirstOrThrow();
        if (Number(schools.count) === 0) {
          output.out('The database is empty: seeding the demo profile…');
          const summary = await seedDatabase(database, {
            profile: SEED_PROFILES.demo,
            seed: 1,
            asOf: new Date(),
            password: config.seedPassword,
          });
          output.out(`Seeded in ${seconds(summary.totalMs)}.`);
        }
      } finally {
        await database.destroy();
      }
      const workers = await serve(config, logger);
      const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
      output.out(
        `\nPastoral is running at http://${host}:${config.http.port}/ (${database.description}, ${workers === 1 ? 'one process' : `${workers} worker processes`})`,
      );
      printSignIns(output, config);
    });

  return program;
}

/** Serves in this process, or as the primary of WEB_CONCURRENCY workers; resolves with how many serve, once all listen. */
async function serve(config: Config, logger: ReturnType<typeof createLogger>): Promise<number> {
  if (cluster.isWorker) {
    await serveOneProcess(config, logger);
    return 1;
  }
  const plan = planWorkers(config);
  if (plan.workers === 1) {
    await serveOneProcess(config, logger);
    return 1;
  }
  logger.info({ workers: plan.workers, poolPerWorker: plan.pool }, 'starting the workers');
  await runPrimary({ config, logger, plan });
  return plan.workers;
}

async function serveOneProcess(config: Config, logger: ReturnType<typeof createLogger>): Promise<void> {
  const metrics = workerMetrics(createMetrics());
  await startServer({ config, database: openDatabase(config, logger, 'serve', metrics), logger, metrics });
}

function printSignIns(output: CliOutput, config: Config, classroom?: string): void {
  output.out(
    `\nDemo sign-ins (password: ${config.seedPassword === 'pastoral-demo' ? 'pastoral-demo' : 'the SEED_PASSWORD you set'}):`,
  );
  for (const [email, account] of Object.entries(WELL_KNOWN_ACCOUNTS)) {
    output.out(`  ${email.padEnd(36)} ${account.role.padEnd(15)} ${account.description}`);
  }
  if (classroom) output.out(`  (form.master@s01 is the form master of ${classroom})`);
}

function progressPrinter(output: CliOutput): (event: SeedProgress) => void {
  let lastLine = 0;
  return (event) => {
    if (event.phase === 'hashing') output.progress('hashing the demo passwords (argon2id)…');
    else if (event.phase === 'generating') output.progress('generating the data…');
    else if (event.phase === 'loaded') {
      if (!output.isTerminal) output.progress(`loaded ${event.table}: ${event.rows.toLocaleString('en-GB')} rows`);
    } else if (event.phase === 'loading' && output.isTerminal && performance.now() - lastLine > 100) {
      lastLine = performance.now();
      const percent = Math.floor((100 * event.loaded) / event.total);
      output.progress(
        `loading ${event.table}: ${event.loaded.toLocaleString('en-GB')} of ${event.total.toLocaleString('en-GB')} (${percent}%)`,
      );
    }
  };
}

async function withDatabase(work: (database: DatabaseHandle, config: Config) => Promise<void>): Promise<void> {
  const config = loadConfig();
  const database = openDatabase(config, createLogger({ logLevel: 'warn' }, 'stderr'), 'admin');
  try {
    await work(database, config);
  } finally {
    await database.destroy();
  }
}

function positiveInteger(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1) throw new InvalidArgumentError('expected a whole number of at least 1.');
  return number;
}

function isoDate(value: string): Date {
  const date = new Date(`${value}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== value) {
    throw new InvalidArgumentError('expected a date as YYYY-MM-DD.');
  }
  return date;
}

/**
 * The first line of standard input, for a secret that must not be in the command line (where `ps` and the
 * shell's history would keep it). A terminal is refused: what is typed there would show.
 */
async function readLineFromStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new ConfigError(
      'Give the new password on standard input, not typed at the terminal: read -rs P && printf \'%s\\n\' "$P" | pnpm pastoral user set-password <email>',
    );
  }
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}

/** Waits for stdout to drain when its buffer is full, so a slow reader never makes the export hold rows. */
async function writeRespectingBackpressure(chunk: string): Promise<void> {
  if (process.stdout.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    process.stdout.once('error', onError);
    process.stdout.once('drain', () => {
      process.stdout.off('error', onError);
      resolve();
    });
  });
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One line that says what went wrong and what to do, for the errors a user can cause. */
export function describeError(error: unknown, databaseUrl?: string): string | undefined {
  if (
    error instanceof ConfigError ||
    error instanceof SeedError ||
    error instanceof RiskRulesError ||
    error instanceof ImportFileError ||
    error instanceof PurgeRefusedError ||
    error instanceof AccountChangeError
  )
    return error.message;
  // The first cause a user can act on: a failed migration wraps an unavailable database, which wraps the
  // connection error that names the problem.
  const cause = (error as { cause?: unknown } | null)?.cause;
  const fromCause = cause === undefined ? undefined : describeError(cause, databaseUrl);
  if (fromCause) return fromCause;
  if (error instanceof MigrationFailedError) return error.message;
  const { code, errno, message, address, port, hostname } = error as {
    code?: string;
    errno?: number;
    message?: string;
    address?: string;
    port?: number;
    hostname?: string;
  };
  const where = databaseUrl ? redact(databaseUrl) : 'the database';
  switch (code) {
    case 'ECONNREFUSED':
      return `Cannot reach the database at ${address ?? ''}${port ? `:${port}` : ''} (connection refused): is MySQL running, and is DATABASE_URL right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot find the database host ${hostname ?? ''}: check the host name in DATABASE_URL.`;
    case 'ETIMEDOUT':
      return `The database at ${where} did not answer in time: check DATABASE_URL, the network and any firewall.`;
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return `The database refused the sign-in (${message ?? 'access denied'}): check the user and password in DATABASE_URL.`;
    case 'ER_BAD_DB_ERROR':
      return `${message ?? 'Unknown database'}: create it first (CREATE DATABASE …), or fix the name in DATABASE_URL.`;
    case 'SQLITE_CANTOPEN':
      return `Cannot open the SQLite file of ${where}: check that its folder is writable.`;
    case 'SQLITE_NOTADB':
      return `${where} is not an SQLite database: point DATABASE_URL at another file.`;
  }
  if (code === 'PROTOCOL_CONNECTION_LOST' || errno === 2013) {
    return `The database closed the connection (${message ?? ''}): check that it is running and reachable.`;
  }
  return undefined;
}

export async function runCli(argv: string[], output: CliOutput = defaultOutput): Promise<number> {
  try {
    await buildCli(output).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const commanderCode = (error as { code?: string }).code;
    if (commanderCode?.startsWith('commander.')) {
      // Commander has printed its message (or the help) already.
      return commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version' ? 0 : 2;
    }
    const databaseUrl = safeDatabaseUrl();
    const known = describeError(error, databaseUrl);
    if (known && !process.env.PASTORAL_DEBUG) {
      process.stderr.write(`error: ${known}\n`);
    } else {
      process.stderr.write(`error: ${(error as Error).message ?? String(error)}\n`);
      if (process.env.PASTORAL_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
      else process.stderr.write('(set PASTORAL_DEBUG=1 to see the stack trace)\n');
    }
    return 1;
  }
}

function safeDatabaseUrl(): string | undefined {
  try {
    return loadConfig().database.url;
  } catch {
    return undefined;
  }
}

// Run when executed directly (`tsx src/cli.ts`, `node dist/cli.js`), not when imported by tests.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const code = await runCli(process.argv.slice(2));
  // `serve` and `start` keep running; every other command ends here.
  const command = process.argv[2];
  if (code !== 0 || (command !== 'serve' && command !== 'start')) process.exit(code || process.exitCode || 0);
}
