/** Production entry point: read config, open the database, serve HTTP. Nothing else. */
import { loadConfig } from './config.ts';
import { openDatabase } from './database.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

const config = loadConfig();
const logger = createLogger(config);
await startServer({ config, database: openDatabase(config, logger), logger });
