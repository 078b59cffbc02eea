import { Command } from 'commander';
import { migrationsFolder } from '../database.ts';
import { runDoctor } from '../modules/maintenance/doctor.ts';
import type { CommandIo } from './command-io.ts';
import { withDatabase } from './with-database.ts';

export function doctorCommand(io: CommandIo): Command {
  return new Command('doctor')
    .description(
      'Check a deployment against the checklist: migrations, indexes, query plans, pool, partitions, archival, slow-query log',
    )
    .action(async () => {
      await withDatabase(io, async (database, config) => {
        const checks = await runDoctor(database, config, { migrationsFolder: migrationsFolder() });
        const width = Math.max(...checks.map((check) => check.name.length));
        for (const check of checks) {
          io.out(`${check.result.toUpperCase().padEnd(4)}  ${check.name.padEnd(width)}  ${check.detail}`);
          if (check.fix) io.out(`${' '.repeat(width + 8)}fix: ${check.fix}`);
        }
        const failed = checks.filter((check) => check.result === 'fail').length;
        const warned = checks.filter((check) => check.result === 'warn').length;
        io.out(
          `\n${checks.length - failed - warned} passed, ${warned} warning${warned === 1 ? '' : 's'}, ${failed} failed.`,
        );
        if (failed > 0) io.exitCode = 1;
      });
    });
}
