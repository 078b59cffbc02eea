/**
 * The ceiling for refusing a document by its shape: a hand-written node:http endpoint that reads the body, parses
 * it as JSON and its query with graphql-js's parser under the same token limit (a server must parse a document
 * before it can measure it), counts the fields in one recursive loop and answers 400 with a GraphQL error. No
 * framework, no Apollo, no fragments: the least any server can do to refuse a document that asks for too much.
 *
 * Usage: refusal-ceiling.ts; prints `listening <port>`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Kind, parse, type SelectionSetNode } from 'graphql';
import { LIMITS } from '../../src/graphql/limits.ts';

function fieldsIn(selectionSet: SelectionSetNode): number {
  let fields = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields += 1 + (selection.selectionSet ? fieldsIn(selection.selectionSet) : 0);
    else if (selection.kind === Kind.INLINE_FRAGMENT) fields += fieldsIn(selection.selectionSet);
  }
  return fields;
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const { query } = JSON.parse(Buffer.concat(chunks).toString()) as { query: string };
    const document = parse(query, { maxTokens: LIMITS.maxTokens });
    let fields = 0;
    for (const definition of document.definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) fields += fieldsIn(definition.selectionSet);
    }
    const refused = fields > LIMITS.maxFields;
    response
      .writeHead(refused ? 400 : 200, { 'content-type': 'application/json' })
      .end(
        JSON.stringify(refused ? { errors: [{ message: `${fields} fields; the limit is ${LIMITS.maxFields}.` }] } : {}),
      );
  });
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
