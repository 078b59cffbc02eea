import { pino, type Logger } from 'pino';
import type { Config } from './config.ts';

/**
 * JSON logs, one line per event, to stdout (the server) or stderr (the CLI, whose stdout carries its output:
 * a slow-query warning must never land inside an NDJSON export; a command run in-process writes to its own), and
 * secrets are redacted wherever they appear.
 */
export function createLogger(
  config: Pick<Config, 'logLevel'>,
  to: 'stdout' | 'stderr' | { write(line: string): void } = 'stdout',
): Logger {
  return pino(
    {
      level: config.logLevel,
      base: { service: 'pastoral-api' },
      redact: {
        paths: ['req.headers.cookie', 'req.headers.authorization', 'password', '*.password', 'token', '*.token'],
        censor: '[redacted]',
      },
    },
    typeof to === 'string' ? pino.destination({ fd: to === 'stdout' ? 1 : 2, sync: true }) : to,
  );
}
