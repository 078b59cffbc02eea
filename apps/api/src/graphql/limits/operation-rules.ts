/**
 * Validation rules that measure each operation (depth, aliases, root fields, signIn once, no subscriptions) and
 * fail the request with Apollo's own 400 for an invalid document.
 */
import {
  type ASTVisitor,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import { fragmentsOf, measuredFragments } from './fragment-measures.ts';

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
