/**
 * The HTTP requests the fuzzer sends (fuzz-operations.ts): a written document as a JSON POST or a GET, a
 * document broken on purpose, and bodies and headers that are not a GraphQL request at all.
 */
import fc from 'fast-check';
import { parse, visit } from 'graphql';
import { toGlobalId } from '../graphql/relay.ts';
import { type WrittenRequest } from './fuzz-documents.ts';
import { sometimes } from './fuzz-values.ts';

/** One HTTP request to /graphql, as the fuzz test sends it (and as fast-check prints it on a failure). */
export interface FuzzRequest {
  method: 'POST' | 'GET';
  /** The path with its query string (GET carries the operation there). */
  url: string;
  headers: Record<string, string>;
  /** The raw body; undefined for a GET. */
  body?: string;
  /** The document, for a request that carries one: tells the test which mutations it may have run. */
  document: string;
}

/**
 * The strings a request sends as values: in its variables, and as string literals in its document (one broken on
 * purpose has none to read). No answer may quote one: a value can be anyone's personal data.
 */
export function valuesSent(request: FuzzRequest): string[] {
  const values: string[] = [];
  // Without recursion, as the server reads them: a variable may nest 200,000 lists deep.
  const collect = (sent: unknown): void => {
    const pending = [sent];
    while (pending.length > 0) {
      const value = pending.pop();
      if (typeof value === 'string') values.push(value);
      else if (value && typeof value === 'object') {
        for (const item of Array.isArray(value) ? value : Object.values(value)) pending.push(item);
      }
    }
  };
  try {
    const variables =
      request.method === 'GET'
        ? new URL(request.url, 'http://127.0.0.1').searchParams.get('variables')
        : ((JSON.parse(request.body ?? 'null') as { variables?: unknown } | null)?.variables ?? null);
    collect(typeof variables === 'string' ? JSON.parse(variables) : variables);
  } catch {
    // A body or a query string that is not JSON carries no variables to speak of.
  }
  try {
    visit(parse(request.document), { StringValue: (node) => void values.push(node.value) });
  } catch {
    // A document that does not parse is answered with a syntax error, which quotes none of its strings.
  }
  return values;
}

const JSON_HEADERS = { 'content-type': 'application/json' };

/** A POST of the request as JSON, with the Idempotency-Key header a retrying client sends, if given. */
export function jsonPost(request: WrittenRequest, idempotencyKey: string | null): FuzzRequest {
  const parts = [`"query":${JSON.stringify(request.query)}`];
  if (request.variables !== undefined) parts.push(`"variables":${request.variables}`);
  if (request.operationName !== undefined) parts.push(`"operationName":${JSON.stringify(request.operationName)}`);
  const headers = idempotencyKey === null ? JSON_HEADERS : { ...JSON_HEADERS, 'idempotency-key': idempotencyKey };
  return { method: 'POST', url: '/graphql', headers, body: `{${parts.join(',')}}`, document: request.query };
}

/** Idempotency keys of odd shapes, now and then: too long for the column, not ASCII, empty. */
export const idempotencyKey = sometimes(fc.constantFrom('k'.repeat(300), '🔑 \u00e9', '', 'retry-1'), 0.1);

export function getRequest(request: WrittenRequest): FuzzRequest {
  const parameters = new URLSearchParams({ query: request.query });
  if (request.variables !== undefined) parameters.set('variables', request.variables);
  if (request.operationName !== undefined) parameters.set('operationName', request.operationName);
  return {
    method: 'GET',
    url: `/graphql?${parameters.toString()}`,
    // Apollo's CSRF prevention lets a GET through only with a header a browser form cannot send.
    headers: { 'apollo-require-preflight': 'true' },
    document: request.query,
  };
}

/** A way to break a document: cut it, insert a character, or drop one, at a fraction of its length. */
interface Corruption {
  how: 'cut' | 'insert' | 'delete';
  at: number;
  text: string;
}

export const corruption: fc.Arbitrary<Corruption> = fc.record({
  how: fc.constantFrom('cut' as const, 'insert' as const, 'delete' as const),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  text: fc.constantFrom(
    '{',
    '}',
    '(',
    ')',
    '$',
    '"',
    '"""',
    '...',
    '@',
    '#',
    '\u0000',
    '\\',
    ':',
    '!',
    '[',
    ']',
    '\uD800',
    '&',
    '|',
    '=',
    ',',
  ),
});

export function corrupt(query: string, { how, at, text }: Corruption): string {
  const position = Math.floor(at * query.length);
  if (how === 'cut') return query.slice(0, position);
  if (how === 'insert') return `${query.slice(0, position)}${text}${query.slice(position)}`;
  return `${query.slice(0, position)}${query.slice(position + 1)}`;
}

