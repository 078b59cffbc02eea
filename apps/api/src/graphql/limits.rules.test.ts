/** The validation rules that bound a document: depth, aliases, root fields, and fragment cycles and bombs. */
import { getIntrospectionQuery, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { aliasLimitRule, depthLimitRule, LIMITS, oncePerRequestRule, rootFieldLimitRule } from './limits.ts';
import { analyse, fragmentBomb, messagesOf, queryOfDepth, refusalOf, schema } from '../testing/limits-schema.ts';

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
