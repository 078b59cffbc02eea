/** Apollo plugins of our own: what happens around every GraphQL request, whatever its operation. */
import type { ApolloServerPlugin } from '@apollo/server';
import { readFromPrimaryOnly } from '@pastoral/db';
import { getOperationAST } from 'graphql';
import type { GraphQLContext } from '../context.ts';
import type { Metrics } from './metrics.ts';
import { RequestDeadlineError } from './request-deadline.ts';
import { isDatabaseUnavailable } from './database-errors.ts';

/** Each GraphQL request's latency, by its operation's name, and whether it answered with errors. */
export function operationMetricsPlugin(metrics: Metrics): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operationName, document, request, response }) {
          const errors = response.body.kind === 'single' ? (response.body.singleResult.errors?.length ?? 0) : 0;
          // A document that failed validation has no resolved operation, but it may well be named.
          const name =
            operationName ??
            (document ? getOperationAST(document, request.operationName)?.name?.value : undefined) ??
            request.operationName ??
            null;
          metrics.observeOperation(name, (performance.now() - started) / 1000, errors > 0 ? 'error' : 'ok');
        },
      };
    },
  };
}

/**
 * Once Apollo knows what the request is: queries get a statement budget (one that outruns it is answered 400, as
 * the other limits are: it is the query that must ask for less), and mutations read from the primary only.
 */
export function operationTypePlugin(limit: number): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ operation, contextValue }) {
          if (operation?.operation === 'query' && contextValue.statementBudget)
            contextValue.statementBudget.limit = limit;
          // A mutation decides what to write on what it reads: from the primary, never a replica's older copy.
          if (operation?.operation === 'mutation') readFromPrimaryOnly();
        },
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          if (errors.some((error) => error.extensions?.code === 'QUERY_TOO_COSTLY')) response.http.status = 400;
        },
      };
    },
  };
}

/** A request that failed because the database could not serve it is a 503 with Retry-After, not a 200 or 500. */
export function serviceUnavailablePlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ response }) {
          if (response.body.kind !== 'single') return;
          const errors = response.body.singleResult.errors ?? [];
          const unavailable = ['DATABASE_UNAVAILABLE', 'REQUEST_TIMEOUT'];
          if (errors.some((error) => unavailable.includes(String(error.extensions?.code)))) {
            response.http.status = 503;
            response.http.headers.set('retry-after', '2');
          }
        },
      };
    },
  };
}

/**
 * A request that changed schools' data forgets their cached dashboards before its response leaves, so the
 * viewer's next page, on any process, counts the change. (Forgetting inside the transaction would let another
 * request cache the figures from before the commit.)
 */
export function dashboardInvalidationPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async willSendResponse({ contextValue }) {
          if (contextValue.changedDashboards.size > 0)
            await contextValue.dashboardCache.invalidate(contextValue.changedDashboards);
        },
      };
    },
  };
}

/** Failures that are not deliberate GraphQL errors go to the request's log, which carries its request id. */
export function errorLoggingPlugin(): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      return {
        async didEncounterErrors({ errors, contextValue }) {
          for (const error of errors) {
            const cause = error.originalError;
            if (!cause || cause.name === 'GraphQLError') continue;
            const unavailable = isDatabaseUnavailable(cause) || cause instanceof RequestDeadlineError;
            contextValue.logger[unavailable ? 'warn' : 'error']({ err: cause, path: error.path }, 'operation failed');
          }
        },
      };
    },
  };
}
