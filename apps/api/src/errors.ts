/**
 * The error a request's own mistake raises below the GraphQL layer (a filter with no values, a page size out of
 * bounds, a cursor of another list): repositories and paging throw it, and Apollo answers it as a 400. The
 * API's other errors (401, 403) are the GraphQL layer's alone, in graphql/errors.ts.
 */
import { GraphQLError } from 'graphql';

/** The request is malformed or out of bounds: 400, with what to send instead. */
export function badInput(message: string, argument?: string): GraphQLError {
  return new GraphQLError(message, {
    extensions: { code: 'BAD_USER_INPUT', ...(argument ? { argument } : {}), http: { status: 400 } },
  });
}
