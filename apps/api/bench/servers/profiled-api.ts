/**
 * One API process, as `pastoral serve` builds a worker, whose CPU profile the request profile (request-profile.ts)
 * starts and stops over stdin ("start", then "stop <file>"), so the profile holds the measured window only: not
 * the start-up, the sign-ins or the warm-up. Prints `listening <port>` once it listens, `profiling` and `stopped`
 * as it is told.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { loadConfig } from '../../src/config.ts';
import { openDatabase } from '../../src/database.ts';
import { createLogger } from '../../src/logger.ts';
import { buildServer } from '../../src/server.ts';
import { createMetrics } from '../../src/server/metrics.ts';

const config = loadConfig(process.env);
const logger = createLogger(config);
// As `pastoral serve` opens them: every statement counted in the server's metrics.
const metrics = createMetrics();
const database = openDatabase(config, logger, 'serve', metrics);
const app = await buildServer({ config, database, logger, metrics });
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening ${(app.server.address() as AddressInfo).port}\n`);

const inspector = new Session();
inspector.connect();
for await (const line of createInterface({ input: process.stdin })) {
  const [command, file] = line.trim().split(' ');
  if (command === 'start') {
    await inspector.post('Profiler.enable');
    // 250 µs between samples: a request of a few milliseconds is seen a dozen times or more.
    await inspector.post('Profiler.setSamplingInterval', { interval: 250 });
    await inspector.post('Profiler.start');
    process.stdout.write('profiling\n');
  } else if (command === 'stop' && file) {
    const { profile } = await inspector.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    process.stdout.write('stopped\n');
  }
}
await app.close();
await database.destroy();
process.exit(0);
