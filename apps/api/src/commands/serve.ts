import cluster from 'node:cluster';
import { Command } from 'commander';
import type { Logger } from 'pino';
import { planWorkers, runPrimary, workerMetrics } from '../cluster.ts';
import { type Config, loadConfig } from '../config.ts';
import { openDatabase } from '../database.ts';
import { createLogger } from '../logger.ts';
import { createMetrics } from '../server/metrics.ts';
import { startServer } from '../server.ts';
import type { CommandIo } from './command-io.ts';

export function serveCommand(io: CommandIo): Command {
  return new Command('serve')
    .description('Serve the API and the web app with WEB_CONCURRENCY workers (no migrations, no seeding)')
    .action(async () => {
      const config = loadConfig(io.env);
      await serve(config, createLogger(config));
    });
}

/** Serves in this process, or as the primary of WEB_CONCURRENCY workers; resolves with how many serve, once all listen. */
export async function serve(config: Config, logger: Logger): Promise<number> {
  if (cluster.isWorker) {
    await serveOneProcess(config, logger);
    return 1;
  }
  const plan = planWorkers(config);
  if (plan.workers === 1) {
    await serveOneProcess(config, logger);
    return 1;
  }
  logger.info({ workers: plan.workers, poolPerWorker: plan.pool }, 'starting the workers');
  await runPrimary({ config, logger, plan });
  return plan.workers;
}

async function serveOneProcess(config: Config, logger: Logger): Promise<void> {
  const metrics = workerMetrics(createMetrics());
  await startServer({ config, database: openDatabase(config, logger, 'serve', metrics), logger, metrics });
}
