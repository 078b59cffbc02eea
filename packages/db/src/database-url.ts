/** A parsed `DATABASE_URL`: `mysql://user:pass@host:port/db` or `file:./path/to/db.sqlite`. */
export type DatabaseTarget =
  | {
      engine: 'mysql';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      /**
       * A Unix socket to connect through instead of TCP (`?socket=/run/mysqld/mysqld.sock`): on one machine it
       * saves the loopback TCP stack on every round trip (`pnpm loadtest` measures both before it starts).
       */
      socketPath: string | null;
    }
  | { engine: 'sqlite'; path: string };

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

const EXAMPLES =
  'use mysql://user:password@host:3306/database (add ?socket=/run/mysqld/mysqld.sock for a local server) or file:./data/pastoral.sqlite';

export function parseDatabaseUrl(url: string): DatabaseTarget {
  if (url.startsWith('file:')) {
    const path = url.slice('file:'.length).replace(/^\/\/(?=\/)/, '');
    if (path === '') throw new DatabaseUrlError(`DATABASE_URL "${url}" names no file: ${EXAMPLES}`);
    return { engine: 'sqlite', path: path === ':memory:' ? ':memory:' : path };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DatabaseUrlError(`DATABASE_URL "${redact(url)}" is not a URL: ${EXAMPLES}`);
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    throw new DatabaseUrlError(`DATABASE_URL scheme "${parsed.protocol}" is not supported: ${EXAMPLES}`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) {
    throw new DatabaseUrlError(`DATABASE_URL "${redact(url)}" names no database: ${EXAMPLES}`);
  }
  const port = parsed.port ? Number(parsed.port) : 3306;
  const unknown = [...parsed.searchParams.keys()].filter((key) => key !== 'socket');
  if (unknown.length > 0) {
    throw new DatabaseUrlError(`DATABASE_URL option "${unknown[0]}" is not supported: the one option is ?socket=/path`);
  }
  const socketPath = parsed.searchParams.get('socket');
  if (socketPath !== null && !socketPath.startsWith('/')) {
    throw new DatabaseUrlError(`DATABASE_URL ?socket= takes an absolute path, such as /run/mysqld/mysqld.sock`);
  }
  return {
    engine: 'mysql',
    host: parsed.hostname || '127.0.0.1',
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
    socketPath,
  };
}

/** The URL with its password replaced, safe for logs and error messages. */
export function redact(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** The same server with another database: for tests and benchmarks that make databases of their own. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}
