/**
 * POST and GET /graphql: each request under its deadline, and with replicas, its reads kept on the primary
 * until the replicas have caught up with the caller's last write. A browser opening it gets the playground.
 */
import type { ApolloServer } from '@apollo/server';
import { type ApolloFastifyContextFunction, fastifyApolloHandler } from '@as-integrations/fastify';
import { type ReadState, withReadState } from '@pastoral/db';
import type { Config } from '../config.ts';
import type { GraphQLContext } from '../context.ts';
import { readCookie, serverCookie } from '../modules/auth/session.ts';
import { variableNestingRefusal } from '../graphql/limits.ts';
import { refusalBody } from './http-conventions.ts';
import { withRequestDeadline } from './request-deadline.ts';
import type { ServerApp } from './fastify-app.ts';
import { sendPlayground, type WebAppFiles } from './web-app.ts';

/** The time of the caller's last write (ms since the epoch), kept by the caller for read-your-own-writes. */
const WROTE_AT_COOKIE = 'pastoral_wrote_at';

export function registerGraphqlRoute(
  app: ServerApp,
  {
    config,
    apollo,
    context,
    webApp,
  }: {
    config: Config;
    apollo: ApolloServer<GraphQLContext>;
    context: ApolloFastifyContextFunction<GraphQLContext>;
    webApp: WebAppFiles;
  },
): void {
  const graphqlHandler = fastifyApolloHandler(apollo, { context });
  app.route({
    url: '/graphql',
    method: ['GET', 'POST', 'OPTIONS'],
    handler: (request, reply) => {
      // A browser opening /graphql gets the playground; programs asking for JSON get GraphQL.
      const query = request.query as Record<string, unknown>;
      const wantsPage =
        request.method === 'GET' && !query.query && (request.headers.accept ?? '').includes('text/html');
      if (wantsPage && webApp.playground) return sendPlayground(reply, webApp);
      const body = request.body as Record<string, unknown> | null | undefined;
      const nesting = variableNestingRefusal(request.method === 'GET' ? query.variables : body?.variables);
      if (nesting) return reply.code(400).send(refusalBody(nesting, 'BAD_USER_INPUT'));
      // The handler's types expect Fastify's default logger type; ours is pino's, the same at run time.
      const handle = () =>
        withRequestDeadline(config.requestTimeoutMs, () =>
          graphqlHandler.call(app as never, request as never, reply as never),
        );
      // Which of the caller's reads may go to a replica: only asked where there are replicas.
      if (config.database.replicaUrls.length === 0) return handle();
      const readState: ReadState = {
        wroteAt: Number(readCookie(request.headers.cookie, WROTE_AT_COOKIE)) || 0,
        wroteNow: null,
      };
      readStates.set(request, readState);
      return withReadState(readState, handle);
    },
  });

  // A request that wrote tells its caller when, so that the caller's reads (on any API host) go to the primary
  // until a replica has caught up with that write. Only with replicas: without them every read is the primary's.
  const readStates = new WeakMap<object, ReadState>();
  if (config.database.replicaUrls.length > 0) {
    app.addHook('onSend', async (request, reply) => {
      const wroteNow = readStates.get(request)?.wroteNow;
      if (!wroteNow) return;
      const maxAge = Math.ceil(config.database.replicaMaxLagMs / 1000) + 60;
      const existing = reply.getHeader('set-cookie');
      const cookies = existing === undefined ? [] : Array.isArray(existing) ? existing : [String(existing)];
      reply.header('set-cookie', [...cookies, serverCookie(config, WROTE_AT_COOKIE, wroteNow, maxAge)]);
    });
  }
}
