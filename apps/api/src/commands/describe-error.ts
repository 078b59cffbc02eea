import { MigrationFailedError, redact } from '@pastoral/db';
import { ConfigError } from '../config.ts';
import { PurgeRefusedError } from '../modules/audit-log/audit.retention.ts';
import { ImportFileError } from '../modules/ingest/csv-import.ts';
import { RiskRulesError } from '../modules/risk/risk.rules-file.ts';
import { AccountChangeError } from '../modules/users/user.mutations.ts';
import { SeedError } from '../seed/seed.ts';

/** One line that says what went wrong and what to do, for the errors a user can cause. */
export function describeError(error: unknown, databaseUrl?: string): string | undefined {
  if (
    error instanceof ConfigError ||
    error instanceof SeedError ||
    error instanceof RiskRulesError ||
    error instanceof ImportFileError ||
    error instanceof PurgeRefusedError ||
    error instanceof AccountChangeError
  )
    return error.message;
  // The first cause a user can act on: a failed migration wraps an unavailable database, which wraps the
  // connection error that names the problem.
  const cause = (error as { cause?: unknown } | null)?.cause;
  const fromCause = cause === undefined ? undefined : describeError(cause, databaseUrl);
  if (fromCause) return fromCause;
  if (error instanceof MigrationFailedError) return error.message;
  const { code, errno, message, address, port, hostname } = error as {
    code?: string;
    errno?: number;
    message?: string;
    address?: string;
    port?: number;
    hostname?: string;
  };
  const where = databaseUrl ? redact(databaseUrl) : 'the database';
  switch (code) {
    case 'ECONNREFUSED':
      return `Cannot reach the database at ${address ?? ''}${port ? `:${port}` : ''} (connection refused): is MySQL running, and is DATABASE_URL right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `Cannot find the database host ${hostname ?? ''}: check the host name in DATABASE_URL.`;
    case 'ETIMEDOUT':
      return `The database at ${where} did not answer in time: check DATABASE_URL, the network and any firewall.`;
    case 'ER_ACCESS_DENIED_ERROR':
    case 'ER_DBACCESS_DENIED_ERROR':
      return `The database refused the sign-in (${message ?? 'access denied'}): check the user and password in DATABASE_URL.`;
    case 'ER_BAD_DB_ERROR':
      return `${message ?? 'Unknown database'}: create it first (CREATE DATABASE …), or fix the name in DATABASE_URL.`;
    case 'SQLITE_CANTOPEN':
      return `Cannot open the SQLite file of ${where}: check that its folder is writable.`;
    case 'SQLITE_NOTADB':
      return `${where} is not an SQLite database: point DATABASE_URL at another file.`;
  }
  if (code === 'PROTOCOL_CONNECTION_LOST' || errno === 2013) {
    return `The database closed the connection (${message ?? ''}): check that it is running and reachable.`;
  }
  return undefined;
}
