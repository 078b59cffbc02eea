/**
 * The web app's files (apps/web/dist): the app itself, with its client-side routes, and GraphiQL's playground
 * where it is turned on. API-like paths that name nothing get a JSON 404.
 */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { readCookie, sessionCookieName } from '../modules/auth/session.ts';
import { withPlaygroundPolicy } from './security-headers.ts';
import type { ServerApp } from './fastify-app.ts';

/** Where the web build puts the GraphQL playground (apps/web/vite.playground.config.ts), below its root. */
const PLAYGROUND_DIRECTORY = 'playground';
/** The endings of the compressed copies the web build writes beside its files, as @fastify/static looks for them. */
const PRECOMPRESSED_EXTENSIONS = ['.br', '.gz'];

export interface WebAppFiles {
  root: string;
  /** Whether GraphiQL is served: turned on, and built. */
  playground: boolean;
  /** The session cookie's name: whether a request carries one decides which page of the app it is sent. */
  sessionCookie: string;
  /** Whether the build has the signed-in pages beside index.html (apps/web/vite.config.ts's staticShells). */
  signedInPages: boolean;
}

export function webAppFiles(config: Config, defaultRoot: string): WebAppFiles {
  const root = config.webDistDir ?? defaultRoot;
  // The web build puts GraphiQL in a directory of its own, so that with the playground off none of it is served.
  const playground = config.graphql.playground && existsSync(`${root}/${PLAYGROUND_DIRECTORY}/playground.html`);
  const signedInPages = existsSync(`${root}/dashboard.html`) && existsSync(`${root}/signed-in.html`);
  return { root, playground, sessionCookie: sessionCookieName(config), signedInPages };
}

/**
 * The app's page for a request: each is the same app, with what the browser paints before the app runs
 * (apps/web/src/app/static-shells.ts). With a session cookie, the header of a signed-in page, with the
 * dashboard's heading at `/`; without one, the sign-in page. The cookie is not looked up: a stale one shows the
 * header until the app finds it signed out, which is rare, and costs no statement per page load.
 */
function appPage(request: FastifyRequest, files: WebAppFiles): string {
  if (!files.signedInPages || readCookie(request.headers.cookie, files.sessionCookie) === undefined) {
    return 'index.html';
  }
  return pathOf(request) === '/' ? 'dashboard.html' : 'signed-in.html';
}

const pathOf = (request: FastifyRequest) => request.url.split('?')[0];

/** GraphiQL's page, under its own content security policy. */
export function sendPlayground(reply: FastifyReply, files: WebAppFiles) {
  return withPlaygroundPolicy(reply)
    .type('text/html')
    .header('cache-control', 'no-cache')
    .sendFile('playground.html', `${files.root}/${PLAYGROUND_DIRECTORY}`, { cacheControl: false });
}

export async function registerWebApp(app: ServerApp, files: WebAppFiles, logger: Logger): Promise<void> {
  if (files.playground) {
    app.get('/graphiql', (_request, reply) => sendPlayground(reply, files));
  }
  if (!existsSync(files.root)) {
    logger.warn({ webRoot: files.root }, 'web app not built: run `pnpm build` to serve it');
    return;
  }
  // The responses that are files of the web root, marked as they are sent (setHeaders below), so that their Vary
  // can be completed once the reply's own headers are set.
  const filesSent = new WeakSet<object>();
  // Which copy was sent depends on Accept-Encoding: a cache between us and the browser must not give a brotli
  // copy to a browser that did not ask for it. Set on the reply, after the CORS hook's Vary: Origin, not on the
  // raw response, whose headers the reply's would replace.
  app.addHook('onSend', async (_request, reply) => {
    if (!filesSent.has(reply.raw)) return;
    const vary = reply.getHeader('vary');
    reply.header('vary', vary ? `${String(vary)}, Accept-Encoding` : 'Accept-Encoding');
  });
  await app.register(fastifyStatic, {
    root: files.root,
    // A route for each file found now, none for a path that names no file; none for the playground's when it
    // is off, which leaves their paths to the not-found handler below. The compressed copies get none: they are
    // sent for their file's own path.
    wildcard: false,
    // `/` is the app's page, chosen per request below, not index.html as it is.
    index: false,
    globIgnore: [
      ...(files.playground ? [] : [`${PLAYGROUND_DIRECTORY}/**`]),
      ...PRECOMPRESSED_EXTENSIONS.map((extension) => `**/*${extension}`),
    ],
    // The web build writes a brotli and a gzip copy beside each file that compresses (apps/web/vite.config.ts):
    // the copy the browser accepts is sent (br first), the file itself to one that accepts neither.
    preCompressed: true,
    // Our own cache policy below, not send's default max-age=0.
    cacheControl: false,
    // Vite fingerprints everything under assets/: cache it for a year; index.html is always revalidated.
    setHeaders: (response, path) => {
      filesSent.add(response);
      response.setHeader(
        'cache-control',
        path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  // `/` and client-side routes (/cases/123) load the app; unknown API-like paths still get a JSON 404. Which page
  // was sent depends on the cookie, so a cache must not give a signed-in page's to a signed-out browser.
  app.setNotFoundHandler((request, reply) => {
    const wantsHtml =
      request.method === 'GET' && ((request.headers.accept ?? '').includes('text/html') || pathOf(request) === '/');
    if (!wantsHtml) {
      return reply.code(404).send({ error: 'Not Found', message: `No route for ${request.method} ${request.url}` });
    }
    const vary = reply.getHeader('vary');
    return reply
      .type('text/html')
      .header('cache-control', 'no-cache')
      .header('vary', vary ? `${String(vary)}, Cookie` : 'Cookie')
      .sendFile(appPage(request, files), { cacheControl: false });
  });
}
