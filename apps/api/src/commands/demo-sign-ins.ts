import type { Config } from '../config.ts';
import { WELL_KNOWN_ACCOUNTS } from '../seed/well-known-accounts.ts';
import type { CommandIo } from './command-io.ts';

/** The seeded accounts to sign in with, and the password they share. */
export function printDemoSignIns(io: CommandIo, config: Config, classroom?: string): void {
  io.out(
    `\nDemo sign-ins (password: ${config.seedPassword === 'pastoral-demo' ? 'pastoral-demo' : 'the SEED_PASSWORD you set'}):`,
  );
  for (const [email, account] of Object.entries(WELL_KNOWN_ACCOUNTS)) {
    io.out(`  ${email.padEnd(36)} ${account.role.padEnd(15)} ${account.description}`);
  }
  if (classroom) io.out(`  (form.master@s01 is the form master of ${classroom})`);
}
