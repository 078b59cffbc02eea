/**
 * Limits that refuse abusive GraphQL documents before any resolver or SQL runs. The validation rules (depth,
 * aliases, root fields) fail the request with Apollo's own 400 for invalid documents; the cost plugin, which
 * needs the request's variables, throws `badInput` (400) once the operation is chosen. Every message names the
 * limit and what to ask for instead.
 *
 * Fragments are measured once each and reused, so a document that spreads fragments into fragments costs a
 * walk linear in its size, never exponential; a fragment cycle (which NoFragmentCyclesRule reports) measures
 * as nothing instead of looping. A fragment is counted at every place it is spread, as its fields would be
 * resolved there: two spreads into one selection, which GraphQL merges, count twice. That overestimate only
 * errs towards refusing, and only for documents far larger than our pages send.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  type ASTVisitor,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  getOperationAST,
  GraphQLError,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
  type GraphQLType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
  valueFromASTUntyped,
} from 'graphql';
import { badInput } from '../errors.ts';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../paging/cursor.ts';

export const LIMITS = {
  /**
   * Fields nested in fields. A real Relay query, a case list down to each student's risk and alerts
   * (`cases { edges { node { student { riskProfile { reasons } alerts { edges { node { id } } } } } } }`), is
   * 8 deep; 12 leaves room for a page that needs a little more and refuses the
   * `student { cases { nodes { student { ... } } } }` recursions that only an attacker writes.
   */
  maxDepth: 12,
  /** Aliased fields per operation: enough to ask for one field under a few names, not to batch a mutation. */
  maxAliases: 15,
  /**
   * Lexical tokens per document, counted by the parser before anything else (Apollo's `parseOptions`), so a
   * huge document is refused before it is held as a tree. The standard introspection query is 163 tokens.
   */
  maxTokens: 5000,
  /**
   * GitHub's node limit (the most objects one query could return, page sizes multiplied through nested
   * connections) is 500,000; ours is 50,000 because a page is at most 100, and two full levels of nesting
   * (100 + 100 × 100 = 10,100) is already more than any screen shows.
   */
  maxNodes: 50_000,
  /**
   * Top-level fields per operation, each one a resolver and most a query of its own. A page asks for a handful;
   * 20 refuses a thousand root fields, and with maxAliases keeps signIn attempts batched in one request few.
   */
  maxRootFields: 20,
  /**
   * SQL statements one query may send. The web app's pages send at most 12 (statement-counts.test.ts); lists
   * nested in lists within the node limit could send thousands, holding the pool while they do.
   */
  maxStatementsPerQuery: 200,
  /**
   * Fields a document asks for, as its operations would run them: a fragment counts wherever it is spread (and a
   * fragment no operation spreads, once). The web app's largest page asks for 38 and the standard introspection
   * query for 230; a document at the token limit can hold 2,500, and fragments spread into fragments multiply
   * that without end. graphql-js validates about 3 µs a field, so this keeps validation near 1.5 ms at most.
   * This and the two below are measured before validation (measureDocumentShape), in a walk linear in the
   * document.
   */
  maxFields: 500,
  /**
   * Fields one selection set merges: its own, its inline fragments' and those of the fragments it spreads. Each
   * is a resolver per object; the web app's widest merges 15.
   */
  maxFieldsPerSelection: 100,
  /**
   * Fields that repeat a response name already asked for in their selection set (fragments included), each
   * counted with every field under it. GraphQL merges them, so they add nothing to the answer, but validation
   * compares every pair of them, and of the fields under them, to prove they can merge: 300 copies of
   * `user { email }` under `viewer` cost 0.1 s of CPU, as much as a few hundred ordinary requests. Fragments
   * that components share repeat `id` and the like (the web app 2 at most); 50 leaves room for that, and keeps
   * validation's comparisons to about 50 x 50.
   */
  maxRepeatedFields: 50,
} as const;

// ---- Fragments, measured once each -------------------------------------------------------------------------

type FragmentLookup = (name: string) => FragmentDefinitionNode | null | undefined;

/**
 * Measures each fragment the first time it is spread and answers from memory after that; a fragment spread
 * inside itself measures as `onCycle`. `context` is whatever the first measurement needs (a path, say); later
 * spreads reuse that measurement, which must therefore not depend on where the fragment is spread.
 */
