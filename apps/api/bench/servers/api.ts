/**
 * One API process for the benchmark, in a process of its own so that the client's work never shares its event
 * loop: the real server, configured from the environment as `pastoral serve` is, with BENCH_LOADERS=naive the
 * N+1 baseline (every loader reads each key on its own), and with BENCH_RATE_LIMIT=off the baseline without the
 * rate limit. Prints `listening <port>` once it listens.
 */
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/database.ts';
import { createLogger } from '../../src/logger.ts';
import { buildServer } from '../../src/server.ts';

const config = loadConfig(process.env);
const logger = createLogger(config);
const database = openDatabase(config, logger);
const app = await buildServer({
  config,
  database,
  logger,
  loaderOptions: process.env.BENCH_LOADERS === 'naive' ? { batch: false } : undefined,
  ...(process.env.BENCH_RATE_LIMIT === 'off' ? { rateLimit: false as const } : {}),
});
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`);
process.once('SIGTERM', () => {
  void app
    .close()
    .then(() => database.destroy())
    .finally(() => process.exit(0));
});
