/** A parsed `DATABASE_URL`: `mysql://user:pass@host:port/db` or `file:./path/to/db.sqlite`. */
export type DatabaseTarget =
  | {
      engine: 'mysql';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
    }
  | { engine: 'sqlite'; path: string };

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

const EXAMPLES = 'use mysql://user:password@host:3306/database or file:./data/pastoral.sqlite';

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
  return {
    engine: 'mysql',
    host: parsed.hostname || '127.0.0.1',
    port,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
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