function measuredFragments<Measure, Context>(
  lookup: FragmentLookup,
  measure: (fragment: FragmentDefinitionNode, context: Context) => Measure,
  onCycle: Measure,
): (name: string, context: Context) => Measure {
  const measured = new Map<string, Measure>();
  const inProgress = new Set<string>();
  return (name, context) => {
    const known = measured.get(name);
    if (known !== undefined) return known;
    const fragment = lookup(name);
    // An unknown fragment is KnownFragmentNamesRule's to report; a cycle is NoFragmentCyclesRule's.
    if (!fragment || inProgress.has(name)) return onCycle;
    inProgress.add(name);
    try {
      const result = measure(fragment, context);
      measured.set(name, result);
      return result;
    } finally {
      inProgress.delete(name);
    }
  };
}

function fragmentsOf(context: ValidationContext): FragmentLookup {
  return (name) => context.getFragment(name);
}

// ---- Validation rules --------------------------------------------------------------------------------------

/**
 * `__schema` and `__type` are answered from the schema in memory, never from the database, and graphql-js's
 * own MaxIntrospectionDepthRule (one of the specified rules Apollo always runs) bounds how they fan out. So
 * each counts as one level and what is below it is not counted: the standard introspection query that tools
 * send is 14 deep, and a depth limit meant for resolvers must not refuse it. `__typename` counts like any field.
 */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** Refuses operations whose fields nest deeper than `maxDepth`; `{ viewer { user { id } } }` is 3 deep. */
export function depthLimitRule(maxDepth: number): ValidationRule {
  return (context) => {
    const depthOfFragment = measuredFragments(fragmentsOf(context), (fragment) => depthOf(fragment.selectionSet), 0);
    function depthOf(selectionSet: SelectionSetNode): number {
      let deepest = 0;
      for (const selection of selectionSet.selections) {
        const depth =
          selection.kind === Kind.FIELD
            ? 1 +
              (selection.selectionSet && !INTROSPECTION_ROOTS.has(selection.name.value)
                ? depthOf(selection.selectionSet)
                : 0)
            : selection.kind === Kind.INLINE_FRAGMENT
              ? depthOf(selection.selectionSet)
              : depthOfFragment(selection.name.value, undefined);
        deepest = Math.max(deepest, depth);
      }
      return deepest;
    }
    return perOperation(context, depthOf, (depth) =>
      depth > maxDepth
        ? `Query is nested ${depth} levels deep; the limit is ${maxDepth}. Ask for less nesting, or split the query.`
        : null,
    );
  };
}

/** Refuses operations with more than `maxAliases` aliased fields, counting those in the fragments they spread. */
export function aliasLimitRule(maxAliases: number): ValidationRule {
  return (context) => {
    const aliasesInFragment = measuredFragments(
      fragmentsOf(context),
      (fragment) => aliasesIn(fragment.selectionSet),
      0,
    );
    function aliasesIn(selectionSet: SelectionSetNode): number {
      let aliases = 0;
      for (const selection of selectionSet.selections) {
        if (selection.kind === Kind.FIELD) {
          aliases += (selection.alias ? 1 : 0) + (selection.selectionSet ? aliasesIn(selection.selectionSet) : 0);
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          aliases += aliasesIn(selection.selectionSet);
        } else {
          aliases += aliasesInFragment(selection.name.value, undefined);
        }
      }
      return aliases;
    }
    return perOperation(context, aliasesIn, (aliases) =>
      aliases > maxAliases ? `The query uses ${aliases} aliases; the limit is ${maxAliases}.` : null,
    );
  };
}

/**
 * The top-level fields of an operation, fragments on the root included, by response name. Fields with one
 * response name are merged by GraphQL and resolved once, so they count once.
 */
