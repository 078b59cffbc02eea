import { ROLES } from '@pastoral/db';
import { Argument, Command, Option } from 'commander';
import { changeRole } from '../modules/users/user.mutations.ts';
import { positiveInteger } from './argument-parsers.ts';
import type { CommandIo } from './command-io.ts';
import { reportEndedSessions } from './report-ended-sessions.ts';
import { withDatabase } from './with-database.ts';

export function userSetRoleCommand(io: CommandIo): Command {
  return new Command('set-role')
    .description('Give a member of staff another role, and end their sessions')
    .argument('<email>', "the member of staff's e-mail address")
    .addArgument(new Argument('<role>', 'the new role').choices(ROLES))
    .addOption(
      new Option('--school <id>', 'for a district admin given a school role: the school (its database id)').argParser(
        positiveInteger,
      ),
    )
    .action(async (email: string, role: string, options: { school?: number }) => {
      await withDatabase(io, async (database, config) => {
        const changed = await changeRole({ ...database, now: new Date() }, email, role, options.school);
        await reportEndedSessions(io, config, `${email.trim()} is now a ${role}`, changed.endedSessions);
      });
    });
}
