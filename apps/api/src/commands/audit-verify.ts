import { Command } from 'commander';
import { verifyChain } from '../modules/audit-log/audit.maintenance.ts';
import { describeChain } from '../modules/audit-log/audit-chains.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function auditVerifyCommand(io: CommandIo): Command {
  return new Command('verify')
    .description(
      "Walk the archive and the live log, checking every link of every chain (each school's, the district's); exit 1 on a break",
    )
    .action(async () => {
      await withDatabase(io, async (database) => {
        const started = performance.now();
        const result = await verifyChain(database.db);
        const chains = result.chains.length.toLocaleString('en-GB');
        if (result.ok) {
          io.out(
            `The audit chain verifies: ${result.entries.toLocaleString('en-GB')} entries on ${chains} chains in ${seconds(performance.now() - started)}.`,
          );
        } else {
          const broken = result.chains.filter((report) => !report.ok).length.toLocaleString('en-GB');
          io.out(`The audit chain is broken: ${broken} of ${chains} chains do not verify.`);
          io.exitCode = 1;
        }
        // A line per chain: a school's broken chain does not hide that the others hold.
        for (const report of result.chains) {
          const chain = describeChain(report.chain, true);
          io.out(
            report.ok
              ? `  ${chain} verifies: ${report.entries.toLocaleString('en-GB')} entries.`
              : `  ${chain} is broken at entry ${report.brokenAt.toLocaleString('en-GB')}: it was edited, deleted, inserted or moved (${report.entries.toLocaleString('en-GB')} entries read).`,
          );
        }
      });
    });
}
