/**
 * Refusing a document by its shape (issue #19, item 8): the review's document, one field repeated under `viewer`
 * as many times as the 5,000-token limit allows, measured four ways, one at a time:
 *
 * - **check**: measureDocumentShape and shapeRefusal on the parsed document, in this process: what the API adds
 *   to a request that it parses (documents it has validated before are not parsed again);
 * - **validation**: graphql-js's validate with its specified rules on the same document, in this process: what
 *   each such request cost before the check, when the document reached validation;
 * - **API**: the whole refused request over HTTP on 127.0.0.1, to the real server in a process of its own
 *   (NODE_ENV=production; the refusal needs no database, so it runs on an in-memory SQLite);
 * - **ceiling**: the same request to a hand-written node:http endpoint that parses the body and the document,
 *   counts its fields and answers 400 (servers/refusal-ceiling.ts).
 */
import { parse, specifiedRules, validate } from 'graphql';
import { LIMITS, measureDocumentShape, shapeRefusal } from '../src/graphql/limits.ts';
import { buildSchema } from '../src/graphql/schema.ts';
import { type LatencySummary, startChild, stopChild, summarize, timeEach } from './measure.ts';

const WARM_UP = 50;
const TIMED = 500;
/** Validation takes long enough that fewer runs say as much. */
const VALIDATION_TIMED = 50;
/** The check must refuse a document at the token limit in under this, the bound. */
export const CHECK_TARGET_MS = 1;

export interface DocumentLimitsResult {
  copies: number;
  bytes: number;
  refusal: string;
  check: LatencySummary;
  validation: LatencySummary;
  api: LatencySummary;
  ceiling: LatencySummary;
}

/** `{ viewer { user { email } ... } }` with as many copies as parse under the token limit. */
function documentAtTheTokenLimit(): { query: string; copies: number } {
  const query = (copies: number) => `{ viewer { ${'user { email } '.repeat(copies)}} }`;
  let copies = 1;
  const parses = (count: number) => {
    try {
      parse(query(count), { maxTokens: LIMITS.maxTokens });
      return true;
    } catch {
      return false;
    }
  };
  while (parses(copies * 2)) copies *= 2;
  for (let step = copies / 2; step >= 1; step /= 2) if (parses(copies + step)) copies += step;
  return { query: query(copies), copies };
}

/** Times a synchronous function as timeEach times requests. */
function timeSync(work: () => unknown, runs: number): LatencySummary {
  for (let i = 0; i < WARM_UP; i++) work();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    latencies.push(performance.now() - started);
  }
  return summarize(latencies);
}

async function refusedOver(url: string, query: string): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  await response.arrayBuffer();
  if (response.status !== 400) throw new Error(`${url} answered ${response.status}, not 400`);
}

export async function benchDocumentLimits(): Promise<DocumentLimitsResult> {
  process.stderr.write('refusing a document of repeated fields at the token limit…\n');
  const { query, copies } = documentAtTheTokenLimit();
  const document = parse(query, { maxTokens: LIMITS.maxTokens });
  const refusal = shapeRefusal(measureDocumentShape(document, LIMITS));
  if (!refusal) throw new Error('the document at the token limit was not refused');
  const check = timeSync(() => shapeRefusal(measureDocumentShape(document, LIMITS)), TIMED);
  const schema = buildSchema();
  const validation = timeSync(() => validate(schema, document, specifiedRules), VALIDATION_TIMED);

  const api = await startChild('servers/api.ts', [], {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: 'file::memory:',
  });
  const ceiling = await startChild('servers/refusal-ceiling.ts', [], {});
  try {
    return {
      copies,
      bytes: Buffer.byteLength(query),
      refusal,
      check,
      validation,
      api: await timeEach(() => refusedOver(`${api.url}/graphql`, query), { warmUp: WARM_UP, runs: TIMED }),
      ceiling: await timeEach(() => refusedOver(ceiling.url, query), { warmUp: WARM_UP, runs: TIMED }),
    };
  } finally {
    await stopChild(api);
    await stopChild(ceiling);
  }
}

const ms = (value: number) => value.toFixed(value < 1 ? 3 : 1);

export function documentLimitsMarkdown(result: DocumentLimitsResult): string[] {
  const row = (name: string, summary: LatencySummary) =>
    `| ${name} | ${ms(summary.p50)} | ${ms(summary.p95)} | ${ms(summary.p99)} | ${summary.samples} |`;
  return [
    '## Refusing a document by its shape (issue #19, item 8)',
    '',
    `The review's document at the ${LIMITS.maxTokens.toLocaleString('en-GB')}-token limit: \`user { email }\` ${result.copies.toLocaleString('en-GB')} times under \`viewer\``,
    `(${result.bytes.toLocaleString('en-GB')} bytes), anonymous. Refused with: "${result.refusal}"`,
    '',
    `**Check**: the shape check alone, on the parsed document (target: under ${CHECK_TARGET_MS} ms). **Validation**: graphql-js's`,
    'specified rules on the same document, what it cost per request before the check. **API**: the whole refused request over',
    'HTTP, the server in a process of its own. **Ceiling**: a hand-written node:http endpoint that parses the body and the',
    `document, counts its fields and answers 400. ${WARM_UP} warm-up runs, then the samples shown, one at a time.`,
    '',
    '| measured | p50 (ms) | p95 | p99 | samples |',
    '| --- | ---: | ---: | ---: | ---: |',
    row('check (in process)', result.check),
    row('validation, before the check (in process)', result.validation),
    row('API: the refused request over HTTP', result.api),
    row('ceiling: parse, count, 400 by hand, over HTTP', result.ceiling),
    '',
    `Check p95 ${ms(result.check.p95)} ms: ${result.check.p95 < CHECK_TARGET_MS ? 'met' : 'NOT met'}. The API's refusal p95 is ${(result.api.p95 / result.ceiling.p95).toFixed(1)}× the ceiling's.`,
    '',
  ];
}