function rootFieldsByResponseName(context: ValidationContext, selectionSet: SelectionSetNode): Map<string, string> {
  const fields = new Map<string, string>();
  const spread = new Set<string>();
  const collect = (selections: SelectionSetNode): void => {
    for (const selection of selections.selections) {
      if (selection.kind === Kind.FIELD) {
        fields.set((selection.alias ?? selection.name).value, selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        collect(selection.selectionSet);
      } else if (!spread.has(selection.name.value)) {
        // A fragment spread again adds no new names; remembering it also ends any cycle.
        spread.add(selection.name.value);
        const fragment = context.getFragment(selection.name.value);
        if (fragment) collect(fragment.selectionSet);
      }
    }
  };
  collect(selectionSet);
  return fields;
}

/** Refuses operations with more than `maxRootFields` top-level fields. */
export function rootFieldLimitRule(maxRootFields: number): ValidationRule {
  return (context) =>
    perOperation(
      context,
      (selectionSet) => rootFieldsByResponseName(context, selectionSet).size,
      (rootFields) =>
        rootFields > maxRootFields
          ? `The query asks for ${rootFields} root fields; the limit is ${maxRootFields}.`
          : null,
    );
}

/**
 * Refuses an operation that calls `fieldName` at the root more than once, under aliases. For signIn this keeps
 * password guesses to one per request, so a guesser pays a request (and the throttle sees it) for each.
 */
export function oncePerRequestRule(fieldName: string): ValidationRule {
  return (context) =>
    perOperation(
      context,
      (selectionSet) =>
        [...rootFieldsByResponseName(context, selectionSet).values()].filter((name) => name === fieldName).length,
      (calls) =>
        calls > 1 ? `The operation calls ${fieldName} ${calls} times; send one ${fieldName} per request.` : null,
    );
}

/** Refuses subscriptions in validation, as a 400: the schema has none, and graphql-js would fail them as a bug. */
export function noSubscriptionsRule(): ValidationRule {
  return (context) => ({
    OperationDefinition(operation: OperationDefinitionNode) {
      if (operation.operation === 'subscription') {
        context.reportError(
          new GraphQLError('This API has no subscriptions; ask with a query, and ask again for changes.', {
            nodes: operation,
          }),
        );
      }
      return false;
    },
  });
}

/** A visitor that measures each operation in the document and reports the ones a limit refuses. */
function perOperation(
  context: ValidationContext,
  measure: (selectionSet: SelectionSetNode) => number,
  refusal: (measured: number) => string | null,
): ASTVisitor {
  return {
    OperationDefinition(operation: OperationDefinitionNode) {
      const message = refusal(measure(operation.selectionSet));
      if (message) context.reportError(new GraphQLError(message, { nodes: operation }));
      // The operation is measured whole; its fields need no visit of their own.
      return false;
    },
  };
}

// ---- Shape: refused before validation -----------------------------------------------------------------------

export type ShapeLimits = Record<'maxFields' | 'maxFieldsPerSelection' | 'maxRepeatedFields', number>;

/** What a document costs to validate and run, read from the parsed document alone (see LIMITS). */
export interface DocumentShape {
  /** Fields as the operations would run them, a fragment wherever it is spread (LIMITS.maxFields). */
  fields: number;
  /** The most fields one selection set merges (LIMITS.maxFieldsPerSelection). */
  widestSelection: number;
  /** Fields that repeat a response name in their selection set, with all under them (LIMITS.maxRepeatedFields). */
  repeatedFields: number;
}

/**
 * A field as a selection set merges it: its response name, its weight (itself and every field under it), and
 * the fragment whose own selections hold it (null for the selection set's own, its inline fragments' included).
 */
interface MergedField {
  responseName: string;
  weight: number;
  fragment: string | null;
}

const UNLIMITED: ShapeLimits = { maxFields: Infinity, maxFieldsPerSelection: Infinity, maxRepeatedFields: Infinity };

/**
 * Measures a document in two walks, each linear in its size, fragments measured once and reused; it stops at
 * the first measure over its limit, whose figure is then the one to report. The first walk counts fields (each
 * fragment at every spread), so that fragments that multiply are refused on that count before the second walk
 * copies their fields into the selection sets that spread them. The second merges each selection set as
 * GraphQL's OverlappingFieldsCanBeMergedRule does (a fragment reached twice merges once) and counts what repeats.
 * Fragment cycles measure as nothing: NoFragmentCyclesRule reports them.
 */
export function measureDocumentShape(document: DocumentNode, limits: ShapeLimits = UNLIMITED): DocumentShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const lookup: FragmentLookup = (name) => fragments.get(name);

  const sizes = new Map<SelectionSetNode, number>();
  const sizeOfFragment = measuredFragments(lookup, (fragment) => sizeOf(fragment.selectionSet), 0);
  /** Fields under a selection set, fragments expanded. */
  function sizeOf(selectionSet: SelectionSetNode): number {
    let size = sizes.get(selectionSet);
    if (size !== undefined) return size;
    size = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) size += 1 + (selection.selectionSet ? sizeOf(selection.selectionSet) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) size += sizeOf(selection.selectionSet);
      else size += sizeOfFragment(selection.name.value, undefined);
    }
    sizes.set(selectionSet, size);
    return size;
  }

  const shape: DocumentShape = { fields: 0, widestSelection: 0, repeatedFields: 0 };
  // A fragment no operation reaches is validated all the same: it counts once, as an operation would.
  for (const definition of rootsOf(document, fragments)) {
    shape.fields += sizeOf(definition.selectionSet);
    if (shape.fields > limits.maxFields) return shape;
  }

  const mergedFragment = measuredFragments<MergedField[], undefined>(
    lookup,
    (fragment) => merged(fragment.selectionSet, fragment.name.value),
    [],
  );
  /** The fields a selection set merges. */
  function merged(selectionSet: SelectionSetNode, owner: string | null): MergedField[] {
    const fields: MergedField[] = [];
    const fragmentsMerged = new Set<string>();
    const collect = (selections: SelectionSetNode): void => {
      for (const selection of selections.selections) {
        if (selection.kind === Kind.FIELD) {
          const weight = 1 + (selection.selectionSet ? sizeOf(selection.selectionSet) : 0);
          fields.push({ responseName: (selection.alias ?? selection.name).value, weight, fragment: owner });
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          collect(selection.selectionSet);
        } else if (!fragmentsMerged.has(selection.name.value)) {
          // A fragment reached again (spread twice, or through two fragments) merges once: GraphQL compares no
          // fragment with itself.
          const reached = new Set([selection.name.value]);
          for (const field of mergedFragment(selection.name.value, undefined)) {
            if (field.fragment !== null && fragmentsMerged.has(field.fragment)) continue;
            if (field.fragment !== null) reached.add(field.fragment);
            fields.push(field);
          }
          for (const name of reached) fragmentsMerged.add(name);
        }
      }
    };
    collect(selectionSet);
    return fields;
  }

  /** Adds a selection set's figures; false once one is over its limit. */
  const measure = (fieldsMerged: readonly MergedField[]): boolean => {
    shape.widestSelection = Math.max(shape.widestSelection, fieldsMerged.length);
    const seen = new Set<string>();
    for (const field of fieldsMerged) {
      if (seen.has(field.responseName)) shape.repeatedFields += field.weight;
      else seen.add(field.responseName);
    }
    return shape.widestSelection <= limits.maxFieldsPerSelection && shape.repeatedFields <= limits.maxRepeatedFields;
  };
  /** Every selection set GraphQL validates on its own below this one (a field's; inline fragments merge up). */
  const within = (selectionSet: SelectionSetNode): boolean => {
    for (const selection of selectionSet.selections) {
      const below =
        selection.kind === Kind.FIELD
          ? !selection.selectionSet || (measure(merged(selection.selectionSet, null)) && within(selection.selectionSet))
          : selection.kind === Kind.INLINE_FRAGMENT
            ? within(selection.selectionSet)
            : true;
      if (!below) return false;
    }
    return true;
  };
  for (const definition of document.definitions) {
    if (definition.kind === Kind.OPERATION_DEFINITION) {
      if (!measure(merged(definition.selectionSet, null)) || !within(definition.selectionSet)) break;
    } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
      if (!measure(mergedFragment(definition.name.value, undefined)) || !within(definition.selectionSet)) break;
    }
  }
  return shape;
}

