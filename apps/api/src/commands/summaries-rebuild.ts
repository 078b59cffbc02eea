import { Command } from 'commander';
import { rebuildSchoolSummaries, summarisedSchoolIds } from '../modules/summaries/summary.repository.ts';
import { announceDashboardChange } from './announce-dashboard-change.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function summariesRebuildCommand(io: CommandIo): Command {
  return new Command('rebuild')
    .description(
      "Count every school's dashboard summaries afresh from its alerts, cases and students, one transaction a school; safe while the API runs",
    )
    .action(async () => {
      await withDatabase(io, async (database, config) => {
        const started = performance.now();
        const schoolIds = await summarisedSchoolIds(database.db);
        let rows = 0;
        for (const [index, schoolId] of schoolIds.entries()) {
          rows += await rebuildSchoolSummaries(database.db, schoolId);
          io.progress(`rebuilt ${index + 1} of ${schoolIds.length} schools…`);
        }
        if (io.isTerminal) io.progress('');
        io.out(
          `Rebuilt the summaries of ${schoolIds.length.toLocaleString('en-GB')} schools: ${rows.toLocaleString('en-GB')} rows in ${seconds(performance.now() - started)}.`,
        );
        await announceDashboardChange(io, config, database.description);
      });
    });
}
