/**
 * `pnpm pastoral <command>`: the operator's tool. A user's mistake is one clear line and a non-zero exit,
 * never a stack trace (set PASTORAL_DEBUG=1 to see one). Each command lives in commands/; this file only
 * puts them together.
 */
import { Command } from 'commander';
import { loadConfig } from './config.ts';
import { auditArchiveCommand } from './commands/audit-archive.ts';
import { auditExportCommand } from './commands/audit-export.ts';
import { auditPartitionsCommand } from './commands/audit-partitions.ts';
import { auditPurgeCommand } from './commands/audit-purge.ts';
import { auditVerifyCommand } from './commands/audit-verify.ts';
import { type CommandIo, processIo } from './commands/command-io.ts';
import { describeError } from './commands/describe-error.ts';
import { doctorCommand } from './commands/doctor.ts';
import { importCommand } from './commands/import.ts';
import { migrateCommand } from './commands/migrate.ts';
import { recomputeRiskCommand } from './commands/recompute-risk.ts';
import { seedCommand } from './commands/seed.ts';
import { serveCommand } from './commands/serve.ts';
import { startCommand } from './commands/start.ts';
import { summariesRebuildCommand } from './commands/summaries-rebuild.ts';
import { sweepCommand } from './commands/sweep.ts';
import { userSetPasswordCommand } from './commands/user-set-password.ts';
import { userSetRoleCommand } from './commands/user-set-role.ts';

export function buildCli(io: CommandIo = processIo()): Command {
  const program = new Command('pastoral')
    .description('Pastoral: early warning and intervention for schools')
    .showHelpAfterError('(run with --help for usage)')
    // Every command inherits these (see `add`): usage errors come back to runCli as exit code 2, and help and
    // errors are written to the command's own streams.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.writeData(text),
      writeErr: (text) => io.error(text),
      outputError: (message, write) => write(message),
    });
  const add = (parent: Command, command: Command) => parent.addCommand(command.copyInheritedSettings(parent));

  add(program, migrateCommand(io));
  add(program, seedCommand(io));
  add(program, recomputeRiskCommand(io));
  add(program, importCommand(io));
  const audit = program
    .command('audit')
    .description('Keep the audit log fast and verifiable: partitions, archival, verification, export, retention');
  for (const command of [
    auditVerifyCommand,
    auditPartitionsCommand,
    auditArchiveCommand,
    auditExportCommand,
    auditPurgeCommand,
  ]) {
    add(audit, command(io));
  }
  const user = program
    .command('user')
    .description("Change a member of staff's password or role; either ends every session of theirs");
  add(user, userSetPasswordCommand(io));
  add(user, userSetRoleCommand(io));
  const summaries = program
    .command('summaries')
    .description("The dashboards' summary counts, which the writes keep: rebuild them from the tables");
  add(summaries, summariesRebuildCommand(io));
  add(program, sweepCommand(io));
  add(program, doctorCommand(io));
  add(program, serveCommand(io));
  add(program, startCommand(io));
  return program;
}

/** Runs one command line; resolves with its exit code: 0, 1 for a failure or work needing attention, 2 for misuse. */
export async function runCli(argv: string[], io: CommandIo = processIo()): Promise<number> {
  try {
    await buildCli(io).parseAsync(argv, { from: 'user' });
    return io.exitCode;
  } catch (error) {
    const commanderCode = (error as { code?: string }).code;
    if (commanderCode?.startsWith('commander.')) {
      // Commander has printed its message (or the help) already.
      return commanderCode === 'commander.helpDisplayed' || commanderCode === 'commander.version' ? 0 : 2;
    }
    const debug = Boolean(io.env.PASTORAL_DEBUG);
    const known = describeError(error, databaseUrlOf(io.env));
    if (known && !debug) {
      io.error(`error: ${known}\n`);
    } else {
      io.error(`error: ${(error as Error).message ?? String(error)}\n`);
      if (debug) io.error(`${(error as Error).stack ?? ''}\n`);
      else io.error('(set PASTORAL_DEBUG=1 to see the stack trace)\n');
    }
    return 1;
  }
}

function databaseUrlOf(env: CommandIo['env']): string | undefined {
  try {
    return loadConfig(env).database.url;
  } catch {
    return undefined;
  }
}

// Run when executed directly (`tsx src/cli.ts`, `node dist/cli.js`), not when imported by tests.
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '\0')) {
  const code = await runCli(process.argv.slice(2));
  // `serve` and `start` keep running; every other command ends here.
  const command = process.argv[2];
  if (code !== 0 || (command !== 'serve' && command !== 'start')) process.exit(code);
}
