/**
 * What a command reads and writes besides the database: the process's own streams and environment when run as
 * `pnpm pastoral`, a test's buffers when run in-process. No command touches `process.std*` or `process.env`.
 */
export interface CommandIo {
  /** The environment the configuration is read from. */
  env: Record<string, string | undefined>;
  /** A line of the command's result, to stdout. */
  out(line: string): void;
  /** A progress line, to stderr: redrawn in place on a terminal, one line each otherwise. */
  progress(line: string): void;
  /** Whether stderr is a terminal, where progress is redrawn in place (and must be cleared after). */
  isTerminal: boolean;
  /** Text to stderr as it is: errors, and anything that must stay out of stdout's data. */
  error(text: string): void;
  /** Data to stdout, resolved once stdout takes more: a slow reader holds an export back, not rows in memory. */
  writeData(chunk: string): Promise<void>;
  /** Standard input; a terminal there has `isTTY`. */
  stdin: AsyncIterable<string | Buffer> & { isTTY?: boolean };
  /** Set to 1 by a command whose work needs someone's attention (rejected lines, a broken chain, a failed check). */
  exitCode: number;
}

/** The running process's streams and environment. */
export function processIo(): CommandIo {
  const terminal = Boolean(process.stderr.isTTY);
  return {
    env: process.env,
    out: (line) => void process.stdout.write(`${line}\n`),
    progress: (line) => void process.stderr.write(terminal ? `\r\x1b[2K${line}` : `${line}\n`),
    isTerminal: terminal,
    error: (text) => void process.stderr.write(text),
    writeData: (chunk) => writeRespectingBackpressure(process.stdout, chunk),
    stdin: process.stdin,
    exitCode: 0,
  };
}

async function writeRespectingBackpressure(stream: NodeJS.WriteStream, chunk: string): Promise<void> {
  if (stream.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    stream.once('error', onError);
    stream.once('drain', () => {
      stream.off('error', onError);
      resolve();
    });
  });
}
