/**
 * A small schema of cases and students for the limits tests (graphql/limits.*.test.ts), and the helpers they
 * share: a query of a given depth, a fragment bomb, the badInput error a call throws.
 */
import { buildSchema, GraphQLError, parse, validate, type ValidationRule } from 'graphql';
import { expect } from 'vitest';
import { analyseOperation, type AnalyseOptions } from '../graphql/limits.ts';

export const typeDefs = /* GraphQL */ `
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
export const schema = buildSchema(typeDefs);

export const messagesOf = (query: string, rule: ValidationRule) =>
  validate(schema, parse(query), [rule]).map((error) => error.message);

/**
 * A valid query exactly `depth` fields deep: `cases { nodes { student { cases { ... } } } }`, cycling through
 * Query/Student -> CaseConnection -> Case -> Student, closed by a leaf of the type reached.
 */
export function queryOfDepth(depth: number): string {
  const links = ['cases', 'nodes', 'student'];
  const leafAfter: Record<string, string> = { cases: 'totalCount', nodes: 'id', student: 'id' };
  const path = Array.from({ length: depth - 1 }, (_, level) => links[level % links.length]!);
  const leaf = path.length === 0 ? 'ping' : leafAfter[path.at(-1)!]!;
  return `{ ${path.map((field) => `${field} {`).join(' ')} ${leaf} ${'}'.repeat(path.length)} }`;
}

/** The badInput error a call throws, for its message and extensions. */
export function refusalOf(run: () => unknown): GraphQLError {
  try {
    run();
  } catch (error) {
    if (error instanceof GraphQLError) return error;
    throw error;
  }
  throw new Error('expected a GraphQLError, but nothing was thrown');
}

export function expectBadInput(error: GraphQLError, message: string): void {
  expect(error.message).toBe(message);
  expect(error.extensions.code).toBe('BAD_USER_INPUT');
  expect(error.extensions.http).toEqual({ status: 400 });
}

export const analyse = (query: string, variables?: Record<string, unknown>, options: AnalyseOptions = { schema }) =>
  analyseOperation(parse(query), undefined, variables, options);

/** 40 fragments, each spreading the next twice: 2^40 paths to a timeline if walked naively. */
export const fragmentBomb = [
  'query { cases(first: 1) { nodes { ...F0 } } }',
  ...Array.from({ length: 40 }, (_, level) => `fragment F${level} on Case { ...F${level + 1} ...F${level + 1} }`),
  'fragment F40 on Case { timeline(first: 1) { nodes { id } } }',
].join('\n');
