/**
 * What the HTTP layer says in its own name, as the RFCs have it: credentials read with the scheme in any case
 * (RFC 9110, section 11.1), and every refusal it makes before GraphQL runs (a body too large, of a type it does
 * not read, not JSON, a method /graphql does not take) in the shape of a GraphQL error, as Apollo's are, so that
 * a client reads every answer the same way. (401 challenges, RFC 6750's WWW-Authenticate: graphql/errors.ts.)
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';

/**
 * The token of `Authorization: Bearer <token>`, the scheme in any case and any run of spaces after it; '' for
 * the scheme without a token; null for no header or another scheme (a proxy's Basic credentials, say, are not
 * ours to refuse).
 */
export function bearerToken(authorization: string | undefined): string | null {
  const match = /^bearer(?:[ \t]+(.*))?$/i.exec(authorization?.trim() ?? '');
  if (!match) return null;
  return match[1]?.trim() ?? '';
}

/** A refusal as GraphQL over HTTP words one: no data, one error with its code. */
export function refusalBody(message: string, code: string) {
  return { errors: [{ message, extensions: { code } }] };
}

/** A media type as a client may write one, to be named in an answer; anything else is not repeated. */
const MEDIA_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/;

/** The methods /graphql answers; any other is a 405 naming them. */
const GRAPHQL_METHODS = ['GET', 'POST', 'OPTIONS'];

/**
 * Answers what Fastify refuses before a route runs (and any error a route lets escape) as GraphQL errors, and
 * the methods /graphql does not take with 405. Fastify's own messages are not passed on where they would quote
 * the request (its URL); ours say what to send instead.
 */
export function registerHttpRefusals(
  app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>,
  bodyLimitBytes: number,
): void {
  app.setErrorHandler((error: { code?: string; statusCode?: number; message: string }, request, reply) => {
    const refuse = (status: number, code: string, message: string) =>
      reply.code(status).type('application/json; charset=utf-8').send(refusalBody(message, code));
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return refuse(
          413,
          'PAYLOAD_TOO_LARGE',
          `The request body is larger than ${bodyLimitBytes / 1024} KiB; send a smaller document or fewer records per request.`,
        );
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
        const given = request.headers['content-type']?.split(';')[0]?.trim() ?? '';
        return refuse(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `Send the request body as application/json (GraphQL over HTTP), not ${MEDIA_TYPE.test(given) ? given : 'without a content type it reads'}.`,
        );
      }
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
        return refuse(
          400,
          'BAD_REQUEST',
          'The request body is not valid JSON; send a JSON object such as {"query": "{ viewer { role } }"}.',
        );
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return refuse(
          400,
          'BAD_REQUEST',
          'The request body is empty; send a JSON object such as {"query": "{ viewer { role } }"}.',
        );
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return refuse(400, 'BAD_REQUEST', 'The request body is not as long as its Content-Length says; send it whole.');
      case 'FST_ERR_BAD_URL':
      case 'FST_ERR_INVALID_URL':
        return refuse(400, 'BAD_REQUEST', 'The URL is not valid: percent-encode what it carries.');
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return refuse(error.statusCode, 'BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'request failed');
    return refuse(500, 'INTERNAL_SERVER_ERROR', `Something went wrong on our side (request ${request.id}).`);
  });

  app.route({
    url: '/graphql',
    method: ['PUT', 'PATCH', 'DELETE'],
    handler: (request, reply) =>
      reply
        .code(405)
        .header('allow', GRAPHQL_METHODS.join(', '))
        .send(
          refusalBody(
            `/graphql takes ${GRAPHQL_METHODS.join(', ')}, not ${request.method}: send queries with GET or POST, mutations with POST.`,
            'METHOD_NOT_ALLOWED',
          ),
        ),
  });
}
