/**
 * Helpers for tests that run the API as a real command, in processes of its own: the bundle the suite's global
 * setup builds (built-api.global-setup.ts), which starts in a fraction of a second, not the TypeScript through tsx.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { planWorkers } from '../cluster.ts';
import { loadConfig } from '../config.ts';
import { TEST_RATE_LIMITS } from './api-harness.ts';
import { BUILT_CLI } from './built-api.global-setup.ts';

/** The pids of a process's worker children. */
export function workerPidsOf(parent: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(parent), '-f', 'cli.js'], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    // pgrep exits with 1 when nothing matches.
    return [];
  }
}

/** Resolves once `condition` holds, checking every 50 ms; fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export interface ServeCommand {
  process: ChildProcess;
  /** Everything the command has written to stdout and stderr so far. */
  output(): string;
  /** How many workers have logged that they listen, replacements included. */
  listening(): number;
}

/**
 * Runs `pastoral serve` in production mode on `databaseUrl` with two workers (WEB_CONCURRENCY in `environment`
 * may say otherwise; SQLite has one) and the test servers' rate limits, with `environment` on top, and resolves
 * once every worker listens.
 */
export async function startServeCommand(databaseUrl: string, environment: Record<string, string>) {
  let output = '';
  const child = spawn(process.execPath, [BUILT_CLI, 'serve'], {
    env: {
      ...process.env,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      DATABASE_URL: databaseUrl,
      WEB_CONCURRENCY: '2',
      ...TEST_RATE_LIMITS,
      ...environment,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const command: ServeCommand = {
    process: child,
    output: () => output,
    listening: () => (output.match(/Server listening/g) ?? []).length,
  };
  const { workers } = planWorkers(loadConfig({ DATABASE_URL: databaseUrl, WEB_CONCURRENCY: '2', ...environment }));
  await waitFor(() => command.listening() >= workers, 30_000);
  return command;
}
