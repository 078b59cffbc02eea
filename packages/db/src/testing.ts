/**
 * Test helpers: one suite, every engine. SQLite always; MySQL/MariaDB too when TEST_MYSQL_URL names a server,
 * where each test database is created fresh and dropped afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConnection } from 'mysql2/promise';
import { createDb, type CreateDbOptions, type DatabaseHandle, type Engine } from './create-db.ts';
import { parseDatabaseUrl, withDatabase } from './database-url.ts';
import { migrateToLatest } from './migrate.ts';

export * from './factories.ts';
export { schoolPredicateProblems } from './school-predicates.ts';

/** The repository's migrations folder. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../../migrations/', import.meta.url));

export interface TestDatabase {
  url: string;
  handle: DatabaseHandle;
  /** Closes the connections and deletes the database. */
  drop(): Promise<void>;
}

export interface TestEngine {
  name: Engine;
  /** A new, empty database (migrated unless `migrate: false`). */
  createDatabase(options?: { migrate?: boolean } & CreateDbOptions): Promise<TestDatabase>;
}

let counter = 0;

function uniqueName(): string {
  counter += 1;
  return `pastoral_test_${process.pid}_${counter}_${Math.random().toString(36).slice(2, 8)}`;
}

async function prepare(handle: DatabaseHandle, migrate: boolean | undefined): Promise<DatabaseHandle> {
  if (migrate !== false) await migrateToLatest(handle.db, MIGRATIONS_FOLDER);
  return handle;
}

const sqliteEngine: TestEngine = {
  name: 'sqlite',
  async createDatabase({ migrate, ...options } = {}) {
    const folder = mkdtempSync(join(tmpdir(), 'pastoral-test-'));
    const url = `file:${join(folder, 'test.sqlite')}`;
    const handle = await prepare(createDb(url, options), migrate);
    return {
      url,
      handle,
      async drop() {
        await handle.destroy();
        rmSync(folder, { recursive: true, force: true });
      },
    };
  },
};

/** Test databases on the MySQL server `serverUrl` names (TEST_MYSQL_URL, or a replication lab's primary). */
export function mysqlTestEngine(serverUrl: string): TestEngine {
  const server = parseDatabaseUrl(serverUrl);
  if (server.engine !== 'mysql') throw new Error(`TEST_MYSQL_URL must be a mysql:// URL, got ${serverUrl}`);
  const admin = () =>
    createConnection({ host: server.host, port: server.port, user: server.user, password: server.password });
  return {
    name: 'mysql',
    async createDatabase({ migrate, ...options } = {}) {
      const name = uniqueName();
      const connection = await admin();
      await connection.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_unicode_520_ci`);
      await connection.end();
      const url = withDatabase(serverUrl, name);
      const handle = await prepare(createDb(url, options), migrate);
      return {
        url,
        handle,
        async drop() {
          await handle.destroy();
          const dropper = await admin();
          await dropper.query(`drop database if exists \`${name}\``);
          await dropper.end();
        },
      };
    },
  };
}

/** The engines this run tests against: `for (const engine of testEngines()) describe(engine.name, ...)`. */
export function testEngines(): TestEngine[] {
  const mysqlUrl = process.env.TEST_MYSQL_URL;
  return mysqlUrl ? [sqliteEngine, mysqlTestEngine(mysqlUrl)] : [sqliteEngine];
}
