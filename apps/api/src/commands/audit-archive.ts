import { Command, Option } from 'commander';
import { ConfigError } from '../config.ts';
import { AUDIT_ARCHIVE_JOB, runAuditArchiveJob } from '../modules/audit-log/audit-archive.job.ts';
import { currentJobLease } from '../modules/maintenance/job-lease.ts';
import { positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { seconds } from './output-format.ts';
import { withDatabase } from './with-database.ts';

export function auditArchiveCommand(io: CommandIo): Command {
  return new Command('archive')
    .description('Move entries older than the cut-off to the archive table, in short batches (safe to stop and rerun)')
    .addOption(new Option('--older-than <days>', 'the cut-off, as a number of days with a d: 90d').default('90d'))
    .addOption(new Option('--batch <n>', 'entries per transaction').argParser(positiveInteger).default(5000))
    .action(async (options: { olderThan: string; batch: number }) => {
      const match = /^(\d+)d$/.exec(options.olderThan);
      if (!match || Number(match[1]) < 1) throw new ConfigError('--older-than takes a number of days such as 90d.');
      await withDatabase(io, async (database) => {
        const started = performance.now();
        // The same lease as the API's scheduled run: two archivals at once would only deadlock each other.
        const result = await runAuditArchiveJob(
          database,
          { olderThanDays: Number(match[1]), batchSize: options.batch },
          { onBatch: (progress) => io.progress(`archived ${progress.moved.toLocaleString('en-GB')} entries…`) },
        );
        if (!result.ran) {
          const lease = await currentJobLease(database.db, AUDIT_ARCHIVE_JOB);
          throw new ConfigError(
            `Another process is archiving the audit log (${lease?.holder ?? 'unknown'}, its lease runs to ${lease?.expiresAt ?? 'unknown'} UTC): let it finish, or if it was killed, run this again once the lease has run out.`,
          );
        }
        if (io.isTerminal) io.progress('');
        io.out(
          `Archived ${result.moved.toLocaleString('en-GB')} entries older than ${match[1]} days in ${result.batches} batches, ${seconds(performance.now() - started)}.${result.leaseLost ? ' Stopped early: another process took over the lease (this one was too slow to renew it); run again to finish.' : ''}`,
        );
        if (result.leaseLost) io.exitCode = 1;
      });
    });
}
