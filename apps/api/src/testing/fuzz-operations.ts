/**
 * GraphQL requests generated from the schema, for fuzzing the API (fuzz.faults.test.ts). Operations are built by
 * walking the schema's types: root fields, their arguments with generated values (realistic ones drawn from the
 * seeded data, and hostile ones: wrong types, out-of-range numbers, long and odd strings, bogus ids, bad enums and
 * dates, null where null is not allowed), sub-selections to a bounded depth, fragments, aliases and directives;
 * values go inline or as variables. Some requests are then broken on purpose: a corrupted document, a GET, a body
 * that is not the JSON GraphQL expects.
 *
 * The values are in fuzz-values.ts, the tree and its writing out in fuzz-documents.ts, the HTTP requests in
 * fuzz-requests.ts.
 *
 * Every value is a fast-check arbitrary composed from smaller ones, so a failure shrinks towards a small request.
 * Types are told apart by their Symbol.toStringTag rather than graphql's `isObjectType` and kin, which are
 * instanceof checks that fail when the schema comes from another copy of graphql.
 */
import fc from 'fast-check';
import type {
  GraphQLAbstractType,
  GraphQLArgument,
  GraphQLField,
  GraphQLNamedType,
  GraphQLObjectType,
  GraphQLSchema,
} from 'graphql';
import {
  argumentTypesOf,
  type ArgumentNode,
  type DirectiveNode,
  type InputValue,
  isLeaf,
  kindOf,
  namedTypeOf,
  type OperationNode,
  type Passing,
  type SelectionNode,
  writeDocument,
  type WrittenRequest,
} from './fuzz-documents.ts';
import {
  illTypedWeight,
  inputValueArbitrary,
  number,
  type SeededValues,
  sometimes,
  string,
  type Typing,
  weighted,
  wrongKindValue,
} from './fuzz-values.ts';
import {
  corrupt,
  corruption,
  type FuzzRequest,
  getRequest,
  idempotencyKey,
  jsonPost,
  malformedRequest,
} from './fuzz-requests.ts';

// ---- The schema walk ----------------------------------------------------------------------------------------

export interface OperationArbitraryOptions {
  schema: GraphQLSchema;
  seeded: SeededValues;
  /** Object nesting below each root field; deeper documents are generated now and then to meet the depth limit. */
  depth?: number;
}

/**
 * The request arbitrary: mostly well-typed operations, some ill-typed ones, and some broken requests. Every
 * arbitrary for a type at a depth is made once and shared, so the schema walk is built in time linear in it.
 */
export function fuzzRequests({ schema, seeded, depth = 4 }: OperationArbitraryOptions): fc.Arbitrary<FuzzRequest> {
  const argumentTypes = argumentTypesOf(schema);
  const wellTyped = graphQLRequests(schema, seeded, depth, argumentTypes, 'well-typed');
  const illTyped = graphQLRequests(schema, seeded, depth, argumentTypes, 'ill-typed');
  // Three in four requests well-typed, about one in seven ill-typed, the rest broken in transit or in shape.
  return fc.oneof(
    { arbitrary: fc.tuple(wellTyped, idempotencyKey).map(([request, key]) => jsonPost(request, key)), weight: 60 },
    { arbitrary: fc.tuple(illTyped, idempotencyKey).map(([request, key]) => jsonPost(request, key)), weight: 12 },
    {
      arbitrary: fc
        .tuple(wellTyped, corruption)
        .map(([request, how]) => jsonPost({ ...request, query: corrupt(request.query, how) }, null)),
      weight: 3,
    },
    { arbitrary: wellTyped.map(getRequest), weight: 2 },
    { arbitrary: malformedRequest, weight: 3 },
  );
}

