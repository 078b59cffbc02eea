import { Command } from 'commander';
import { verifyChain } from '../modules/audit-log/audit.maintenance.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function auditVerifyCommand(io: CommandIo): Command {
  return new Command('verify')
    .description('Walk the archive and the live log, checking every link of the hash chain (exit 1 on a break)')
    .action(async () => {
      await withDatabase(io, async (database) => {
        const started = performance.now();
        const result = await verifyChain(database.db);
        if (result.ok) {
          io.out(
            `The audit chain verifies: ${result.entries.toLocaleString('en-GB')} entries in ${seconds(performance.now() - started)}.`,
          );
        } else {
          io.out(
            `The audit chain is broken at entry ${result.brokenAt.toLocaleString('en-GB')}: it was edited, deleted, inserted or moved (${result.entries.toLocaleString('en-GB')} entries read).`,
          );
          io.exitCode = 1;
        }
      });
    });
}
