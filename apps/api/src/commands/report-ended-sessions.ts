import type { Config } from '../config.ts';
import { forgetEndedSessions } from '../modules/auth/session-cache.ts';
import type { CommandIo } from './command-io.ts';

/** A password or role changed: its user's sessions ended, and every API process is told to forget them. */
export async function reportEndedSessions(io: CommandIo, config: Config, change: string, endedSessions: string[]) {
  const told = await forgetEndedSessions(config.redisUrl, endedSessions).catch((error: unknown) => {
    io.out(`Could not reach Redis to tell the API processes (${(error as Error).message}).`);
    return false;
  });
  const count = endedSessions.length;
  io.out(`${change}; ended ${count} session${count === 1 ? '' : 's'}.`);
  if (count > 0 && !told && config.sessionCache.ttlSeconds > 0) {
    io.out(
      `API processes that had them cached refuse them within ${config.sessionCache.ttlSeconds} s (SESSION_CACHE_TTL_S); with REDIS_URL set, at once.`,
    );
  }
}