/** A student id of school 2: the refusal audit looks for such ids in every value a request sends. */
const SCHOOL_TWO_ID = toGlobalId('Student', { schoolId: 2, id: 1 });
const SHA256_OF_NOTHING_WE_SENT = 'a'.repeat(64);
/** Past the depth limit along real fields: a student's classroom's students, five times over. */
const CLASSMATES = 'classroom { students(first: 1) { nodes { ';
const TOO_DEEP = `{ students(first: 1) { nodes { ${CLASSMATES.repeat(5)}id${' } } }'.repeat(5)} } } }`;
/** Past the node limit: 100 students × 100 alerts × 100 cases. */
const TOO_MANY_NODES =
  '{ students(first: 100) { nodes { alerts(first: 100) { nodes { ' +
  'student { cases(first: 100) { nodes { id } } } } } } } }';

/** Bodies and headers that are not a well-formed GraphQL request at all. */
export const malformedRequest: fc.Arbitrary<FuzzRequest> = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(
        '',
        '{',
        'null',
        '[]',
        '"{ __typename }"',
        '[{"query":"{ __typename }"}]',
        '{"query":1}',
        '{"query":null}',
        '{"query":{}}',
        '{"query":""}',
        '{"query":"{ __typename }","variables":"x"}',
        '{"query":"{ __typename }","variables":[1]}',
        '{"query":"{ __typename }","variables":null}',
        '{"query":"{ __typename }","operationName":{}}',
        '{"query":"{ __typename }","operationName":7}',
        '{"query":"{ __typename }","extensions":"x"}',
        `{"query":"{ __typename }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"abc"}}}`,
        `{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"${SHA256_OF_NOTHING_WE_SENT}"}}}`,
        `{"extensions":{"persistedQuery":{"version":2,"sha256Hash":"${SHA256_OF_NOTHING_WE_SENT}"}}}`,
        '{"query":"{ __typename }"}garbage',
        '{"__proto__":{"query":"{ __typename }"}}',
        '{"query":"{ __typename }","__proto__":{"variables":{}}}',
        '{"query":"{ __typename }","query":"{ viewer { role } }"}',
        '\u0000',
        '\uFEFF{"query":"{ __typename }"}',
        `{"query":"query ($v: [[[Int]]]) { __typename }","variables":{"v":${'['.repeat(5000)}${']'.repeat(5000)}}}`,
        `{"query":"query ($v: [ID!]) { __typename }","variables":{"v":${'['.repeat(200_000)}"${SCHOOL_TWO_ID}"${']'.repeat(200_000)}}}`,
        `{"query":"query ($v: [ID!]) { __typename }","variables":{"v":${JSON.stringify(Array(60_000).fill(SCHOOL_TWO_ID))}}}`,
        `${'['.repeat(50_000)}${']'.repeat(50_000)}`,
        `{"query":"{ ${'__typename '.repeat(6000)}}"}`,
        JSON.stringify({ query: TOO_DEEP }),
        `{"query":"{ ${Array.from({ length: 30 }, (_, index) => `a${index}: __typename`).join(' ')} }"}`,
        `{"query":"{ ${Array.from({ length: 30 }, (_, index) => `f${index}: viewer { role }`).join(' ')} }"}`,
        JSON.stringify({ query: TOO_MANY_NODES }),
        `{"query":"fragment A on Query { ...B } fragment B on Query { ...A } { ...A }"}`,
        `{"query":"{ __typename }","variables":{"${'x'.repeat(1000)}":1}}`,
        `{"query":"${'x'.repeat(1_100_000)}"}`,
      ),
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/graphql-response+json',
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/graphql',
        '',
      ),
    )
    .map(([body, contentType]): FuzzRequest => ({
      method: 'POST',
      url: '/graphql',
      headers: contentType ? { 'content-type': contentType } : {},
      body,
      document: '',
    })),
  fc
    .constantFrom(
      '/graphql',
      '/graphql?query=',
      '/graphql?query=%7B',
      '/graphql?query=mutation%20%7B%20signOut%20%7B%20signedOut%20%7D%20%7D',
      '/graphql?query=%7B%20__typename%20%7D&variables=%7B',
      '/graphql?query=%7B%20__typename%20%7D&variables=%5B%5D',
      '/graphql?query=%7B%20__typename%20%7D&extensions=x',
      '/graphql?query[]=a&query[]=b',
      `/graphql?query=${'%7B'.repeat(3000)}`,
      `/graphql?query=%7B%20__typename%20%7D&variables=%7B%22v%22%3A${'%5B'.repeat(1500)}${'%5D'.repeat(1500)}%7D`,
    )
    .map((url): FuzzRequest => ({ method: 'GET', url, headers: { 'apollo-require-preflight': 'true' }, document: '' })),
);
