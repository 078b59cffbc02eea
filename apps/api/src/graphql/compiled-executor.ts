/**
 * Executes operations with graphql-jit instead of graphql-js: each document is compiled once into a plain
 * function, which then runs without graphql-js's per-field interpretation. Apollo Server 5 accepts a custom
 * executor only through its gateway interface, so this is a "gateway" that serves our own schema.
 *
 * Apollo still parses and validates every request (and caches the validated document), and every plugin hook
 * still runs; only execution itself changes. compiled-executor.test.ts runs every operation the web app sends
 * through both executors and compares the results.
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import { getVariableValues, GraphQLError, type GraphQLSchema } from 'graphql';
import { type CompiledQuery, compileQuery, isCompiledQuery } from 'graphql-jit';

/**
 * How many compiled documents are kept. The web app sends about twenty; integrators add their own. Past this,
 * the least recently used is dropped, so a stream of distinct documents cannot grow memory without bound.
 */
export const COMPILED_DOCUMENTS_KEPT = 1_000;

export interface CompiledExecutor {
  gateway: GatewayInterface;
  /** Compiled documents held now, and how often a request found its document already compiled. */
  stats(): { cached: number; hits: number; misses: number };
}

export function compiledExecutor(schema: GraphQLSchema, kept = COMPILED_DOCUMENTS_KEPT): CompiledExecutor {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  const compiled = new Map<string, CompiledQuery>();
  let hits = 0;
  let misses = 0;

  const executor: GatewayExecutor = async (request) => {
    if (!request.operation) {
      // Apollo leaves an operation name that names nothing to the executor; graphql-js answers it so.
      const name = request.request.operationName ?? '';
      return {
        errors: [
          new GraphQLError(
            name
              ? `Unknown operation named "${name}".`
              : 'Must provide operation name if query contains multiple operations.',
            {
              extensions: { code: 'OPERATION_RESOLUTION_FAILURE', http: { status: 400, headers: new Map() } },
            },
          ),
        ],
      };
    }
    // One document may hold several operations; the compiled function is per operation.
    const key = `${request.queryHash}:${request.operationName ?? ''}`;
    let query = compiled.get(key);
    if (query) {
      hits += 1;
      compiled.delete(key);
    } else {
      misses += 1;
      const result = compileQuery(schema, request.document, request.operationName ?? undefined);
      // Apollo has validated the document already, so this is only an unknown or ambiguous operation name.
      if (!isCompiledQuery(result)) return result;
      query = result;
      if (compiled.size >= kept) compiled.delete(compiled.keys().next().value as string);
    }
    compiled.set(key, query);
    const variables = request.request.variables ?? {};
    const result = await query.query(undefined, request.context, variables);
    if (result.errors && result.data === undefined && request.operation) {
      // Nothing ran: the variables were refused. graphql-jit words that its own way, without the cause and as a
      // server error; graphql-js's errors are the ones clients know (BAD_USER_INPUT, with the cause).
      const coerced = getVariableValues(schema, request.operation.variableDefinitions ?? [], variables, {
        maxErrors: 50,
      });
      if (coerced.errors) return { errors: coerced.errors.map(asBadUserInput) };
    }
    return result.errors ? { ...result, errors: result.errors.map(asGraphQLJsError) } : result;
  };

  return {
    gateway: {
      async load() {
        return { executor };
      },
      onSchemaLoadOrUpdate(callback) {
        callback({ apiSchema: schema, coreSupergraphSdl: '' });
        return () => {};
      },
      async stop() {
        compiled.clear();
      },
    },
    stats: () => ({ cached: compiled.size, hits, misses }),
  };
}

/**
 * graphql-jit leaves `extensions` undefined on an error whose cause has none (a bug's plain Error), where
 * graphql-js sets `{}`; Apollo reads `extensions.code` of every error. Such errors are rebuilt as graphql-js
 * builds them, with the same message, path, locations and cause.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  if (error.extensions) return error;
  const rebuilt = new GraphQLError(error.message, {
    path: error.path,
    originalError: error.originalError ?? undefined,
    extensions: {},
  });
  (rebuilt as { locations: GraphQLError['locations'] }).locations = error.locations;
  return rebuilt;
}

/** A variable refused in coercion, marked as Apollo marks it when graphql-js executes. */
function asBadUserInput(error: GraphQLError): GraphQLError {
  return new GraphQLError(error.message, {
    nodes: error.nodes,
    originalError: error.originalError ?? undefined,
    extensions: { ...error.extensions, code: 'BAD_USER_INPUT' },
  });
}
