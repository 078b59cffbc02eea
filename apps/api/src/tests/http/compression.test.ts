/**
 * What goes over the wire compressed: the web app's files as the copies its build compressed beforehand (br or
 * gzip, as the browser accepts), and JSON answers above COMPRESS_THRESHOLD_BYTES, compressed as they are sent.
 * Over real HTTP with node:http, which, unlike fetch, hands back the bytes as they came.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { createDb } from '@pastoral/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { buildServer } from '../../server.ts';
import { COMPRESS_THRESHOLD_BYTES } from '../../server/fastify-app.ts';

const logger = createLogger({ logLevel: 'silent' });

interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body's bytes as they came, not decompressed. */
  body: Buffer;
}

/** The decoded body of `response`, by its Content-Encoding. */
function decoded(response: WireResponse): Buffer {
  const encoding = response.headers['content-encoding'];
  if (encoding === 'br') return brotliDecompressSync(response.body);
  if (encoding === 'gzip') return gunzipSync(response.body);
  if (encoding === undefined) return response.body;
  throw new Error(`unexpected Content-Encoding ${String(encoding)}`);
}

describe('compressed responses', () => {
  let webRoot: string;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let database: ReturnType<typeof createDb>;
  let port: number;
  /** A fingerprinted script, as the web build leaves it: the file, and its brotli and gzip copies beside it. */
  const SCRIPT = `export const greeting = ${JSON.stringify('hello, school '.repeat(500))};\n`;

  const send = (
    path: string,
    headers: Record<string, string> = {},
    method = 'GET',
    body?: string,
  ): Promise<WireResponse> =>
    new Promise((resolve, reject) => {
      const outgoing = httpRequest({ host: '127.0.0.1', port, path, method, headers }, (incoming) => {
        const chunks: Buffer[] = [];
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
        incoming.on('end', () =>
          resolve({ status: incoming.statusCode ?? 0, headers: incoming.headers, body: Buffer.concat(chunks) }),
        );
        incoming.on('error', reject);
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  const graphql = (query: string, headers: Record<string, string> = {}) =>
    send('/graphql', { 'content-type': 'application/json', ...headers }, 'POST', JSON.stringify({ query }));

  beforeAll(async () => {
    webRoot = mkdtempSync(join(tmpdir(), 'pastoral-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Pastoral</title>');
    writeFileSync(join(webRoot, 'assets', 'index-1a2b3c.js'), SCRIPT);
    writeFileSync(join(webRoot, 'assets', 'index-1a2b3c.js.br'), brotliCompressSync(SCRIPT));
    writeFileSync(join(webRoot, 'assets', 'index-1a2b3c.js.gz'), gzipSync(SCRIPT));
    database = createDb('file::memory:');
    app = await buildServer({
      config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', WEB_DIST_DIR: webRoot }),
      database,
      logger,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    if (!address || typeof address === 'string') throw new Error('the server has no address');
    port = address.port;
  });
  afterAll(async () => {
    await app.close();
    await database.destroy();
    rmSync(webRoot, { recursive: true, force: true });
  });

  it('sends a fingerprinted file as brotli or gzip as the browser accepts, and as it is otherwise', async () => {
    const cases = [
      { acceptEncoding: 'gzip, deflate, br', encoding: 'br' },
      { acceptEncoding: 'gzip', encoding: 'gzip' },
      { acceptEncoding: 'identity', encoding: undefined },
      { acceptEncoding: undefined, encoding: undefined },
    ];
    for (const { acceptEncoding, encoding } of cases) {
      const response = await send(
        '/assets/index-1a2b3c.js',
        acceptEncoding ? { 'accept-encoding': acceptEncoding } : {},
      );
      expect({
        acceptEncoding,
        status: response.status,
        encoding: response.headers['content-encoding'],
        vary: response.headers.vary,
        type: response.headers['content-type'],
        cache: response.headers['cache-control'],
        length: Number(response.headers['content-length']),
        text: decoded(response).toString(),
      }).toEqual({
        acceptEncoding,
        status: 200,
        encoding,
        vary: 'Accept-Encoding',
        type: 'application/javascript; charset=utf-8',
        cache: 'public, max-age=31536000, immutable',
        length: response.body.length,
        text: SCRIPT,
      });
    }
    // Compressed, the script is a small part of its size: the point of it all.
    const brotli = await send('/assets/index-1a2b3c.js', { 'accept-encoding': 'br' });
    expect(brotli.body.length).toBeLessThan(SCRIPT.length / 10);
    // HEAD says what GET would send, with no body.
    const head = await send('/assets/index-1a2b3c.js', { 'accept-encoding': 'br' }, 'HEAD');
    expect([head.status, head.headers['content-encoding'], head.headers['content-length'], head.body.length]).toEqual([
      200,
      'br',
      String(brotli.body.length),
      0,
    ]);
    // The copies are sent for their file's path, not at paths of their own.
    const copy = await send('/assets/index-1a2b3c.js.br', { accept: 'application/json' });
    expect(copy.status).toBe(404);
  });

  it('keeps Vary: Origin for an allowed origin beside Vary: Accept-Encoding', async () => {
    const crossOrigin = await buildServer({
      config: loadConfig({
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        WEB_DIST_DIR: webRoot,
        CORS_ORIGINS: 'https://app.school.example',
      }),
      database,
      logger,
    });
    try {
      const response = await crossOrigin.inject({
        url: '/assets/index-1a2b3c.js',
        headers: { origin: 'https://app.school.example', 'accept-encoding': 'br' },
      });
      expect([response.headers['content-encoding'], response.headers.vary]).toEqual(['br', 'Origin, Accept-Encoding']);
    } finally {
      await crossOrigin.close();
    }
  });

  it(`compresses a GraphQL answer of ${COMPRESS_THRESHOLD_BYTES} bytes or more, and not a smaller one`, async () => {
    // Introspection (on outside production) answers with the schema's type names: several kilobytes.
    const LARGE = '{ __schema { types { name description } } }';
    const identity = await graphql(LARGE, { 'x-request-id': 'compression-test-1' });
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.body.length).toBeGreaterThan(COMPRESS_THRESHOLD_BYTES);
    const answer = JSON.parse(identity.body.toString()) as unknown;

    for (const encoding of ['br', 'gzip']) {
      const response = await graphql(LARGE, { 'accept-encoding': encoding, 'x-request-id': 'compression-test-2' });
      expect({
        status: response.status,
        encoding: response.headers['content-encoding'],
        vary: response.headers.vary,
        requestId: response.headers['x-request-id'],
        smaller: response.body.length < identity.body.length / 3,
        answer: JSON.parse(decoded(response).toString()) as unknown,
      }).toEqual({
        status: 200,
        encoding,
        vary: 'accept-encoding',
        requestId: 'compression-test-2',
        smaller: true,
        answer,
      });
    }

    const small = await graphql('{ __typename }', { 'accept-encoding': 'br, gzip' });
    expect(small.body.length).toBeLessThan(COMPRESS_THRESHOLD_BYTES);
    expect([small.status, small.headers['content-encoding'], JSON.parse(small.body.toString())]).toEqual([
      200,
      undefined,
      { data: { __typename: 'Query' } },
    ]);
  });
});
