import { Command, Option } from 'commander';
import { describeChain } from '../modules/audit-log/audit-chains.ts';
import { purgeBefore } from '../modules/audit-log/audit.retention.ts';
import { isoDate, positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function auditPurgeCommand(io: CommandIo): Command {
  return new Command('purge')
    .description(
      "Delete entries before a date for the district's retention policy (archival never deletes); audited itself",
    )
    .requiredOption('--before <date>', 'the cut-off day, YYYY-MM-DD: entries before it go', isoDate)
    .option('--force', 'purge even entries still in the live log, or a range whose chain does not verify')
    .addOption(new Option('--batch <n>', 'entries per transaction').argParser(positiveInteger).default(5000))
    .action(async (options: { before: Date; force?: boolean; batch: number }) => {
      await withDatabase(io, async (database) => {
        const started = performance.now();
        const outcome = await purgeBefore(database, options.before, {
          force: options.force === true,
          batchSize: options.batch,
          now: new Date(),
          onBatch: (progress) => io.progress(`purged ${progress.purged.toLocaleString('en-GB')} entries…`),
        });
        if (io.isTerminal) io.progress('');
        const day = options.before.toISOString().slice(0, 10);
        if (outcome.cuts.length === 0) {
          io.out(`Nothing to purge: no entry before ${day} is left in any chain.`);
          io.out(
            `Deleted ${outcome.purgedViews.toLocaleString('en-GB')} views of students' records of days before ${day}.`,
          );
          return;
        }
        io.out(
          `Purged ${outcome.purged.toLocaleString('en-GB')} entries before ${day} from ${outcome.cuts.length.toLocaleString('en-GB')} chains in ${seconds(performance.now() - started)}; kept ${outcome.keptDisclosures.toLocaleString('en-GB')} disclosure entries of students still on record.`,
        );
        for (const cut of outcome.cuts) {
          io.out(
            `  ${describeChain(cut.chain, true)}: entries ${cut.fromSeq.toLocaleString('en-GB')} to ${cut.throughSeq.toLocaleString('en-GB')} purged; it now verifies from entry ${(cut.throughSeq + 1).toLocaleString('en-GB')}.`,
          );
        }
        io.out(
          `Deleted ${outcome.purgedViews.toLocaleString('en-GB')} views of students' records of days before ${day}.`,
        );
      });
    });
}
