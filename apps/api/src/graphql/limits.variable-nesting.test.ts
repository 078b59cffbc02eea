import { type GraphQLInputType, getNullableType, isInputObjectType, isListType, isNonNullType } from 'graphql';
import { describe, expect, it } from 'vitest';
import { LIMITS, nestingDepth, variableNestingRefusal } from './limits.ts';
import { buildSchema } from './schema.ts';

/** Levels of lists and input objects a value of `type` can take; a recursive input type would be unbounded. */
function deepestValueOf(type: GraphQLInputType, seen = new Set<string>()): number {
  const nullable = isNonNullType(type) ? type.ofType : type;
  if (isListType(nullable)) return 1 + deepestValueOf(getNullableType(nullable.ofType) as GraphQLInputType, seen);
  if (!isInputObjectType(nullable)) return 0;
  if (seen.has(nullable.name)) return Number.POSITIVE_INFINITY;
  const inside = new Set(seen).add(nullable.name);
  const fields = Object.values(nullable.getFields());
  return 1 + Math.max(0, ...fields.map((field) => deepestValueOf(field.type, inside)));
}

describe('variable nesting', () => {
  it('lets through every value an argument of the schema takes', () => {
    const schema = buildSchema();
    const argumentTypes = [schema.getQueryType()!, schema.getMutationType()!]
      .flatMap((root) => Object.values(root.getFields()))
      .concat(
        Object.values(schema.getTypeMap()).flatMap((type) =>
          'getFields' in type && !isInputObjectType(type) ? Object.values(type.getFields()) : [],
        ),
      )
      .flatMap((field) => ('args' in field ? field.args.map((argument) => argument.type) : []));
    const deepest = Math.max(...argumentTypes.map((type) => deepestValueOf(type)));
    expect(deepest).toBeGreaterThanOrEqual(2);
    expect(deepest).toBeLessThanOrEqual(LIMITS.maxVariableNesting);
  });

  it('counts lists and objects, and stops counting past the limit', () => {
    expect(nestingDepth('x')).toBe(0);
    expect(nestingDepth({ a: [1, { b: [] }] })).toBe(4);
    expect(nestingDepth(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 20)).toBe(21);
  });

  it('refuses variables past the limit, sent as an object or as the JSON text of a GET', () => {
    const deep = (levels: number) => `{"v": ${'['.repeat(levels)}1${']'.repeat(levels)}}`;
    expect(variableNestingRefusal(JSON.parse(deep(LIMITS.maxVariableNesting)))).toBeNull();
    expect(variableNestingRefusal(deep(LIMITS.maxVariableNesting))).toBeNull();
    expect(variableNestingRefusal(JSON.parse(deep(LIMITS.maxVariableNesting + 1)))).toMatch(/Variables nest more/);
    expect(variableNestingRefusal(deep(LIMITS.maxVariableNesting + 1))).toMatch(/Variables nest more/);
    expect(variableNestingRefusal('not JSON')).toBeNull();
    expect(variableNestingRefusal(undefined)).toBeNull();
  });
});
