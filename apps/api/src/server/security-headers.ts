/**
 * Security headers on every response, from helmet (its maintained defaults, not headers written by hand): a
 * Content-Security-Policy that admits no inline script and no framing, X-Content-Type-Options: nosniff,
 * Referrer-Policy: no-referrer and the rest of helmet's set; and Strict-Transport-Security only for a request that
 * came over TLS, as the socket or (with TRUST_PROXY) X-Forwarded-Proto says. Sent over plain HTTP it would mean
 * nothing, and a development server on 127.0.0.1 must not teach a browser to insist on HTTPS.
 *
 * The headers are the same for every response, so helmet writes them once, at start: @fastify/helmet built
 * helmet's middleware again for each request (parsing the policy's directives), 2 % of the API's CPU on the load
 * test's mix.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply } from 'fastify';
import helmet, { type HelmetOptions, strictTransportSecurity } from 'helmet';
import type { Logger } from 'pino';

/** One year, the figure HSTS preload lists ask for; subdomains too, as a school's would all be served over TLS. */
const HSTS = { maxAge: 31_536_000, includeSubDomains: true };

/**
 * The app's and the playground's policy. Everything comes from this origin: scripts, styles and fonts are Vite's
 * files, requests go to /graphql. No inline script or style is admitted.
 */
const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'worker-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * GraphiQL's page, checked in Chromium (web.e2e.test.ts fails on any violation): its editor, Monaco, writes
 * style attributes (about 200 on opening) and a few <style> elements of its own, with no way to give them a
 * nonce, so styles may be inline on this page alone; and GraphiQL's stylesheet embeds its fonts as data: URIs.
 * Scripts stay this origin's files only, its workers included.
 */
const PLAYGROUND_CONTENT_SECURITY_POLICY = {
  ...CONTENT_SECURITY_POLICY,
  'style-src': ["'self'", "'unsafe-inline'"],
  'font-src': ["'self'", 'data:'],
};

/**
 * The headers a helmet middleware sets, found by running it once on a stand-in response. (The one it removes,
 * X-Powered-By, Fastify never sends.)
 */
function headersOf(middleware: (request: IncomingMessage, response: ServerResponse, next: () => void) => void) {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => {},
  };
  middleware({} as IncomingMessage, response as unknown as ServerResponse, () => {});
  return headers;
}

const HELMET_OPTIONS: HelmetOptions = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  // The CSP's frame-ancestors 'none', for browsers that read only the older header.
  xFrameOptions: { action: 'deny' },
  strictTransportSecurity: false,
};
const SECURITY_HEADERS = headersOf(helmet(HELMET_OPTIONS));
const PLAYGROUND_HEADERS = headersOf(
  helmet({
    ...HELMET_OPTIONS,
    contentSecurityPolicy: { useDefaults: false, directives: PLAYGROUND_CONTENT_SECURITY_POLICY },
  }),
);
const HSTS_HEADERS = headersOf(strictTransportSecurity(HSTS));

/** Gives the response that carries the playground's page the playground's policy in place of the app's. */
export function withPlaygroundPolicy(reply: FastifyReply): FastifyReply {
  return reply.headers(PLAYGROUND_HEADERS);
}

export async function registerSecurityHeaders(
  app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>,
): Promise<void> {
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(SECURITY_HEADERS);
    if (request.protocol === 'https') reply.headers(HSTS_HEADERS);
    done();
  });
}
