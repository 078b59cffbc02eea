/**
 * The web app's files (apps/web/dist): the app itself, with its client-side routes, and GraphiQL's playground
 * where it is turned on. API-like paths that name nothing get a JSON 404.
 */
import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
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
}

export function webAppFiles(config: Config, defaultRoot: string): WebAppFiles {
  const root = config.webDistDir ?? defaultRoot;
  // The web build puts GraphiQL in a directory of its own, so that with the playground off none of it is served.
  const playground = config.graphql.playground && existsSync(`${root}/${PLAYGROUND_DIRECTORY}/playground.html`);
  return { root, playground };
}

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
  // Client-side routes (/cases/123) load the app shell; unknown API-like paths still get a JSON 404.
  app.setNotFoundHandler((request, reply) => {
    const wantsHtml = request.method === 'GET' && (request.headers.accept ?? '').includes('text/html');
    if (wantsHtml)
      return reply
        .type('text/html')
        .header('cache-control', 'no-cache')
        .sendFile('index.html', { cacheControl: false });
    return reply.code(404).send({ error: 'Not Found', message: `No route for ${request.method} ${request.url}` });
  });
}
