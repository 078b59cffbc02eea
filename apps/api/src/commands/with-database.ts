import type { DatabaseHandle } from '@pastoral/db';
import { type Config, loadConfig } from '../config.ts';
import { openDatabase } from '../database.ts';
import { createLogger } from '../logger.ts';
import type { CommandIo } from './command-io.ts';

/**
 * Runs `work` on the configured database as its administrator, and closes it after. The log (slow statements,
 * warnings) goes to stderr: stdout carries the command's result.
 */
export async function withDatabase(
  io: CommandIo,
  work: (database: DatabaseHandle, config: Config) => Promise<void>,
): Promise<void> {
  const config = loadConfig(io.env);
  const database = openDatabase(config, createLogger({ logLevel: 'warn' }, { write: io.error }), 'admin');
  try {
    await work(database, config);
  } finally {
    await database.destroy();
  }
}
