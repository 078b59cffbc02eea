/**
 * Cost: every page size an operation asks for, checked, and the nodes it could return, counted GitHub's way.
 * Needs the request's variables, so it runs once Apollo has chosen the operation and throws `badInput` (400).
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  type GraphQLField,
  type GraphQLSchema,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  valueFromASTUntyped,
  visit,
} from 'graphql';
import { badInput } from '../../errors.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../../paging/cursor.ts';
import { measuredFragments } from './fragment-measures.ts';
import { LIMITS } from './limit-values.ts';
import { namedType, type TypeWithFields, withFields } from './schema-types.ts';

export interface CostLimitOptions {
  /** The most nodes one operation may ask for; LIMITS.maxNodes by default. */
  maxNodes?: number;
  /** The page size of a connection asked for without first or last, as the resolvers apply it. */
  defaultPageSize?: number;
  /** The largest first or last accepted. */
  maxPageSize?: number;
}

export interface AnalyseOptions extends CostLimitOptions {
  /**
   * Lets a connection asked for without first or last be recognised by its definition (a first or last
   * argument, or a type named `...Connection`) and counted at the default page size. Without a schema only
   * fields given first or last in the document count.
   */
  schema?: GraphQLSchema;
}

export interface OperationAnalysis {
  /** GitHub's node count: for every connection, the product of its page size and those of its ancestors. */
  nodes: number;
}

const PAGE_ARGUMENTS = new Set(['first', 'last']);

/**
 * Checks every first and last in an operation (literals and variables, a variable's default standing in when
 * the request leaves it out) and counts the nodes the operation could return. Throws `badInput` (400) for a
 * page size out of range or a count over the limit.
 */
export function analyseOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>> | undefined,
  options: AnalyseOptions = {},
): OperationAnalysis {
  const {
    schema,
    maxNodes = LIMITS.maxNodes,
    defaultPageSize = DEFAULT_PAGE_SIZE,
    maxPageSize = MAX_PAGE_SIZE,
  } = options;
  const operation = getOperationAST(document, operationName);
  if (!operation) {
    throw badInput(
      operationName
        ? `The document has no operation named ${operationName}.`
        : 'The document has several operations: name the one to run in operationName.',
    );
  }
  const variableValues = effectiveVariables(operation, variables);
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }

  /** The first or last a field is given, checked; null when it is given neither. */
  function pageSizeOf(field: FieldNode, fieldPath: string): number | null {
    let pageSize: number | null = null;
    for (const argument of field.arguments ?? []) {
      const name = argument.name.value;
      if (!PAGE_ARGUMENTS.has(name)) continue;
      const value: unknown = valueFromASTUntyped(argument.value, variableValues);
      // null is "not given", as the resolvers read it.
      if (value == null) continue;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxPageSize) {
        throw badInput(
          `${name} must be between 1 and ${maxPageSize} on ${fieldPath}; page through longer lists with after/before.`,
          name,
        );
      }
      // Both at once is readPageArgs's to refuse; until then the larger is the one that could be served.
      pageSize = Math.max(pageSize ?? 0, value);
    }
    return pageSize;
  }

  const typeNamed = (name: string) => withFields(schema?.getType(name));

  // A fragment's count is measured once, at a multiplier of 1, and scaled wherever it is spread: every term
  // of the sum is a product that includes the multiplier of the place it is spread.
  const nodesInFragment = measuredFragments<number, string[]>(
    (name) => fragments.get(name),
    (fragment, path) => nodesIn(fragment.selectionSet, typeNamed(fragment.typeCondition.name.value), path),
    0,
  );

  /** Nodes under a selection, as if its parent were returned once. */
  function nodesIn(selectionSet: SelectionSetNode, parentType: TypeWithFields | undefined, path: string[]): number {
    let nodes = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? typeNamed(selection.typeCondition.name.value) : parentType;
        nodes += nodesIn(selection.selectionSet, type, path);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        nodes += nodesInFragment(selection.name.value, path);
        continue;
      }
      const fieldPath = [...path, (selection.alias ?? selection.name).value];
      const pageSize = pageSizeOf(selection, fieldPath.join('.'));
      const definition = parentType?.getFields()[selection.name.value];
      const below = selection.selectionSet
        ? nodesIn(selection.selectionSet, definition && withFields(namedType(definition.type)), fieldPath)
        : 0;
      if (pageSize !== null || (definition && isConnection(definition))) {
        const size = pageSize ?? defaultPageSize;
        // The connection's own page, then everything below it once per node of the page.
        nodes += size + size * below;
      } else {
        nodes += below;
      }
    }
    return nodes;
  }

  const nodes = nodesIn(operation.selectionSet, withFields(schema?.getRootType(operation.operation)), []);
  if (nodes > maxNodes) {
    throw badInput(
      `The query could return up to ${nodes} nodes; the limit is ${maxNodes}. Ask for smaller pages (first/last) or less nesting.`,
    );
  }
  return { nodes };
}

