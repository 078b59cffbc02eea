import { migrateDown, migrateToLatest } from '@pastoral/db';
import { Command, Option } from 'commander';
import { migrationsFolder } from '../database.ts';
import { SEED_PROFILES, type SeedProfile } from '../seed/profiles.ts';
import { type SeedProgress, seedDatabase } from '../seed/seed.ts';
import { isoDate, positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { printDemoSignIns } from './demo-sign-ins.ts';
import { seconds } from './output-format.ts';
import { archiveSeededHistory } from './seeded-history-archival.ts';
import { withDatabase } from './with-database.ts';

export function seedCommand(io: CommandIo): Command {
  return new Command('seed')
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
      await withDatabase(io, async (database, config) => {
        if (options.reset) {
          await migrateDown(database.db, migrationsFolder(), Infinity);
          await migrateToLatest(database.db, migrationsFolder());
        }
        const summary = await seedDatabase(database, {
          profile: SEED_PROFILES[options.profile],
          seed: options.seed,
          asOf: options.asOf ?? new Date(),
          password: config.seedPassword,
          onProgress: progressPrinter(io),
        });
        if (io.isTerminal) io.progress('');
        io.out(`Seeded the ${options.profile} profile into ${database.description} in ${seconds(summary.totalMs)}:`);
        const width = Math.max(...summary.tables.map((t) => t.table.length));
        for (const { table, rows, ms } of summary.tables) {
          io.out(
            `  ${table.padEnd(width)}  ${rows.toLocaleString('en-GB').padStart(10)} rows  ${seconds(ms).padStart(7)}`,
          );
        }
        io.out(`  (generating the data took ${seconds(summary.generateMs)})`);
        await archiveSeededHistory(io, database, config);
        printDemoSignIns(io, config, summary.wellKnownClassroom);
      });
    });
}

function progressPrinter(io: CommandIo): (event: SeedProgress) => void {
  let lastLine = 0;
  return (event) => {
    if (event.phase === 'hashing') io.progress('hashing the demo passwords (argon2id)…');
    else if (event.phase === 'generating') io.progress('generating the data…');
    else if (event.phase === 'loaded') {
      if (!io.isTerminal) io.progress(`loaded ${event.table}: ${event.rows.toLocaleString('en-GB')} rows`);
    } else if (event.phase === 'loading' && io.isTerminal && performance.now() - lastLine > 100) {
      lastLine = performance.now();
      const percent = Math.floor((100 * event.loaded) / event.total);
      io.progress(
        `loading ${event.table}: ${event.loaded.toLocaleString('en-GB')} of ${event.total.toLocaleString('en-GB')} (${percent}%)`,
      );
    }
  };
}