/** Documents with their variables, every value keeping to its type or (ill-typed) not always. */
function graphQLRequests(
  schema: GraphQLSchema,
  seeded: SeededValues,
  depth: number,
  argumentTypes: Map<string, string>,
  typing: Typing,
): fc.Arbitrary<WrittenRequest> {
  /** The weight of an alternative that breaks typing: none in a well-typed document. */
  const illTyped = illTypedWeight(typing);
  const selections = new Map<string, fc.Arbitrary<SelectionNode[]>>();
  const inputValue = inputValueArbitrary(seeded, typing);

  const WRONG_VARIABLE_TYPES = ['String', 'Int', 'Int!', 'ID!', 'Boolean', '[String]', 'Float!', 'AlertFilter', 'Nope'];
  const passing: fc.Arbitrary<Passing> = weighted(
    { arbitrary: fc.constant<Passing>({ as: 'inline' }), weight: 10 },
    { arbitrary: fc.constant<Passing>({ as: 'variable', declaredType: null, omitted: false }), weight: 10 },
    {
      arbitrary: fc
        .constantFrom(...WRONG_VARIABLE_TYPES)
        .map((declaredType): Passing => ({ as: 'variable', declaredType, omitted: false })),
      weight: illTyped(1),
    },
    { arbitrary: fc.constant<Passing>({ as: 'variable', declaredType: null, omitted: true }), weight: illTyped(1) },
  );

  /**
   * How often an optional argument is given. A page size mostly, to keep pages small and the run quick; the
   * arguments that only go with another (last with before) seldom, so that most pages are asked for correctly.
   */
  const OPTIONAL_ARGUMENT_ODDS: Record<string, number> = { first: 0.8, last: 0.1, after: 0.15, before: 0.05 };

  function argumentsOf(field: GraphQLField<unknown, unknown>): fc.Arbitrary<ArgumentNode[]> {
    const chosen = field.args.map((argument: GraphQLArgument) => {
      const required = kindOf(argument.type) === 'GraphQLNonNull';
      const probability = required
        ? typing === 'well-typed'
          ? 1
          : 0.97
        : (OPTIONAL_ARGUMENT_ODDS[argument.name] ?? 0.3);
      return sometimes(
        fc
          .tuple(inputValue(argument.type, argument.name), passing)
          .map(([value, how]): ArgumentNode => ({ name: argument.name, value, passing: how })),
        probability,
      );
    });
    const unknownArgument = sometimes(
      fc.constant<ArgumentNode>({ name: 'bogus', value: number(1), passing: { as: 'inline' } }),
      illTyped(0.01),
    );
    return fc.tuple(unknownArgument, ...chosen).map((all) => all.filter((argument) => argument !== null));
  }

  const directive: fc.Arbitrary<DirectiveNode | null> = sometimes(
    weighted<DirectiveNode>(
      {
        arbitrary: fc
          .tuple(
            fc.constantFrom('skip', 'include'),
            weighted(
              { arbitrary: fc.boolean().map((value): InputValue => ({ kind: 'boolean', value })), weight: 6 },
              { arbitrary: wrongKindValue, weight: illTyped(1) },
            ),
            passing,
          )
          .map(([name, value, how]): DirectiveNode => ({ name, argument: { name: 'if', value, passing: how } })),
        weight: 4,
      },
      {
        arbitrary: fc
          .constantFrom('deprecated', 'unknownDirective', 'skip')
          .map((name): DirectiveNode => ({ name, argument: null })),
        weight: illTyped(1),
      },
    ),
    0.01,
  );

  const alias = sometimes(
    weighted(
      { arbitrary: fc.constantFrom('a', 'b', 'x1', 'renamed', '_'), weight: 10 },
      { arbitrary: fc.constantFrom('Ω', '1a', '__typename', 'id'), weight: illTyped(1) },
    ),
    0.03,
  );

  const typename: SelectionNode = {
    kind: 'field',
    alias: null,
    name: '__typename',
    arguments: [],
    directive: null,
    selection: null,
  };

  function fieldNode(field: GraphQLField<unknown, unknown>, depthLeft: number): fc.Arbitrary<SelectionNode> | null {
    const leaf = isLeaf(field.type);
    if (!leaf && depthLeft <= 0) return null;
    return fc
      .record({
        alias,
        arguments: argumentsOf(field),
        directive,
        selection: leaf ? fc.constant(null) : selectionOf(namedTypeOf(field.type), depthLeft - 1),
      })
      .map((parts): SelectionNode => ({ kind: 'field', name: field.name, ...parts }));
  }

  /** Selections on an object, interface or union type, `depthLeft` levels of objects deep at most. */
  function selectionOf(type: GraphQLNamedType, depthLeft: number): fc.Arbitrary<SelectionNode[]> {
    const key = `${type.name}|${depthLeft}`;
    const known = selections.get(key);
    if (known) return known;
    // Made lazily, so a type that refers to itself does not recurse while its arbitrary is built.
    const arbitrary = fc.constant(null).chain(() => buildSelectionOf(type, depthLeft));
    selections.set(key, arbitrary);
    return arbitrary;
  }

  function buildSelectionOf(type: GraphQLNamedType, depthLeft: number): fc.Arbitrary<SelectionNode[]> {
    const kind = kindOf(type);
    const parts: fc.Arbitrary<SelectionNode | null>[] = [];
    let fields: GraphQLField<unknown, unknown>[] = [];
    if (kind === 'GraphQLObjectType' || kind === 'GraphQLInterfaceType') {
      fields = Object.values((type as GraphQLObjectType).getFields());
      const candidates = fields.map((field) => fieldNode(field, depthLeft)).filter((node) => node !== null);
      // About two or three fields per selection.
      const probability = Math.min(1, 2.5 / Math.max(candidates.length, 1));
      for (const candidate of candidates) parts.push(sometimes(candidate, probability));
    }
    parts.push(sometimes(fc.constant(typename), 0.1));
    if (depthLeft > 0) {
      if (kind === 'GraphQLInterfaceType' || kind === 'GraphQLUnionType') {
        // `... on Student { ... }` for the types behind an interface, now and then as a named fragment.
        const possible = schema.getPossibleTypes(type as GraphQLAbstractType);
        const probability = Math.min(0.5, 1.5 / Math.max(possible.length, 1));
        for (const concrete of possible) {
          parts.push(
            sometimes(
              fc
                .tuple(selectionOf(concrete, depthLeft - 1), fc.nat(4))
                .map(([selection, roll]): SelectionNode =>
                  roll === 0
                    ? { kind: 'spread', on: concrete.name, selection }
                    : { kind: 'inline', on: concrete.name, selection },
                ),
              probability,
            ),
          );
        }
      } else if (kind === 'GraphQLObjectType') {
        const object = type as GraphQLObjectType;
        const conditions = [object.name, ...object.getInterfaces().map((face) => face.name)];
        parts.push(
          sometimes(
            fc
              .tuple(fc.constantFrom(...conditions), fc.nat(2))
              .chain(([on, roll]) =>
                selectionOf(schema.getType(on)!, depthLeft - 1).map((selection): SelectionNode =>
                  roll === 0 ? { kind: 'spread', on, selection } : { kind: 'inline', on, selection },
                ),
              ),
            0.08,
          ),
        );
        // A fragment on a type that can never be here: a validation error.
        parts.push(
          sometimes(
            fc.constant<SelectionNode>({ kind: 'inline', on: 'PageInfo', selection: [typename] }),
            illTyped(0.01),
          ),
        );
      }
    }
    const firstLeaf = fields.find((field) => isLeaf(field.type) && field.args.length === 0);
    const fallback: SelectionNode = firstLeaf
      ? { kind: 'field', alias: null, name: firstLeaf.name, arguments: [], directive: null, selection: null }
      : typename;
    return fc.tuple(...parts).map((chosen) => {
      const selection = chosen.filter((node) => node !== null);
      return selection.length > 0 ? selection : [fallback];
    });
  }

  function rootFields(type: GraphQLObjectType, depthLeft: number, maxLength: number) {
    const fields = Object.values(type.getFields())
      .map((field) => fieldNode(field, depthLeft))
      .filter((node) => node !== null);
    return fc.array(fc.oneof(...fields), { minLength: 1, maxLength });
  }

  const queryType = schema.getQueryType()!;
  const mutationType = schema.getMutationType()!;
  const leafNamed = (name: string): SelectionNode => ({ ...typename, name });
  const introspection: fc.Arbitrary<SelectionNode[]> = fc.constantFrom<SelectionNode[]>(
    [
      {
        ...typename,
        name: '__schema',
        selection: [{ ...typename, name: 'queryType', selection: [leafNamed('name')] }],
      },
    ],
    [
      {
        ...typename,
        name: '__type',
        arguments: [{ name: 'name', value: string('Student'), passing: { as: 'inline' } }],
        selection: [leafNamed('name')],
      },
    ],
  );

  const operationName = sometimes(fc.constantFrom('Fuzz', 'FuzzAgain', 'query', '_1'), 0.3);
  const operation: fc.Arbitrary<OperationNode> = weighted<OperationNode>(
    {
      arbitrary: fc.record({
        type: fc.constant('query' as const),
        name: operationName,
        selection: fc.oneof(
          { arbitrary: rootFields(queryType, depth, 3), weight: 20 },
          // Deep enough that some meet the depth limit.
          { arbitrary: rootFields(queryType, depth + 8, 1), weight: 1 },
        ),
      }),
      weight: 20,
    },
    {
      arbitrary: fc.record({
        type: fc.constant('mutation' as const),
        name: operationName,
        selection: rootFields(mutationType, depth - 1, 2),
      }),
      weight: 10,
    },
    {
      arbitrary: fc.record({
        type: fc.constantFrom('query' as const, 'subscription' as const),
        name: operationName,
        selection: introspection,
      }),
      weight: illTyped(2),
    },
  );

  /** The document and variables; sometimes two operations, with or without an operationName to choose. */
  return fc.tuple(operation, sometimes(operation, illTyped(0.05)), fc.nat(3)).map(([first, second, choice]) => {
    const written = writeDocument(second ? [first, second] : [first], argumentTypes);
    const names = [first.name, second?.name].filter((name) => name !== null && name !== undefined);
    const chooses = second !== null || (typing === 'ill-typed' && choice === 0);
    const operationName = chooses ? (names[choice % Math.max(names.length, 1)] ?? 'Missing') : undefined;
    return { ...written, operationName };
  });
}
