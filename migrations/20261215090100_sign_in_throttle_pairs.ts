import type { Kysely } from 'kysely';
import { addColumns, columnTypes, createIndexes, createTable, dropColumns, dropTables } from './support/ddl.ts';

/**
 * Sign-in throttling that cannot lock people out: failures are counted per (account, address) pair with delays
 * that grow after a few, and the addresses each account signed in from lately are remembered, so that neither a
 * guesser elsewhere nor a crowd of failures behind a school's shared address stops the owner's right password.
 *
 * - `rate_limits.next_attempt_at`: when a rule that backs off lets the key try again.
 * - `sign_in_addresses`: an account's recent addresses (an IPv6 address by its /64), kept for 30 days.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  await addColumns(db, 'rate_limits', [{ name: 'next_attempt_at', type: t.timestamp }]);
  await createTable(
    db,
    'sign_in_addresses',
    (table) =>
      table
        .addColumn('user_id', t.ref, (c) => c.notNull())
        .addColumn('address', 'varchar(45)', (c) => c.notNull())
        .addColumn('last_signed_in_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('sign_in_addresses_pkey', ['user_id', 'address']),
    { foreignKeys: [['user_id', 'users.id', 'cascade']] },
  );
  // The sweep forgets addresses not used for a while.
  await createIndexes(db, 'sign_in_addresses', [
    { name: 'sign_in_addresses_last_idx', columns: ['last_signed_in_at'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['sign_in_addresses']);
  await dropColumns(db, 'rate_limits', ['next_attempt_at']);
}
