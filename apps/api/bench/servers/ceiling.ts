/**
 * The ceiling: a hand-written node:http endpoint on a bare mysql2 pool, serving each operation by sending the
 * very statements the API sent for it (captured by the benchmark), with none of the layers above SQL: no
 * framework, no GraphQL, no query builder, no loaders. A session statement runs first, as authentication
 * must (when the API read the session rather than its cached copy); the rest run at once on the pool's
 * connections, which no API can beat. Rows go back as JSON.
 *
 * Usage: ceiling.ts <statements.json> <database url>; prints `listening <port>`.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPool } from 'mysql2/promise';
import { rawConnectionOptions } from '../measure.ts';

export interface CapturedStatement {
  sql: string;
  parameters: unknown[];
}

const [statementsFile, url] = process.argv.slice(2);
if (!statementsFile || !url) throw new Error('usage: ceiling.ts <statements.json> <database url>');
const statements = JSON.parse(readFileSync(statementsFile, 'utf8')) as Record<string, CapturedStatement[]>;
// The same type settings as the API's pool, so rows cost the same to decode.
const pool = createPool({ ...rawConnectionOptions(url), connectionLimit: 10 });

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    void (async () => {
      try {
        // Parsed as any endpoint parses its input, though the statements are fixed.
        JSON.parse(Buffer.concat(chunks).toString() || '{}');
        const operation = statements[decodeURIComponent((request.url ?? '/').slice(1))];
        if (!operation || operation.length === 0) {
          response.writeHead(404).end();
          return;
        }
        const authenticates = /from [`"]?sessions\b/i.test(operation[0]!.sql);
        const first = authenticates ? [await pool.query(operation[0]!.sql, operation[0]!.parameters)] : [];
        const others = await Promise.all(
          operation.slice(first.length).map((statement) => pool.query(statement.sql, statement.parameters)),
        );
        const body = JSON.stringify([...first, ...others].map(([rows]) => rows));
        response.writeHead(200, { 'content-type': 'application/json' }).end(body);
      } catch (error) {
        response.writeHead(500).end(String(error));
      }
    })();
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  void pool.end().finally(() => process.exit(0));
});
