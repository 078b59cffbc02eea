/** Sign-in's rows: the account signing in, when it last did, and the addresses it signed in from (throttle.ts). */
import type { Database, EngineDialect } from '@pastoral/db';
import type { Kysely } from 'kysely';

/**
 * The account of an e-mail address, and whether it signed in from `network` since `knownSince`: one statement,
 * whether or not the account exists.
 */
export async function accountSigningIn(db: Kysely<Database>, email: string, network: string, knownSince: string) {
  return db
    .selectFrom('users')
    .leftJoin('sign_in_addresses', (join) =>
      join
        .onRef('sign_in_addresses.user_id', '=', 'users.id')
        .on('sign_in_addresses.address', '=', network)
        .on('sign_in_addresses.last_signed_in_at', '>', knownSince),
    )
    .select([
      'users.id',
      'users.school_id',
      'users.password_hash',
      'users.is_active',
      'sign_in_addresses.last_signed_in_at as known_since',
    ])
    .where('users.email', '=', email)
    .executeTakeFirst();
}

export async function recordSignInTime(db: Kysely<Database>, userId: number, timestamp: string): Promise<void> {
  await db.updateTable('users').set({ last_sign_in_at: timestamp }).where('id', '=', userId).execute();
}

/** Notes that the account signed in from `network` now: the address is known to it for a while (throttle.ts). */
export async function rememberSignInAddress(
  db: Kysely<Database>,
  dialect: EngineDialect,
  userId: number,
  network: string,
  timestamp: string,
): Promise<void> {
  await dialect.upsert(db, 'sign_in_addresses', [{ user_id: userId, address: network, last_signed_in_at: timestamp }], {
    conflict: ['user_id', 'address'],
    update: ['last_signed_in_at'],
  });
}

/** Forgets the addresses last signed in from before `before`: they are no longer known (throttle.ts). */
export async function forgetSignInAddressesUnusedSince(db: Kysely<Database>, before: string): Promise<number> {
  const result = await db.deleteFrom('sign_in_addresses').where('last_signed_in_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
