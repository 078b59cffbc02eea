import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/** Staff sessions, integrators' API tokens, and idempotency keys for retried writes. */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);

  await createTable(
    db,
    'sessions',
    (table) =>
      table
        .addColumn('id_hash', t.hash, (c) => c.primaryKey())
        .addColumn('user_id', t.ref, (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('last_seen_at', t.timestamp, (c) => c.notNull())
        .addColumn('expires_at', t.timestamp, (c) => c.notNull())
        .addColumn('ip', 'varchar(45)')
        .addColumn('user_agent', 'varchar(300)'),
    { foreignKeys: [['user_id', 'users.id', 'cascade']] },
  );
  await createIndexes(db, 'sessions', [
    // Sign a user out everywhere.
    { name: 'sessions_user_idx', columns: ['user_id'] },
    // Sweep expired sessions.
    { name: 'sessions_expires_idx', columns: ['expires_at'] },
  ]);

  await createTable(
    db,
    'api_tokens',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref)
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('token_prefix', 'varchar(16)', (c) => c.notNull())
        .addColumn('token_hash', t.hash, (c) => c.notNull())
        .addColumn('scopes', 'varchar(500)', (c) => c.notNull())
        .addColumn('created_by', t.ref)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('expires_at', t.timestamp)
        .addColumn('revoked_at', t.timestamp)
        .addColumn('last_used_at', t.timestamp),
    {
      foreignKeys: [
        ['school_id', 'schools.id'],
        ['created_by', 'users.id', 'set null'],
      ],
    },
  );
  await createIndexes(db, 'api_tokens', [
    { name: 'api_tokens_hash_key', columns: ['token_hash'], unique: true },
    { name: 'api_tokens_school_idx', columns: ['school_id', 'created_at'] },
  ]);

  await createTable(db, 'idempotency_keys', (table) =>
    table
      .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
      .addColumn('principal', 'varchar(40)', (c) => c.notNull())
      .addColumn('idempotency_key', 'varchar(255)', (c) => c.notNull())
      .addColumn('operation', 'varchar(64)', (c) => c.notNull())
      .addColumn('request_hash', t.hash, (c) => c.notNull())
      .addColumn('response', t.text)
      .addColumn('school_id', t.ref)
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('expires_at', t.timestamp, (c) => c.notNull()),
  );
  await createIndexes(db, 'idempotency_keys', [
    { name: 'idempotency_keys_principal_key', columns: ['principal', 'idempotency_key'], unique: true },
    { name: 'idempotency_keys_expires_idx', columns: ['expires_at'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['idempotency_keys', 'api_tokens', 'sessions']);
}
