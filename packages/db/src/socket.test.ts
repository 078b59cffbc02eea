/** DATABASE_URL's ?socket=: the pool reaches a local MariaDB through its Unix socket instead of TCP. */
import { existsSync } from 'node:fs';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDb } from './create-db.ts';
import { parseDatabaseUrl } from './database-url.ts';

const SOCKET = '/run/mysqld/mysqld.sock';
const serverUrl = process.env.TEST_MYSQL_URL;

describe.runIf(serverUrl && existsSync(SOCKET))('a MySQL database through its Unix socket', () => {
  it('connects, answers, and says so in its description', async () => {
    const server = parseDatabaseUrl(serverUrl!);
    if (server.engine !== 'mysql') throw new Error('TEST_MYSQL_URL must be a mysql:// URL');
    const handle = createDb(`mysql://${server.user}@localhost/${server.database}?socket=${SOCKET}`);
    try {
      // The server sees a socket connection as coming from "localhost"; over TCP it would add the client's port.
      const { rows: me } = await sql<{
        host: string;
      }>`select host from information_schema.processlist where id = connection_id()`.execute(handle.db);
      expect(me[0]?.host).toBe('localhost');
      expect(handle.description).toBe(`mysql ${SOCKET}/${server.database}`);
    } finally {
      await handle.destroy();
    }
  });
});
