import { Command } from 'commander';
import { ConfigError } from '../config.ts';
import { changePassword } from '../modules/users/user.mutations.ts';
import type { CommandIo } from './command-io.ts';
import { reportEndedSessions } from './report-ended-sessions.ts';
import { withDatabase } from './with-database.ts';

export function userSetPasswordCommand(io: CommandIo): Command {
  return new Command('set-password')
    .description('Set a new password, read as one line from standard input, and end their sessions')
    .argument('<email>', "the member of staff's e-mail address")
    .action(async (email: string) => {
      const password = await readFirstLine(io);
      await withDatabase(io, async (database, config) => {
        const changed = await changePassword({ ...database, now: new Date() }, email, password);
        await reportEndedSessions(io, config, `Changed the password of ${email.trim()}`, changed.endedSessions);
      });
    });
}

/**
 * The first line of standard input, for a secret that must not be in the command line (where `ps` and the
 * shell's history would keep it). A terminal is refused: what is typed there would show.
 */
async function readFirstLine(io: CommandIo): Promise<string> {
  if (io.stdin.isTTY) {
    throw new ConfigError(
      'Give the new password on standard input, not typed at the terminal: read -rs P && printf \'%s\\n\' "$P" | pnpm pastoral user set-password <email>',
    );
  }
  let text = '';
  for await (const chunk of io.stdin) text += String(chunk);
  return text.split(/\r?\n/)[0] ?? '';
}
