/** What every resolver gets: the viewer, the database, per-request loaders, and the request's identity. */
import { type ApiTokenScope, type Database, type EngineDialect, toDateOnly } from '@pastoral/db';
import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { forbidden, insufficientScope, unauthenticated } from './graphql/errors.ts';
import type { TokenPrincipal } from './modules/api-tokens/token-principal.ts';
import type { LoaderOptions } from './keyed-loaders.ts';
import { createLoaders, type Loaders } from './loaders.ts';
import type { AuditActor } from './modules/audit-log/audit.writer.ts';
import { readerOf } from './principal.ts';
import { type RecordKind, TOKEN_SCOPE_OF_KIND } from './graphql/type-access.ts';
import type { SessionStore } from './modules/auth/session-store.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import type { RiskRules } from './modules/risk/risk.rules.ts';
import { currentTermCode } from './modules/students/student.repository.ts';
import { dashboardScopesChangedBy, type DashboardCache } from './modules/dashboard/dashboard.cache.ts';
import type { ReferenceCache } from './reference-cache.ts';
import type { StatementBudget } from './server/request-deadline.ts';
import { type RecordedViews, RequestReads } from './modules/audit-log/request-reads.ts';

export interface RequestInfo {
  id: string;
  ip: string | null;
  userAgent: string | null;
  /** The Idempotency-Key header, for mutations that take one. */
  idempotencyKey: string | null;
}

export interface GraphQLContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  config: Config;
  logger: Logger;
  viewer: Viewer | null;
  /** The integrator's API token, when the request carries one instead of a session. */
  token: TokenPrincipal | null;
  /** Where sessions live: the database, or Redis when REDIS_URL is set. */
  sessions: SessionStore;
  /** The risk rules in force, for recomputing after an ingest. */
  riskRules: RiskRules;
  loaders: Loaders;
  request: RequestInfo;
  /** One clock per request: every "now" and "today" of a request agrees. */
  now: Date;
  today: string;
  /** Adds a Set-Cookie header to the response. */
  setCookie: (cookie: string) => void;
  /** The term coursework is judged on, read once per request. */
  currentTerm: () => Promise<string | null>;
  /** Viewers' dashboard figures, kept for a while and forgotten when what they count changes. */
  dashboardCache: DashboardCache;
  /** Classrooms and terms, which no request changes, kept by the process for a while. */
  referenceCache: ReferenceCache;
  /**
   * The dashboard scopes this request changed (dashboardScopesChangedBy), from the audit entries it wrote; their
   * cached figures are forgotten before the response leaves.
   */
  changedDashboards: Set<string>;
  /** The SQL statements this request may still send (see StatementBudget); absent where nothing counts them. */
  statementBudget?: StatementBudget;
  /** Whose records the request read: put on the record as its response leaves (request-reads.ts). */
  reads: RequestReads;
  /** The views of student records this process recorded lately, so that a page seen again writes nothing. */
  recordedViews: RecordedViews;
}

export function createContext(
  options: Omit<GraphQLContext, 'loaders' | 'now' | 'today' | 'currentTerm' | 'changedDashboards' | 'reads'> & {
    now?: Date;
    loaderOptions?: LoaderOptions;
  },
): GraphQLContext {
  const now = options.now ?? new Date();
  const today = toDateOnly(now);
  let currentTerm: Promise<string | null> | undefined;
  return {
    ...options,
    now,
    today,
    loaders: createLoaders(
      options.db,
      options.dialect,
      { viewer: options.viewer, token: options.token },
      { ...(options.loaderOptions ?? { batch: true }), reference: options.referenceCache, now },
    ),
    currentTerm: () =>
      (currentTerm ??= options.referenceCache.value(`term:${today}`, () => currentTermCode(options.db, today))),
    changedDashboards: new Set(),
    reads: new RequestReads(options.viewer ? 'staff' : options.token ? 'token' : null),
  };
}

/** The signed-in viewer; a 401 for an anonymous request, a 403 for an API token. */
export function requireViewer(context: GraphQLContext): Viewer {
  if (context.viewer) return context.viewer;
  if (context.token) throw forbidden('This field needs a signed-in member of staff; API tokens cannot use it.');
  throw unauthenticated();
}

/** The request's API token, holding `scope`; a 401 without one, a 403 without the scope. */
export function requireToken(context: GraphQLContext, scope: ApiTokenScope): TokenPrincipal {
  if (!context.token) {
    if (context.viewer) throw forbidden(`This field is for integrators: send an API token with the ${scope} scope.`);
    throw unauthenticated();
  }
  if (!context.token.scopes.includes(scope)) {
    throw insufficientScope(`This API token lacks the ${scope} scope; ask an admin for a token that has it.`, [scope]);
  }
  return context.token;
}

/**
 * Who reads records of `kind` here (readerOf): the signed-in viewer, or a token holding the kind's scope; a 401
 * for nobody, a 403 for a token without the scope.
 */
export function requireReader(context: GraphQLContext, kind: RecordKind): Viewer {
  const reader = readerOf(context, kind);
  if (reader) return reader;
  const scope = TOKEN_SCOPE_OF_KIND[kind];
  if (context.token && scope)
    throw insufficientScope(`This API token lacks the ${scope} scope; ask an admin for a token that has it.`, [scope]);
  throw unauthenticated();
}

/** What a mutation service needs of the request: who acts, on which database, when. */
export interface MutationContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  viewer: Viewer;
  actor: AuditActor;
  now: Date;
}

/** The request as a mutation service sees it: a signed-in member of staff acting (a 401 or 403 otherwise). */
export function mutationContext(context: GraphQLContext): MutationContext {
  return {
    db: context.db,
    dialect: context.dialect,
    viewer: requireViewer(context),
    actor: auditActor(context),
    now: context.now,
  };
}

/** The viewer as the actor of an audit entry. */
export function auditActor(context: GraphQLContext): AuditActor {
  return {
    type: context.viewer ? 'USER' : context.token ? 'TOKEN' : 'ANONYMOUS',
    userId: context.viewer?.user.id ?? null,
    apiTokenId: context.token?.tokenId ?? null,
    requestId: context.request.id,
    ip: context.request.ip,
    onRecorded: (event) => {
      for (const scope of dashboardScopesChangedBy(event)) context.changedDashboards.add(scope);
    },
  };
}
