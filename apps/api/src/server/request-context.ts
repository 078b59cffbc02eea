/**
 * Who is asking, per request: the API token or the session cookie is checked, the caller's rate limit keyed on
 * the credential once it is proved, and the request's context built with its deadline and statement budget.
 */
import type { DatabaseHandle } from '@pastoral/db';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import { createContext, type GraphQLContext } from '../context.ts';
import { invalidCredential } from '../graphql/errors.ts';
import { bearerToken } from './http-conventions.ts';
import type { LoaderOptions } from '../keyed-loaders.ts';
import { authenticateToken } from '../modules/api-tokens/api-token.ts';
import type { RecordedViews } from '../modules/audit-log/request-reads.ts';
import { readCookie, sessionCookieName, viewerForSession } from '../modules/auth/session.ts';
import type { SessionStore } from '../modules/auth/session-store.ts';
import type { DashboardCache } from '../modules/dashboard/dashboard.cache.ts';
import type { RiskRules } from '../modules/risk/risk.rules.ts';
import type { RateLimiter } from './rate-limit.ts';
import type { ReferenceCache } from '../reference-cache.ts';
import { DeadlinePlugin, requestDeadline, StatementBudget } from './request-deadline.ts';
import { isDatabaseUnavailable, serviceUnavailable } from './database-errors.ts';

/** What every request's context is built from: the process's configuration, stores and caches. */
export interface RequestContextDependencies {
  config: Config;
  database: DatabaseHandle;
  sessions: SessionStore;
  rateLimiter: RateLimiter;
  riskRules: RiskRules;
  dashboardCache: DashboardCache;
  referenceCache: ReferenceCache;
  recordedViews: RecordedViews;
  loaderOptions: LoaderOptions | undefined;
  clock: () => Date;
}

/** The context function Apollo calls for each request. */
export function requestContext({
  config,
  database,
  sessions,
  rateLimiter,
  riskRules,
  dashboardCache,
  referenceCache,
  recordedViews,
  loaderOptions,
  clock,
}: RequestContextDependencies) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<GraphQLContext> => {
    const sessionId = readCookie(request.headers.cookie, sessionCookieName(config));
    const now = clock();
    const bearer = bearerToken(request.headers.authorization);
    const token = bearer
      ? await authenticateToken(database.db, bearer, now).catch((error: unknown) => {
          if (isDatabaseUnavailable(error)) throw serviceUnavailable(error.message, error.retryAfterSeconds);
          throw error;
        })
      : null;
    if (bearer === '') {
      throw invalidCredential(
        'The Authorization header names the Bearer scheme but no token; send Bearer and the token.',
      );
    }
    if (bearer && !token) {
      throw invalidCredential('The API token is not valid: it is unknown, revoked or expired.');
    }
    const viewer =
      sessionId && !token
        ? await viewerForSession(sessions, sessionId, now).catch((error: unknown) => {
            if (isDatabaseUnavailable(error)) throw serviceUnavailable(error.message, error.retryAfterSeconds);
            throw error;
          })
        : null;
    if (token || viewer)
      await rateLimiter.credentialProved(request, token ? { bearer: bearer! } : { sessionId: sessionId! });
    const statementBudget = new StatementBudget();
    return createContext({
      db: database.db.withPlugin(
        // The deadline the route set for the whole request, which the client-side statement timeout reads too.
        new DeadlinePlugin(
          requestDeadline() ?? Date.now() + config.requestTimeoutMs,
          config.requestTimeoutMs,
          statementBudget,
        ),
      ),
      statementBudget,
      dialect: database.dialect,
      config,
      logger: request.log as Logger,
      viewer,
      token,
      sessions,
      riskRules,
      dashboardCache,
      referenceCache,
      recordedViews,
      loaderOptions,
      now,
      request: {
        id: request.id,
        ip: request.ip ?? null,
        userAgent: request.headers['user-agent'] ?? null,
        idempotencyKey:
          typeof request.headers['idempotency-key'] === 'string' ? request.headers['idempotency-key'] : null,
      },
      setCookie: (cookie) => void reply.header('set-cookie', cookie),
    });
  };
}
