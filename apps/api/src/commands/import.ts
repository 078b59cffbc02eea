import { Argument, Command, Option } from 'commander';
import { IMPORT_KINDS, type ImportKind, importCsv } from '../modules/ingest/csv-import.ts';
import { loadRiskRules } from '../modules/risk/risk.rules-file.ts';
import { announceDashboardChange } from './announce-dashboard-change.ts';
import { positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function importCommand(io: CommandIo): Command {
  return new Command('import')
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
      await withDatabase(io, async (database, config) => {
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
            rejected: (line) => io.out(`line ${line.line}: ${line.field ? `${line.field}: ` : ''}${line.message}`),
            progress: (lines) => io.progress(`read ${lines.toLocaleString('en-GB')} lines…`),
          },
        );
        if (io.isTerminal) io.progress('');
        const verb = options.dryRun ? 'would apply' : 'applied';
        io.out(
          `${summary.lines.toLocaleString('en-GB')} lines read in ${seconds(performance.now() - started)}: ${verb} ${summary.applied.toLocaleString('en-GB')}, ` +
            `rejected ${summary.rejected.toLocaleString('en-GB')}` +
            (options.dryRun
              ? ' (dry run: nothing changed).'
              : `; recomputed ${summary.studentsRecomputed} students, ${summary.alertsRaised} alerts raised.`),
        );
        if (!options.dryRun && summary.applied > 0) await announceDashboardChange(io, config, database.description);
        // A file with rejected lines needs someone's attention: say so to scripts and schedulers too.
        if (summary.rejected > 0) io.exitCode = 1;
      });
    });
}