/** The operations, and the fragments that no operation spreads, directly or through other fragments. */
function rootsOf(
  document: DocumentNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): (OperationDefinitionNode | FragmentDefinitionNode)[] {
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const reached = new Set<string>();
  const pending: SelectionSetNode[] = operations.map((operation) => operation.selectionSet);
  for (let selectionSet = pending.pop(); selectionSet; selectionSet = pending.pop()) {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const fragment = fragments.get(selection.name.value);
        if (fragment && !reached.has(fragment.name.value)) {
          reached.add(fragment.name.value);
          pending.push(fragment.selectionSet);
        }
      } else if (selection.selectionSet) {
        pending.push(selection.selectionSet);
      }
    }
  }
  return [...operations, ...[...fragments.values()].filter((fragment) => !reached.has(fragment.name.value))];
}

/** Why a document of this shape is refused, naming the limit and what to change; null when it is not. */
export function shapeRefusal(shape: DocumentShape, limits: ShapeLimits = LIMITS): string | null {
  if (shape.fields > limits.maxFields) {
    return `The document asks for ${shape.fields} fields, counting a fragment wherever it is spread; the limit is ${limits.maxFields}. Ask for fewer fields, or split the document.`;
  }
  if (shape.widestSelection > limits.maxFieldsPerSelection) {
    return `A selection set of the document asks for ${shape.widestSelection} fields, its fragments included; the limit is ${limits.maxFieldsPerSelection}. Ask for fewer fields at once.`;
  }
  if (shape.repeatedFields > limits.maxRepeatedFields) {
    return `The document asks again for fields its selection sets already ask for: more than ${limits.maxRepeatedFields}, counting the fields under them, the limit. GraphQL merges a repeated field into the first, so ask for each field once per selection set.`;
  }
  return null;
}

