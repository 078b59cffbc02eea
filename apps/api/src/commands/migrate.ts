import { migrateDown, migrateToLatest } from '@pastoral/db';
import { Command, Option } from 'commander';
import { migrationsFolder } from '../database.ts';
import { positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { withDatabase } from './with-database.ts';

export function migrateCommand(io: CommandIo): Command {
  return new Command('migrate')
    .description('Bring the schema up to date, or revert it with --down')
    .option('--down', 'revert migrations instead of applying them')
    .addOption(
      new Option('--steps <n>', 'with --down: how many migrations to revert').argParser(positiveInteger).default(1),
    )
    .option('--all', 'with --down: revert every migration (drops all tables and their data)')
    .action(async (options: { down?: boolean; steps: number; all?: boolean }) => {
      await withDatabase(io, async (database) => {
        const folder = migrationsFolder();
        const outcome = options.down
          ? await migrateDown(database.db, folder, options.all ? Infinity : options.steps)
          : await migrateToLatest(database.db, folder);
        for (const result of outcome.results) {
          io.out(`${result.direction === 'Up' ? 'applied ' : 'reverted'} ${result.migrationName}`);
        }
        if (outcome.results.length === 0) io.out(options.down ? 'Nothing to revert.' : 'The schema is up to date.');
      });
    });
}