/** The request's variables over the operation's defaults: what the resolvers will be given. */
function effectiveVariables(
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>> | undefined,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (variables && Object.hasOwn(variables, name)) values[name] = variables[name];
    else if (definition.defaultValue) values[name] = valueFromASTUntyped(definition.defaultValue);
  }
  return values;
}

function isConnection(definition: GraphQLField<unknown, unknown>): boolean {
  return (
    definition.args.some((argument) => PAGE_ARGUMENTS.has(argument.name)) ||
    namedType(definition.type).name.endsWith('Connection')
  );
}

/**
 * Counts kept per document. A document's count changes only with its operation and the values given to first
 * or last, so a client paging with a few sizes keeps a few; past this a document's new values are counted each
 * time they come.
 */
export const COUNTS_KEPT_PER_DOCUMENT = 64;

export interface CostLimitPlugin<TContext extends BaseContext> extends ApolloServerPlugin<TContext> {
  /** How many times an operation was analysed, rather than found already counted within the limit. */
  analyses(): number;
}

/**
 * Runs analyseOperation on every operation once Apollo has chosen it, before execution. A GraphQLError thrown
 * here becomes the response, with the HTTP status in its extensions.
 *
 * Apollo hands every request for a document it has parsed the same DocumentNode, so an operation found within
 * the limit is remembered on it, by its name and its page-size variables' values, and not walked again: the
 * walk was about 2% of the API's CPU per request on the load test's mix (docs/PERFORMANCE.md). A refusal is
 * never remembered; it is worked out again, with its message, each time.
 */
export function costLimitPlugin<TContext extends BaseContext>(
  options: CostLimitOptions = {},
): CostLimitPlugin<TContext> {
  const counted = new WeakMap<DocumentNode, { pageVariables: string[]; within: Set<string> }>();
  let analyses = 0;
  return {
    analyses: () => analyses,
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          // No operation by the name asked for: execution answers that, in its own words.
          if (!operation) return;
          let known = counted.get(document);
          if (!known)
            counted.set(document, (known = { pageVariables: pageSizeVariables(document), within: new Set() }));
          const key = countKey(operation.name?.value, known.pageVariables, request.variables);
          if (known.within.has(key)) return;
          analyses += 1;
          analyseOperation(document, operation.name?.value, request.variables, { ...options, schema });
          if (known.within.size < COUNTS_KEPT_PER_DOCUMENT) known.within.add(key);
        },
      };
    },
  };
}

/** The variables a document gives to first or last: the only ones its count depends on. */
function pageSizeVariables(document: DocumentNode): string[] {
  const names = new Set<string>();
  visit(document, {
    Argument(argument) {
      if (!PAGE_ARGUMENTS.has(argument.name.value)) return;
      visit(argument.value, { Variable: (variable) => void names.add(variable.name.value) });
    },
  });
  return [...names];
}

/** An operation and its page-size variables as the request gives them: absent (the default) apart from null. */
function countKey(
  operationName: string | undefined,
  pageVariables: string[],
  variables: Readonly<Record<string, unknown>> | undefined,
): string {
  let key = operationName ?? '';
  for (const name of pageVariables) {
    key += variables && Object.hasOwn(variables, name) ? `\0${JSON.stringify(variables[name])}` : '\0-';
  }
  return key;
}