/**
 * Refuses a document of a shape that would be costly to validate (see measureDocumentShape), before it is
 * validated: graphql-js runs every validation rule in one pass, OverlappingFieldsCanBeMergedRule first, so no
 * rule of ours could stop its quadratic comparisons in time. Apollo lets no plugin answer between parsing and
 * validation (a hook that throws is a 500), so the plugin, as validation starts, puts an empty document in the
 * refused one's place (graphql-js's own rules find nothing in it) and the rule reports the refusal on it: Apollo
 * answers its 400 for an invalid document, with our message, and never caches it. Documents that come as
 * automatic persisted queries are parsed from their text here too, unless validated already.
 */
export function documentShapeLimit<TContext extends BaseContext>(
  limits: ShapeLimits = LIMITS,
): { plugin: ApolloServerPlugin<TContext>; rule: ValidationRule } {
  const refusals = new WeakMap<DocumentNode, string>();
  return {
    plugin: {
      async requestDidStart() {
        return {
          async validationDidStart(requestContext) {
            const refusal = shapeRefusal(measureDocumentShape(requestContext.document, limits), limits);
            if (!refusal) return;
            const standIn: DocumentNode = { kind: Kind.DOCUMENT, definitions: [] };
            refusals.set(standIn, refusal);
            // Read by Apollo's validate call next; typed readonly because plugins are not expected to write it.
            (requestContext as { document: DocumentNode }).document = standIn;
          },
        };
      },
    },
    rule: (context) => {
      const refusal = refusals.get(context.getDocument());
      return refusal ? { Document: () => context.reportError(new GraphQLError(refusal)) } : {};
    },
  };
}

// ---- Cost: page sizes and the nodes a query could return ---------------------------------------------------

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

/**
 * An object or interface type, the ones whose fields a selection can ask for (a union's only field is
 * `__typename`). Types are recognised by their shape rather than graphql's `isObjectType` and kin: those are
 * instanceof checks that throw when the schema was built by another copy of graphql, which is what happens under
 * vitest, where our code gets graphql's ES module build and Apollo its CommonJS build.
 */
interface TypeWithFields {
  getFields(): Record<string, GraphQLField<unknown, unknown>>;
}

export function withFields(type: GraphQLNamedType | null | undefined): TypeWithFields | undefined {
  return type && 'getFields' in type && 'getInterfaces' in type ? type : undefined;
}

export function namedType(type: GraphQLType): GraphQLNamedType {
  let named = type;
  while ('ofType' in named) named = named.ofType;
  return named;
}

function isConnection(definition: GraphQLField<unknown, unknown>): boolean {
  return (
    definition.args.some((argument) => PAGE_ARGUMENTS.has(argument.name)) ||
    namedType(definition.type).name.endsWith('Connection')
  );
}

/**
 * Runs analyseOperation on every operation once Apollo has chosen it, before execution. A GraphQLError thrown
 * here becomes the response, with the HTTP status in its extensions.
 */
export function costLimitPlugin<TContext extends BaseContext>(
  options: CostLimitOptions = {},
): ApolloServerPlugin<TContext> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ document, operation, request, schema }) {
          // No operation by the name asked for: execution answers that, in its own words.
          if (!operation) return;
          analyseOperation(document, operation.name?.value, request.variables, { ...options, schema });
        },
      };
    },
  };
}
