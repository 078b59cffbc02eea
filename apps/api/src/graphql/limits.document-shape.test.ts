/** The shape of a document measured before validation (measureDocumentShape), and refused by it in a real ApolloServer. */
import { ApolloServer } from '@apollo/server';
import { type DocumentNode, getIntrospectionQuery, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documentShapeLimit, LIMITS, measureDocumentShape, shapeRefusal } from './limits.ts';
import { WEB_OPERATIONS } from '../testing/web-operations.ts';
import { fragmentBomb, typeDefs } from '../testing/limits-schema.ts';

describe('measureDocumentShape', () => {
  const shapeOf = (query: string) => measureDocumentShape(parse(query));

  it('counts fields as the operations run them: a fragment at every spread, one no operation spreads once', () => {
    const query = `
      { viewer { user { ...U } } a: viewer { user { ...U } } }
      fragment U on User { id name }
      fragment Unused on User { id }`;
    // viewer, user, id, name twice over; and Unused's id.
    expect(shapeOf(query).fields).toBe(9);
  });

  it('merges a fragment spread twice, or reached through two fragments, once', () => {
    const query = `
      { viewer { user { ...A ...A ...B } } }
      fragment A on User { id ...C }
      fragment B on User { name ...C }
      fragment C on User { name }`;
    // user merges A's id, C's name and B's name: one name repeats there, C (reached again through B) adding
    // nothing; and B's own selection set repeats name once more, with C's.
    expect(shapeOf(query)).toEqual({ fields: 8, widestSelection: 3, repeatedFields: 2 });
  });

  it('counts a repeated field with the fields under it, and each selection set on its own', () => {
    const query = '{ viewer { user { id name } ... on Viewer { user { id name } } } }';
    expect(shapeOf(query)).toEqual({ fields: 7, widestSelection: 2, repeatedFields: 3 });
  });

  it('ends on a fragment cycle, which NoFragmentCyclesRule reports', () => {
    const query = `
      { viewer { user { ...A } } }
      fragment A on User { id ...B }
      fragment B on User { name ...A }`;
    expect(shapeOf(query)).toEqual({ fields: 4, widestSelection: 2, repeatedFields: 0 });
  });

  it("measures the web app's operations and the introspection query well inside every limit", () => {
    const documents = [...WEB_OPERATIONS.values(), getIntrospectionQuery({ descriptions: true, oneOf: true })];
    for (const document of documents) {
      const shape = shapeOf(document);
      expect(shape.fields).toBeLessThanOrEqual(LIMITS.maxFields / 2);
      expect(shape.widestSelection).toBeLessThanOrEqual(LIMITS.maxFieldsPerSelection / 4);
      expect(shape.repeatedFields).toBeLessThanOrEqual(LIMITS.maxRepeatedFields / 5);
    }
  });

  it('names the limit a document is over, and what to change', () => {
    const refusal = (query: string) => shapeRefusal(measureDocumentShape(parse(query), LIMITS));
    expect(refusal(`{ viewer { ${'user { id } '.repeat(300)} } }`)).toBe(
      'The document asks for 601 fields, counting a fragment wherever it is spread; the limit is 500. Ask for fewer fields, or split the document.',
    );
    expect(refusal(`{ viewer { user { ${Array.from({ length: 101 }, (_, i) => `f${i}: id`).join(' ')} } } }`)).toBe(
      'A selection set of the document asks for 101 fields, its fragments included; the limit is 100. Ask for fewer fields at once.',
    );
    expect(refusal(`{ viewer { ${'user { id } '.repeat(27)} } }`)).toBe(
      'The document asks again for fields its selection sets already ask for: more than 50, counting the fields under them, the limit. GraphQL merges a repeated field into the first, so ask for each field once per selection set.',
    );
    expect(refusal(`{ viewer { ${'user { id } '.repeat(26)} } }`)).toBeNull();
    // Fragments spread into fragments, doubling at each step, are counted without being walked.
    expect(refusal(fragmentBomb)).toMatch(/^The document asks for 3298534883330 fields/);
  });
});

describe('documentShapeLimit in a real ApolloServer', () => {
  it('refuses a document before validation sees it, with a 400 that names the limit', async () => {
    const shape = documentShapeLimit();
    const validated: DocumentNode[] = [];
    const server = new ApolloServer({
      typeDefs,
      resolvers: { Query: { viewer: () => ({ user: { id: '1' } }) } },
      validationRules: [
        shape.rule,
        (context) => {
          validated.push(context.getDocument());
          return {};
        },
      ],
      plugins: [shape.plugin],
    });
    try {
      // 300 copies of a field, plus an unknown field and two that conflict: validation would report those.
      const refused = `{ viewer { ${'user { id } '.repeat(300)} unknown user: ping } }`;
      const response = await server.executeOperation({ query: refused });
      expect(response.http.status).toBe(400);
      expect(response.body.kind === 'single' && response.body.singleResult.errors).toEqual([
        {
          message:
            'The document asks for 603 fields, counting a fragment wherever it is spread; the limit is 500. Ask for fewer fields, or split the document.',
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
      ]);
      // What validation saw in its place was empty.
      expect(validated.map((document) => document.definitions.length)).toEqual([0]);

      const admitted = await server.executeOperation({ query: `{ viewer { ${'user { id } '.repeat(26)} } }` });
      expect(admitted.body.kind === 'single' && admitted.body.singleResult).toEqual({
        data: { viewer: { user: { id: '1' } } },
      });
      expect(validated.at(-1)?.definitions).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });
});
