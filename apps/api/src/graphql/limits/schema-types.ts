/** Reading the schema's types by their shape, safe across two copies of graphql. */
import type { GraphQLField, GraphQLNamedType, GraphQLType } from 'graphql';

/**
 * An object or interface type, the ones whose fields a selection can ask for (a union's only field is
 * `__typename`). Types are recognised by their shape rather than graphql's `isObjectType` and kin: those are
 * instanceof checks that throw when the schema was built by another copy of graphql, which is what happens under
 * vitest, where our code gets graphql's ES module build and Apollo its CommonJS build.
 */
export interface TypeWithFields {
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
