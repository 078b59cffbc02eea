import { type Connection, createConnection } from 'mysql2/promise';

/**
 * A MySQL connection of its own to a test database, outside the API's pool: another session that can lock
 * tables, as a long migration or a stuck writer would.
 */
export function connectAsAnotherSession(databaseUrl: string): Promise<Connection> {
  const url = new URL(databaseUrl);
  return createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username) || 'root',
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
  });
}
