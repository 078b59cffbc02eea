import { Command } from 'commander';
import { sweepExpired } from '../modules/maintenance/sweep.ts';
import type { CommandIo } from './command-io.ts';
import { withDatabase } from './with-database.ts';

export function sweepCommand(io: CommandIo): Command {
  return new Command('sweep')
    .description(
      'Delete expired sessions, idempotency keys past their keeping time and old throttling windows, and close ended audit summaries (run it daily)',
    )
    .action(async () => {
      await withDatabase(io, async (database) => {
        const summary = await sweepExpired(database, new Date());
        io.out(
          `Removed ${summary.sessions} expired sessions, ${summary.idempotencyKeys} idempotency keys, ${summary.rateLimits} throttling windows and ${summary.signInAddresses} sign-in addresses unused for 30 days; closed ${summary.auditSummaries} summarised audit windows.`,
        );
      });
    });
}
