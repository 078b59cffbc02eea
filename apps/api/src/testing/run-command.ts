/**
 * `pnpm pastoral …` run in the test's own process: the command line parsed and the command run as a user's
 * would be, with the environment, standard input and output of the test's choosing. A process of its own would
 * cost a TypeScript start (5 to 30 s on a busy machine) for every command a test runs.
 */
import { Readable } from 'node:stream';
import { runCli } from '../cli.ts';
import type { CommandIo } from '../commands/command-io.ts';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `args` with only `env` set (as a bare shell would), and `input` on standard input. */
export async function runCommand(
  args: string[],
  env: Record<string, string | undefined> = {},
  input = '',
): Promise<CommandResult> {
  const { io, stdout, stderr } = bufferedIo(env, input);
  const code = await runCli(args, io);
  return { code, stdout: stdout(), stderr: stderr() };
}

/** A command's streams kept in memory, as a pipe (not a terminal) would carry them. */
export function bufferedIo(env: Record<string, string | undefined> = {}, input = '') {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    env,
    out: (line) => void (stdout += `${line}\n`),
    progress: (line) => void (stderr += `${line}\n`),
    isTerminal: false,
    error: (text) => void (stderr += text),
    writeData: async (chunk) => void (stdout += chunk),
    stdin: Readable.from([input]),
    exitCode: 0,
  };
  return { io, stdout: () => stdout, stderr: () => stderr };
}
