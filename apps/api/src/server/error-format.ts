/**
 * What a client is told of an error: a code it can act on and a message that says what to do, never a value it
 * sent (that may be personal data) and, in production, no detail of a bug.
 */
import type { GraphQLError, GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { isStatementTimeout } from '@pastoral/db';
import type { Config } from '../config.ts';
import { withoutQuotedValue, withoutVariableValue } from '../graphql/errors.ts';
import { RequestDeadlineError, StatementBudgetError } from './request-deadline.ts';
import { isDatabaseUnavailable } from './database-errors.ts';

/** Apollo's `formatError` for this configuration. */
export function errorFormatter(config: Config) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const cause = unwrapResolverError(error);
    if (isDatabaseUnavailable(cause)) {
      return { message: cause.message, path: formatted.path, extensions: { code: 'DATABASE_UNAVAILABLE' } };
    }
    if (cause instanceof StatementBudgetError) {
      return { message: cause.message, path: formatted.path, extensions: { code: 'QUERY_TOO_COSTLY' } };
    }
    if (cause instanceof RequestDeadlineError || isStatementTimeout(cause)) {
      const message =
        cause instanceof RequestDeadlineError
          ? cause.message
          : `A database statement ran past the ${config.requestTimeoutMs} ms request deadline and was stopped; ask for less at once, or retry.`;
      return { message, path: formatted.path, extensions: { code: 'REQUEST_TIMEOUT' } };
    }
    const clientMistake = CLIENT_MISTAKES[formatted.message];
    if (clientMistake) {
      return { message: clientMistake.message, extensions: { code: clientMistake.code } };
    }
    // Apollo marks everything that is not a deliberate GraphQL error INTERNAL_SERVER_ERROR: a bug, whose details
    // stay in the log. (A class check would not do: Apollo and our code may load different copies of graphql.)
    // Logged by errorLoggingPlugin, with the request's id.
    if (formatted.extensions?.code === 'INTERNAL_SERVER_ERROR') {
      if (!config.graphql.revealErrorDetails) {
        return {
          message: 'Internal server error',
          path: formatted.path,
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        };
      }
    }
    if (formatted.message.startsWith('Context creation failed: ')) {
      // Raised while reading the session or token, where Apollo prefixes this to our own message.
      return { ...formatted, message: formatted.message.slice('Context creation failed: '.length) };
    }
    const variableMessage = withoutVariableValue(formatted.message, (error as GraphQLError).originalError?.message);
    // Not even a stack trace in development: it quotes the value too.
    if (variableMessage) {
      return { message: variableMessage, locations: formatted.locations, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const unquoted = withoutQuotedValue(formatted.message);
    if (unquoted !== formatted.message) {
      return {
        message: unquoted,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { code: formatted.extensions?.code },
      };
    }
    if (formatted.message.startsWith('GET requests only support query operations')) {
      return { ...formatted, message: 'A mutation must be sent with POST; GET carries queries only.' };
    }
    const tooManyTokens = /^Syntax Error: Document contains more that (\d+) tokens/.exec(formatted.message);
    if (tooManyTokens) {
      return {
        ...formatted,
        message: `The document has more than ${tooManyTokens[1]} tokens, the limit; send a smaller document or split it.`,
      };
    }
    return formatted;
  };
}

/**
 * Mistakes of the client that Apollo and graphql-js report without a code, which would pass for server errors
 * ("Internal server error" in production): each with its code and what to send instead.
 */
const CLIENT_MISTAKES: Record<string, { code: string; message: string }> = {
  'Unsupported persisted query version': {
    code: 'BAD_REQUEST',
    message: 'Persisted queries are version 1: send extensions.persistedQuery.version 1.',
  },
  'provided sha does not match query': {
    code: 'BAD_REQUEST',
    message:
      'extensions.persistedQuery.sha256Hash is not the SHA-256 of the query sent with it; send the hash of this query.',
  },
  'Too many errors processing variables, error limit reached. Execution aborted.': {
    code: 'BAD_USER_INPUT',
    message: 'The variables have more than 50 errors; correct the ones reported and send again.',
  },
};
