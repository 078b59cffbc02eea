import type { DatabaseUnavailableError } from '@pastoral/db';
import { GraphQLError } from 'graphql';

/** By name, not class: the error may come from another copy of the module (bundled and source). */
export function isDatabaseUnavailable(error: unknown): error is DatabaseUnavailableError {
  return (error as { name?: string } | null)?.name === 'DatabaseUnavailableError';
}

/** The database could not serve the request: a 503 with Retry-After, so the client tries again later. */
export function serviceUnavailable(message: string, retryAfterSeconds: number): GraphQLError {
  return new GraphQLError(message, {
    extensions: {
      code: 'DATABASE_UNAVAILABLE',
      http: { status: 503, headers: new Map([['retry-after', String(retryAfterSeconds)]]) },
    },
  });
}
