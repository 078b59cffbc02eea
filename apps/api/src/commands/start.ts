import cluster from 'node:cluster';
import { migrateToLatest } from '@pastoral/db';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { type Config, loadConfig } from '../config.ts';
import { migrationsFolder, openDatabase } from '../database.ts';
import { createLogger } from '../logger.ts';
import { countSchools } from '../modules/schools/school.repository.ts';
import { SEED_PROFILES } from '../seed/profiles.ts';
import { seedDatabase } from '../seed/seed.ts';
import type { CommandIo } from './command-io.ts';
import { printDemoSignIns } from './demo-sign-ins.ts';
import { seconds } from './output-format.ts';
import { serve } from './serve.ts';
import { archiveSeededHistory } from './seeded-history-archival.ts';

export function startCommand(io: CommandIo): Command {
  return new Command('start')
    .description('Migrate, seed the demo profile if the database is empty, then serve: the quickest way to try it')
    .action(async () => {
      const config = loadConfig(io.env);
      const logger = createLogger(config);
      // A worker of the cluster only serves: the primary has migrated and seeded already.
      if (cluster.isWorker) {
        await serve(config, logger);
        return;
      }
      const description = await prepareDemoDatabase(io, config, logger);
      const workers = await serve(config, logger);
      const host = config.http.host === '0.0.0.0' ? 'localhost' : config.http.host;
      io.out(
        `\nPastoral is running at http://${host}:${config.http.port}/ (${description}, ${workers === 1 ? 'one process' : `${workers} worker processes`})`,
      );
      printDemoSignIns(io, config);
    });
}

/** Brings the schema up to date and seeds the demo profile into an empty database; resolves with its description. */
export async function prepareDemoDatabase(io: CommandIo, config: Config, logger: Logger): Promise<string> {
  const database = openDatabase(config, logger, 'admin');
  try {
    await migrateToLatest(database.db, migrationsFolder());
    if ((await countSchools(database.db)) === 0) {
      io.out('The database is empty: seeding the demo profile…');
      const summary = await seedDatabase(database, {
        profile: SEED_PROFILES.demo,
        seed: 1,
        asOf: new Date(),
        password: config.seedPassword,
      });
      io.out(`Seeded in ${seconds(summary.totalMs)}.`);
      await archiveSeededHistory(io, database, config);
    }
    return database.description;
  } finally {
    await database.destroy();
  }
}
