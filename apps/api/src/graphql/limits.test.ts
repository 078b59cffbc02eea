import { ApolloServer } from '@apollo/server';
import {
  buildSchema,
  type DocumentNode,
  getIntrospectionQuery,
  GraphQLError,
  parse,
  specifiedRules,
  validate,
  type ValidationRule,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import {
  aliasLimitRule,
  analyseOperation,
  type AnalyseOptions,
  costLimitPlugin,
  depthLimitRule,
  documentShapeLimit,
  LIMITS,
  measureDocumentShape,
  oncePerRequestRule,
  rootFieldLimitRule,
  shapeRefusal,
} from './limits.ts';
import { WEB_OPERATIONS } from '../testing/web-operations.ts';

const typeDefs = /* GraphQL */ `
  type Query {
    cases(first: Int, last: Int, after: String, before: String): CaseConnection!
    viewer: Viewer
    ping: String
  }
  type Mutation {
    signIn(email: String!, password: String!): Boolean
  }
  type Viewer {
    user: User
  }
  type User {
    id: ID!
    name: String
  }
  type CaseConnection {
    edges: [CaseEdge!]!
    nodes: [Case!]!
    totalCount: Int!
  }
  type CaseEdge {
    cursor: String!
    node: Case!
  }
  type Case {
    id: ID!
    timeline(first: Int): EventConnection!
    student: Student!
  }
  type EventConnection {
    nodes: [Event!]!
  }
  type Event {
    id: ID!
    note: String
    case: Case!
  }
  type Student {
    id: ID!
    riskProfile: RiskProfile
    alerts(first: Int): AlertConnection!
    cases(first: Int): CaseConnection!
  }
  type RiskProfile {
    reasons: [String!]!
  }
  type AlertConnection {
    edges: [AlertEdge!]!
  }
  type AlertEdge {
    node: Alert!
  }
  type Alert {
    id: ID!
  }
`;
const schema = buildSchema(typeDefs);

const messagesOf = (query: string, rule: ValidationRule) =>
  validate(schema, parse(query), [rule]).map((error) => error.message);

/**
 * A valid query exactly `depth` fields deep: `cases { nodes { student { cases { ... } } } }`, cycling through
 * Query/Student -> CaseConnection -> Case -> Student, closed by a leaf of the type reached.
 */
function queryOfDepth(depth: number): string {
  const links = ['cases', 'nodes', 'student'];
  const leafAfter: Record<string, string> = { cases: 'totalCount', nodes: 'id', student: 'id' };
  const path = Array.from({ length: depth - 1 }, (_, level) => links[level % links.length]!);
  const leaf = path.length === 0 ? 'ping' : leafAfter[path.at(-1)!]!;
  return `{ ${path.map((field) => `${field} {`).join(' ')} ${leaf} ${'}'.repeat(path.length)} }`;
}

/** The badInput error a call throws, for its message and extensions. */
function refusalOf(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a GraphQLError, but nothing was thrown');
}

function expectBadInput(error: GraphQLError, message: string): void {
  expect(error.message).toBe(message);
  expect(error.extensions.code).toBe('BAD_USER_INPUT');
  expect(error.extensions.http).toEqual({ status: 400 });
}

const analyse = (query: string, variables?: Record<string, unknown>, options: AnalyseOptions = { schema }) =>
  analyseOperation(parse(query), undefined, variables, options);

/** 40 fragments, each spreading the next twice: 2^40 paths to a timeline if walked naively. */
const fragmentBomb = [
  'query { cases(first: 1) { nodes { ...F0 } } }',
  ...Array.from({ length: 40 }, (_, level) => `fragment F${level} on Case { ...F${level + 1} ...F${level + 1} }`),
  'fragment F40 on Case { timeline(first: 1) { nodes { id } } }',
].join('\n');

describe('depthLimitRule', () => {
  const rule = depthLimitRule(LIMITS.maxDepth);

  it('counts fields, not fragments', () => {
    expect(messagesOf('{ viewer { user { id } } }', depthLimitRule(3))).toEqual([]);
    expect(messagesOf('{ viewer { user { id } } }', depthLimitRule(2))).toEqual([
      'Query is nested 3 levels deep; the limit is 2. Ask for less nesting, or split the query.',
    ]);
    const throughFragments = `
      { viewer { ...ViewerFields } }
      fragment ViewerFields on Viewer { ... on Viewer { user { ...UserFields } } }
      fragment UserFields on User { id }`;
    expect(messagesOf(throughFragments, depthLimitRule(3))).toEqual([]);
    expect(messagesOf(throughFragments, depthLimitRule(2))).toHaveLength(1);
  });

  it('admits a real Relay query and anything 12 deep', () => {
    const relayQuery =
      'query { cases { edges { node { student { riskProfile { reasons } alerts { edges { node { id } } } } } } } }';
    expect(messagesOf(relayQuery, rule)).toEqual([]);
    expect(messagesOf(queryOfDepth(12), rule)).toEqual([]);
  });

  it('refuses 13 deep, naming the depth and the limit', () => {
    const query = queryOfDepth(13);
    expect(validate(schema, parse(query))).toEqual([]); // valid apart from its depth
    expect(messagesOf(query, rule)).toEqual([
      'Query is nested 13 levels deep; the limit is 12. Ask for less nesting, or split the query.',
    ]);
  });

  it('admits the standard introspection query, which is 14 deep', () => {
    expect(messagesOf(getIntrospectionQuery(), rule)).toEqual([]);
  });

  it('measures each operation of a document', () => {
    const query = `query Shallow { ping } query Deep ${queryOfDepth(13)}`;
    expect(messagesOf(query, rule)).toHaveLength(1);
  });
});

describe('aliasLimitRule', () => {
  const rule = aliasLimitRule(LIMITS.maxAliases);
  const withAliases = (count: number) =>
    `{ ${Array.from({ length: count }, (_, index) => `a${index}: ping`).join(' ')} }`;

  it('admits 15 aliases and refuses 16', () => {
    expect(messagesOf(withAliases(15), rule)).toEqual([]);
    expect(messagesOf(withAliases(16), rule)).toEqual(['The query uses 16 aliases; the limit is 15.']);
  });

  it('counts aliases inside fragments, at every place they are spread', () => {
    const query = `
      { first: viewer { ...Names } second: viewer { ...Names } }
      fragment Names on Viewer { a: user { id } b: user { id } c: user { id } d: user { id } e: user { id } f: user { id } g: user { id } }`;
    expect(messagesOf(query, rule)).toEqual(['The query uses 16 aliases; the limit is 15.']);
  });

  it('counts aliases in nested fields', () => {
    expect(messagesOf('{ viewer { me: user { myId: id } } }', aliasLimitRule(1))).toEqual([
      'The query uses 2 aliases; the limit is 1.',
    ]);
  });
});

describe('rootFieldLimitRule', () => {
  const rule = rootFieldLimitRule(LIMITS.maxRootFields);

  it('refuses alias-batched signIn', () => {
    const attempts = Array.from(
      { length: 21 },
      (_, index) => `try${index}: signIn(email: "head@school.test", password: "guess${index}")`,
    );
    expect(messagesOf(`mutation { ${attempts.join(' ')} }`, rule)).toEqual([
      'The query asks for 21 root fields; the limit is 20.',
    ]);
    expect(messagesOf(`mutation { ${attempts.slice(1).join(' ')} }`, rule)).toEqual([]);
  });

  it('refuses signIn asked twice under aliases, even well within the root field limit', () => {
    const once = oncePerRequestRule('signIn');
    expect(
      messagesOf('mutation { a: signIn(email: "x", password: "1") b: signIn(email: "x", password: "2") }', once),
    ).toEqual(['The operation calls signIn 2 times; send one signIn per request.']);
    expect(messagesOf('mutation { signIn(email: "x", password: "1") ping }', once)).toEqual([]);
  });

  it('counts the root fields of fragments on the root, each response name once', () => {
    const query = `
      { ...Root ... on Query { ...Root c: ping } }
      fragment Root on Query { a: ping b: ping ping }`;
    expect(messagesOf(query, rootFieldLimitRule(4))).toEqual([]);
    expect(messagesOf(query, rootFieldLimitRule(3))).toEqual(['The query asks for 4 root fields; the limit is 3.']);
  });
});

describe('fragment cycles and fragment bombs', () => {
  const rules = [
    depthLimitRule(LIMITS.maxDepth),
    aliasLimitRule(LIMITS.maxAliases),
    rootFieldLimitRule(LIMITS.maxRootFields),
  ];

  it('end instead of looping on a cycle (NoFragmentCyclesRule is the one to report it)', () => {
    const cyclic = `
      query { cases { nodes { ...CaseFields } } ...Root }
      fragment CaseFields on Case { student { ...StudentFields } }
      fragment StudentFields on Student { cases(first: 2) { nodes { ...CaseFields } } }
      fragment Root on Query { ...Root ping }`;
    expect(validate(schema, parse(cyclic), rules)).toEqual([]);
    expect(analyse(cyclic).nodes).toBe(25 + 25 * 2);
  });

  it('measure each fragment once, so spreading fragments into fragments stays cheap', () => {
    const started = performance.now();
    expect(validate(schema, parse(fragmentBomb), rules)).toEqual([]);
    // Counted per spread, the timeline is there 2^40 times: an overestimate (GraphQL merges the spreads), and
    // refusing such a document is right; walking its 2^40 paths to find out would not be.
    expect(refusalOf(() => analyse(fragmentBomb)).message).toMatch(/^The query could return up to 1099511627777 nodes/);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});

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
      expect(shape.repeatedFields).toBeLessThanOrEqual(LIMITS.maxRepeatedFields / 10);
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

describe('analyseOperation: page sizes', () => {
  it('refuses a literal first over the maximum', () => {
    expectBadInput(
      refusalOf(() => analyse('{ cases(first: 1000) { totalCount } }')),
      'first must be between 1 and 100 on cases; page through longer lists with after/before.',
    );
  });

  it('refuses a page size given in a variable', () => {
    const error = refusalOf(() =>
      analyse('query Cases($n: Int) { cases(first: $n) { nodes { id } } }', { n: 100_000 }),
    );
    expectBadInput(error, 'first must be between 1 and 100 on cases; page through longer lists with after/before.');
    expect(error.extensions.argument).toBe('first');
  });

  it.each([0, -1, 2.5])('refuses first: %s', (first) => {
    expect(refusalOf(() => analyse(`{ cases(first: ${first}) { totalCount } }`)).message).toMatch(
      /^first must be between 1 and 100 on cases;/,
    );
  });

  it('refuses a page size that is not a number, without quoting it', () => {
    const error = refusalOf(() => analyse('query ($n: Int) { cases(last: $n) { totalCount } }', { n: '50' }));
    expectBadInput(error, 'last must be between 1 and 100 on cases; page through longer lists with after/before.');
  });

  it('names the path of the field, aliases included, also inside fragments', () => {
    const query = `
      { open: cases(first: 10) { nodes { ...Timeline } } }
      fragment Timeline on Case { timeline(first: 101) { nodes { id } } }`;
    expect(refusalOf(() => analyse(query)).message).toBe(
      'first must be between 1 and 100 on open.nodes.timeline; page through longer lists with after/before.',
    );
  });

  it('uses a variable default when the request leaves the variable out, and the request value over it', () => {
    const query = 'query Cases($n: Int = 40) { cases(first: $n) { nodes { timeline(first: 10) { nodes { id } } } } }';
    expect(analyse(query).nodes).toBe(40 + 40 * 10);
    expect(analyse(query, { n: 5 }).nodes).toBe(5 + 5 * 10);
    const badDefault = 'query Cases($n: Int = 500) { cases(first: $n) { totalCount } }';
    expect(refusalOf(() => analyse(badDefault)).message).toMatch(/^first must be between 1 and 100 on cases;/);
  });

  it('reads a null page size as not given', () => {
    expect(analyse('query ($n: Int) { cases(first: $n) { totalCount } }', { n: null }).nodes).toBe(25);
  });
});

describe('analyseOperation: node count', () => {
  it('counts a connection without first or last at the default page size', () => {
    expect(analyse('{ cases { nodes { id } } }').nodes).toBe(25);
    expect(analyse('{ cases { nodes { id } } }', undefined, { schema, defaultPageSize: 10 }).nodes).toBe(10);
    // Known by its definition: without a schema only first and last in the document mark a connection.
    expect(analyse('{ cases { nodes { timeline(first: 3) { nodes { id } } } } }', undefined, {}).nodes).toBe(3);
  });

  it('multiplies page sizes through nested connections, as GitHub does', () => {
    const twoLevels = '{ cases(first: 100) { nodes { timeline(first: 100) { nodes { id } } } } }';
    expect(analyse(twoLevels).nodes).toBe(100 + 100 * 100);
    // Through edges, a plain field and a fragment alike.
    const throughEdges = `
      { cases(first: 10) { edges { node { student { ...Alerts } } } } }
      fragment Alerts on Student { alerts(first: 5) { edges { node { id } } } }`;
    expect(analyse(throughEdges).nodes).toBe(10 + 10 * 5);
  });

  it('refuses three levels of 100, naming the count', () => {
    const threeLevels = `{ cases(first: 100) { nodes { student { cases(first: 100) { nodes {
      timeline(first: 100) { nodes { id } } } } } } } }`;
    expectBadInput(
      refusalOf(() => analyse(threeLevels)),
      'The query could return up to 1010100 nodes; the limit is 50000. Ask for smaller pages (first/last) or less nesting.',
    );
  });

  it('scales a fragment by every connection it is spread under', () => {
    const query = `
      { a: cases(first: 4) { nodes { ...Timeline } } b: cases(first: 6) { nodes { ...Timeline } } }
      fragment Timeline on Case { timeline(first: 10) { nodes { id } } }`;
    expect(analyse(query).nodes).toBe(4 + 4 * 10 + (6 + 6 * 10));
  });

  it('runs the operation named, and says so when it is missing', () => {
    const document = parse(
      'query Small { cases(first: 1) { totalCount } } query Big { cases(first: 100) { totalCount } }',
    );
    expect(analyseOperation(document, 'Big', undefined, { schema }).nodes).toBe(100);
    expectBadInput(
      refusalOf(() => analyseOperation(document, 'Other', undefined, { schema })),
      'The document has no operation named Other.',
    );
  });
});

describe('limits in a real ApolloServer', () => {
  const cases = Array.from({ length: 3 }, (_, index) => ({ id: String(index + 1) }));
  let casesResolved = 0;
  const resolvers = {
    Query: {
      cases: () => {
        casesResolved += 1;
        return { nodes: cases, edges: [], totalCount: cases.length };
      },
      ping: () => 'pong',
    },
    Case: { timeline: () => ({ nodes: [] }) },
  };

  async function withServer<Result>(run: (server: ApolloServer) => Promise<Result>): Promise<Result> {
    const server = new ApolloServer({
      typeDefs,
      resolvers,
      validationRules: [depthLimitRule(LIMITS.maxDepth)],
      plugins: [costLimitPlugin()],
    });
    try {
      return await run(server);
    } finally {
      await server.stop();
    }
  }

  it('answers a page size in a variable over the maximum with a 400, before any resolver runs', async () => {
    const resolvedBefore = casesResolved;
    const response = await withServer((server) =>
      server.executeOperation({
        query: 'query Cases($n: Int) { cases(first: $n) { nodes { id } } }',
        variables: { n: 100_000 },
      }),
    );
    expect(response.http.status).toBe(400);
    expect(response.body.kind).toBe('single');
    if (response.body.kind !== 'single') return;
    expect(response.body.singleResult.data).toBeUndefined();
    expect(response.body.singleResult.errors?.[0]?.message).toBe(
      'first must be between 1 and 100 on cases; page through longer lists with after/before.',
    );
    expect(response.body.singleResult.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(casesResolved).toBe(resolvedBefore);
  });

  it('answers a query within the limits', async () => {
    const response = await withServer((server) =>
      server.executeOperation({
        query: '{ cases(first: 100) { nodes { id timeline(first: 100) { nodes { id } } } } }',
      }),
    );
    expect(response.body.kind === 'single' && response.body.singleResult.errors).toBeUndefined();
    expect(response.body.kind === 'single' && response.body.singleResult.data).toEqual({
      cases: { nodes: cases.map(({ id }) => ({ id, timeline: { nodes: [] } })) },
    });
  });

  it('leaves an unknown operation name to execution to answer', async () => {
    const response = await withServer((server) =>
      server.executeOperation({ query: 'query Pong { ping }', operationName: 'Other' }),
    );
    expect(response.body.kind === 'single' && response.body.singleResult.errors?.[0]?.message).toBe(
      'Unknown operation named "Other".',
    );
  });

  it('answers a document the depth rule refuses with a 400 of its own', async () => {
    const response = await withServer((server) => server.executeOperation({ query: queryOfDepth(13) }));
    expect(response.http.status).toBe(400);
    expect(response.body.kind === 'single' && response.body.singleResult.errors?.[0]?.message).toBe(
      'Query is nested 13 levels deep; the limit is 12. Ask for less nesting, or split the query.',
    );
  });
});

it('specified rules keep introspection from fanning out, which is why the depth rule leaves it alone', () => {
  const fanOut = '{ __schema { types { fields { type { fields { type { fields { name } } } } } } } }';
  expect(validate(schema, parse(fanOut), [depthLimitRule(LIMITS.maxDepth)])).toEqual([]);
  expect(validate(schema, parse(fanOut), specifiedRules)).toHaveLength(1);
});
