/**
 * The shape of a document (fields, the widest selection, repeated fields), measured and refused before
 * validation, because validating some shapes is itself the cost to avoid.
 */
import type { ApolloServerPlugin, BaseContext } from '@apollo/server';
import {
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationRule,
} from 'graphql';
import { type FragmentLookup, measuredFragments } from './fragment-measures.ts';
import { LIMITS } from './limit-values.ts';

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
