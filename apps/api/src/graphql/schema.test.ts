import { describe, expect, it } from 'vitest';
import { buildSchema } from './schema.ts';
import { accessOf } from './type-access.ts';

/** Types whose purpose is plain from the Relay conventions every client knows. */
const CONVENTIONAL = /(Connection|Edge)$/;
const SELF_EXPLANATORY_FIELDS = new Set(['id', 'edges', 'nodes', 'cursor', 'node', 'pageInfo']);

describe('the schema', () => {
  it('describes every public type, and every field and enum value whose name alone does not say it all', () => {
    const schema = buildSchema();
    const undocumented: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue;
      if (!type.description && !CONVENTIONAL.test(type.name) && !['Query', 'Mutation'].includes(type.name)) {
        undocumented.push(type.name);
      }
      // By shape, not by class: the schema may be built by another copy of graphql than this test imports.
      if ('getFields' in type) {
        if (CONVENTIONAL.test(type.name)) continue;
        for (const field of Object.values(type.getFields()) as { name: string; description?: string | null }[]) {
          if (!field.description && !SELF_EXPLANATORY_FIELDS.has(field.name))
            undocumented.push(`${type.name}.${field.name}`);
        }
      }
    }
    expect(undocumented).toEqual([]);
  });

  it('says for every object type which scope a token needs to reach it (type-access.ts)', () => {
    // A type left out of the table would be refused to no token: a new module's types must be placed there.
    const schema = buildSchema();
    const unplaced = Object.values(schema.getTypeMap())
      // Object types, by shape (interfaces and input types have no isTypeOf); Node is placed by its implementations.
      .filter((type) => 'isTypeOf' in type)
      .filter((type) => !type.name.startsWith('__') && !['Query', 'Mutation'].includes(type.name))
      .filter((type) => accessOf(type.name) === undefined)
      .map((type) => type.name);
    expect(unplaced).toEqual([]);
  });
});
