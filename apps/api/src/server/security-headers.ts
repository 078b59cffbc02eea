/**
 * Security headers on every response, set by @fastify/helmet (helmet's maintained defaults, not headers written
 * by hand): a Content-Security-Policy that admits no inline script and no framing, X-Content-Type-Options:
 * nosniff, Referrer-Policy: no-referrer and the rest of helmet's set; and Strict-Transport-Security only for a
 * request that came over TLS, as the socket or (with TRUST_PROXY) X-Forwarded-Proto says. Sent over plain HTTP
 * it would mean nothing, and a development server on 127.0.0.1 must not teach a browser to insist on HTTPS.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifyHelmet from '@fastify/helmet';
import type { FastifyInstance, FastifyReply } from 'fastify';
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

/** Gives the response that carries the playground's page the playground's policy in place of the app's. */
export function withPlaygroundPolicy(reply: FastifyReply): FastifyReply {
  reply.helmet({ contentSecurityPolicy: { useDefaults: false, directives: PLAYGROUND_CONTENT_SECURITY_POLICY } });
  return reply;
}

export async function registerSecurityHeaders(
  app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>,
): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
    // The CSP's frame-ancestors 'none', for browsers that read only the older header.
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: false,
  });
  app.addHook('onRequest', async (request, reply) => {
    if (request.protocol === 'https') reply.helmet({ strictTransportSecurity: HSTS });
  });
}
