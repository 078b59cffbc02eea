/** analyseOperation: page sizes and node counts, alone and in a real ApolloServer. */
import { ApolloServer } from '@apollo/server';
import { parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { analyseOperation, costLimitPlugin, depthLimitRule, LIMITS } from './limits.ts';
import { analyse, expectBadInput, queryOfDepth, refusalOf, schema, typeDefs } from '../testing/limits-schema.ts';

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

  it('counts a document once per operation and page-size values, and refuses values over the limit every time', async () => {
    const plugin = costLimitPlugin();
    const server = new ApolloServer({ typeDefs, resolvers, plugins: [plugin] });
    const query = `
      query Cases($n: Int = 10, $after: String) { cases(first: $n, after: $after) { nodes { id } } }
      query Ping { ping }`;
    const errorsOf = async (operationName: string, variables?: Record<string, unknown>) => {
      const response = await server.executeOperation({ query, operationName, variables });
      return response.body.kind === 'single' ? response.body.singleResult.errors?.map((error) => error.message) : [];
    };
    try {
      const analysed: number[] = [];
      for (const [operationName, variables] of [
        ['Cases', { n: 5 }],
        ['Cases', { n: 5, after: 'a' }], // a cursor is no page size: the same count
        ['Cases', { n: 5 }],
        ['Cases', {}], // the default
        ['Cases', { n: null }], // not given: the default page size, not the variable's default
        ['Ping', {}],
        ['Ping', {}],
        ['Cases', {}],
      ] as const) {
        expect(await errorsOf(operationName, variables)).toBeUndefined();
        analysed.push(plugin.analyses());
      }
      expect(analysed).toEqual([1, 1, 1, 2, 3, 4, 4, 4]);
      const tooLarge = ['first must be between 1 and 100 on cases; page through longer lists with after/before.'];
      expect(await errorsOf('Cases', { n: 101 })).toEqual(tooLarge);
      expect(await errorsOf('Cases', { n: 101 })).toEqual(tooLarge);
      expect(plugin.analyses()).toBe(6);
    } finally {
      await server.stop();
    }
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
