import { Command } from 'commander';
import { addYearPartitions } from '../modules/audit-log/audit.maintenance.ts';
import type { CommandIo } from './command-io.ts';
import { withDatabase } from './with-database.ts';

export function auditPartitionsCommand(io: CommandIo): Command {
  return new Command('partitions')
    .description("Add the coming years' partitions ahead of time (MySQL; idempotent)")
    .action(async () => {
      await withDatabase(io, async (database) => {
        const added = await addYearPartitions(database, new Date());
        io.out(
          database.engine !== 'mysql'
            ? 'SQLite keeps the audit log in one table: nothing to partition.'
            : added.length > 0
              ? `Added partitions ${added.join(', ')}.`
              : 'The partitions are in place for this year and the next two.',
        );
      });
    });
}
