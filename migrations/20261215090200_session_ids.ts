import { type Kysely, sql } from 'kysely';
import { columnExists, columnTypes, createIndexes, createTable, isMysql, tableExists } from './support/ddl.ts';

/**
 * Sessions get a numeric id of their own, so that a user can list their sessions and end one by its global id.
 * The key stays the SHA-256 of the cookie's secret (every request finds its session by it, now through a unique
 * index); the id names a session without revealing anything that leads to the cookie.
 *
 * MySQL changes the key in one ALTER. SQLite cannot add a key column, so the table is rebuilt under the same
 * name with its rows; each step is guarded, so a run that died halfway finishes the next time. No session ends.
 */
const COLUMNS = ['id_hash', 'user_id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent'];

async function rebuildOnSqlite(db: Kysely<any>, withId: boolean): Promise<void> {
  const t = columnTypes(db);
  const present = await tableExists(db, 'sessions');
  if (present && (await columnExists(db, 'sessions', 'id')) === withId) return;
  // Absent: a run died after dropping it, with its rows safe in sessions_rebuilt.
  if (present) {
    await sql`drop table if exists sessions_rebuilt`.execute(db);
    await createTable(
      db,
      'sessions_rebuilt',
      (table) => {
        const keyed = withId
          ? table
              .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
              .addColumn('id_hash', t.hash, (c) => c.notNull())
          : table.addColumn('id_hash', t.hash, (c) => c.primaryKey());
        return keyed
          .addColumn('user_id', t.ref, (c) => c.notNull())
          .addColumn('created_at', t.timestamp, (c) => c.notNull())
          .addColumn('last_seen_at', t.timestamp, (c) => c.notNull())
          .addColumn('expires_at', t.timestamp, (c) => c.notNull())
          .addColumn('ip', 'varchar(45)')
          .addColumn('user_agent', 'varchar(300)');
      },
      { foreignKeys: [['user_id', 'users.id', 'cascade']] },
    );
    const columns = sql.raw(COLUMNS.join(', '));
    // Oldest first, so that the ids given follow the order the sessions began in.
    await sql`insert into sessions_rebuilt (${columns}) select ${columns} from sessions order by created_at`.execute(
      db,
    );
    await sql`drop table sessions`.execute(db);
  }
  await sql`alter table sessions_rebuilt rename to sessions`.execute(db);
}

export async function up(db: Kysely<any>): Promise<void> {
  if (isMysql(db)) {
    if (!(await columnExists(db, 'sessions', 'id'))) {
      await sql`alter table sessions
        drop primary key,
        add column id int unsigned not null auto_increment primary key first,
        add unique index sessions_id_hash_key (id_hash)`.execute(db);
    }
  } else {
    await rebuildOnSqlite(db, true);
  }
  await createIndexes(db, 'sessions', [
    { name: 'sessions_id_hash_key', columns: ['id_hash'], unique: true },
    // Sign a user out everywhere; list their sessions.
    { name: 'sessions_user_idx', columns: ['user_id'] },
    // Sweep expired sessions.
    { name: 'sessions_expires_idx', columns: ['expires_at'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isMysql(db)) {
    if (await columnExists(db, 'sessions', 'id')) {
      await sql`alter table sessions drop column id, drop index sessions_id_hash_key, add primary key (id_hash)`.execute(
        db,
      );
    }
  } else {
    await rebuildOnSqlite(db, false);
  }
  await createIndexes(db, 'sessions', [
    { name: 'sessions_user_idx', columns: ['user_id'] },
    { name: 'sessions_expires_idx', columns: ['expires_at'] },
  ]);
}
