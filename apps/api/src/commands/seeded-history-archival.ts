import type { DatabaseHandle } from '@pastoral/db';
import type { Config } from '../config.ts';
import { runAuditArchiveJob } from '../modules/audit-log/audit-archive.job.ts';
import type { CommandIo } from './command-io.ts';

/**
 * Seeded data holds years of history, as if the district had used Pastoral all along; a district that had
 * would have had its audit log archived nightly. So the seeded log is archived once, as that job would have
 * left it, and a freshly seeded database passes `pastoral doctor` (whose archival check fails on a live log
 * holding entries years old).
 */
export async function archiveSeededHistory(io: CommandIo, database: DatabaseHandle, config: Config): Promise<void> {
  const { olderThanDays, batchSize } = config.auditArchive;
  const result = await runAuditArchiveJob(database, { olderThanDays, batchSize });
  if (result.ran && result.moved > 0) {
    io.out(
      `Archived the ${result.moved.toLocaleString('en-GB')} audit entries older than ${olderThanDays} days, as the nightly archival would have.`,
    );
  }
}
