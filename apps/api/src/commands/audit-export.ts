import { Command, Option } from 'commander';
import { ConfigError } from '../config.ts';
import { exportEntries } from '../modules/audit-log/audit.maintenance.ts';
import { isoDate, positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { withDatabase } from './with-database.ts';

export function auditExportCommand(io: CommandIo): Command {
  return new Command('export')
    .description('Write the entries of a date range, archive included, to stdout as NDJSON, oldest first')
    .requiredOption('--from <date>', 'the first day, YYYY-MM-DD', isoDate)
    .requiredOption('--to <date>', 'the last day, YYYY-MM-DD (included)', isoDate)
    .addOption(new Option('--school <id>', 'only this school (its database id)').argParser(positiveInteger))
    .action(async (options: { from: Date; to: Date; school?: number }) => {
      if (options.to < options.from) throw new ConfigError('--to is before --from: give the earlier day to --from.');
      const to = new Date(options.to.getTime() + 86_400_000);
      await withDatabase(io, async (database) => {
        const written = await exportEntries(
          database.db,
          { from: options.from, to, ...(options.school === undefined ? {} : { schoolId: options.school }) },
          io.writeData,
        );
        // stdout carries the data, so the summary goes to stderr; on a terminal, progress() would overwrite it.
        io.error(`exported ${written.toLocaleString('en-GB')} entries\n`);
      });
    });
}
