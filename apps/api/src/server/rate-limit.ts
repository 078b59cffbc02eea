/**
 * The rate limit of /graphql: a budget of requests per window for each principal (a staff session, an API token,
 * or the client's address for requests that prove no one), counted before anything reads the database, with the
 * IETF RateLimit and RateLimit-Policy fields on every answer and 429 with Retry-After past the budget.
 *
 * The fields follow draft-ietf-httpapi-ratelimit-headers-10 (September 2025): structured-field Lists whose items
 * are the policy's name as a String, `RateLimit-Policy: "staff";q=600;w=60` and `RateLimit: "staff";r=599;t=60`.
 *
 * Who pays (see rate-limit.store.ts): the request is keyed by what it carries, a bearer token or else a session
 * cookie, hashed, or else the address. A credential not yet proved good is charged to its address until the
 * request's context finds it good (credentialProved), so random cookies get no more than the address's budget.
 * A successful sign-in is refunded to its address and counted against the new session instead: the address's
 * budget pays only for requests that prove no one, and staff behind one school's NAT do not share it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.ts';
import type { Metrics } from './metrics.ts';
import { hashApiToken, TOKEN_PREFIX } from '../modules/api-tokens/api-token.ts';
import { hashSessionId, readCookie, SESSION_IDLE_MS, sessionCookieName } from '../modules/auth/session.ts';
import {
  type AddressCharge,
  memoryCounters,
  type RateLimitCounters,
  redisCounters,
  type WindowCount,
} from './rate-limit.store.ts';

/** The route limited: health, readiness, metrics and the web app's files are not. */
const LIMITED_ROUTE = '/graphql';

interface Policy {
  /** Its name in the RateLimit fields. */
  name: 'staff' | 'api-token' | 'anonymous';
  quota: number;
  /** What a principal refused should do: when to retry comes first, from the window. */
  advice: string;
}

interface Credential {
  /** The counter's key: the credential's kind and SHA-256, never the credential itself. */
  key: string;
  policy: Policy;
}

interface RequestCount {
  policy: Policy;
  count: WindowCount;
  /** When the window ends, by this process's clock. */
  resetsAt: number;
  /** The address's charge for this request, while it may still be refunded. */
  addressCharge: AddressCharge | null;
  /** The credential the request carries, when it is not proved yet. */
  unproved: Credential | null;
}

/** A credential the request's context found good: the bearer token it sent, or its session cookie's id. */
export type ProvedCredential = { bearer: string } | { sessionId: string };

export interface RateLimiter {
  /**
   * The request's context found `credential` good (a live session, a valid token): if it is the credential the
   * request was counted by, the request counts against its budget from now on, not its address's.
   */
  credentialProved(request: FastifyRequest, credential: ProvedCredential): Promise<void>;
}

/** Without the limiter (the benchmark's baseline): nothing counts. */
export const NO_RATE_LIMIT: RateLimiter = { credentialProved: async () => undefined };

/**
 * Limits /graphql on `app`. With `redis`, counters are shared through it under `namespace` (one per database,
 * so deployments and test runs sharing a Redis do not share budgets); otherwise each process counts its own.
 */
export function registerRateLimit(
  app: FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>,
  {
    config,
    redis,
    namespace,
    logger,
    metrics,
  }: { config: Config; redis: Redis | null; namespace: string; logger: Logger; metrics: Metrics },
): RateLimiter {
  const { windowSeconds, staff, token, anonymous } = config.rateLimit;
  const window = `${windowSeconds} s`;
  const policies = {
    staff: {
      name: 'staff',
      quota: staff,
      advice: `This session has sent ${staff} requests in ${window}, its budget. If staff need more, an administrator can raise RATE_LIMIT_STAFF.`,
    },
    token: {
      name: 'api-token',
      quota: token,
      advice: `This API token has sent ${token} requests in ${window}, its budget; each token has its own. Send records in batches of up to 1,000, or ask the administrator to raise RATE_LIMIT_TOKEN.`,
    },
    anonymous: {
      name: 'anonymous',
      quota: anonymous,
      advice: `This address has sent ${anonymous} requests in ${window} without a valid session or API token, its budget. Sign in or send a valid token (each has a budget of its own); behind a shared proxy an administrator can set TRUST_PROXY or raise RATE_LIMIT_ANONYMOUS.`,
    },
  } satisfies Record<string, Policy>;

  const settings = { windowMs: windowSeconds * 1000, provedMs: SESSION_IDLE_MS };
  const inProcess = memoryCounters(settings);
  const shared = redis
    ? redisCounters(redis, `pastoral:ratelimit:${namespace}:`, settings, inProcess, (error) =>
        logger.warn({ err: error }, 'rate limit: Redis did not answer; each process counts on its own until it does'),
      )
    : null;
  if (shared) app.addHook('onClose', async () => shared.close());
  const counters: RateLimitCounters = shared ?? inProcess;
  const counts = new WeakMap<FastifyRequest, RequestCount>();
  const cookieName = sessionCookieName(config);
  let refused = 0;
  metrics.counterFrom(
    'pastoral_rate_limited_requests_total',
    'Requests to /graphql refused with 429: their principal had spent its budget.',
    () => refused,
  );
  if (shared) {
    metrics.counterFrom(
      'pastoral_rate_limit_in_process_total',
      'Requests counted in this process alone because Redis did not answer.',
      () => shared.inProcessCount(),
    );
  }

  const tokenCredential = (bearer: string): Credential => ({
    key: `token:${hashApiToken(bearer)}`,
    policy: policies.token,
  });
  const sessionCredential = (sessionId: string): Credential => ({
    key: `session:${hashSessionId(sessionId)}`,
    policy: policies.staff,
  });

  /** What the request carries: a bearer token if it sends one (well-formed or not), else a session cookie. */
  function credentialOf(request: FastifyRequest): Credential | null {
    const bearer = BEARER.exec(request.headers.authorization ?? '');
    if (bearer) {
      // A token that is not one of ours is refused without a lookup: it proves no one.
      const token = bearer[1]!;
      return token.startsWith(TOKEN_PREFIX) && token.length === TOKEN_LENGTH ? tokenCredential(token) : null;
    }
    const sessionId = readCookie(request.headers.cookie, cookieName);
    return sessionId && SESSION_ID.test(sessionId) ? sessionCredential(sessionId) : null;
  }

  function record(request: FastifyRequest, counted: Omit<RequestCount, 'resetsAt'>): RequestCount {
    const count = { ...counted, resetsAt: Date.now() + counted.count.resetInMs };
    counts.set(request, count);
    return count;
  }

  // Counted as the request arrives, before its body is read or its credential looked up.
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.url !== LIMITED_ROUTE) return;
    const credential = credentialOf(request);
    const address = `address:${addressKey(request.ip)}`;
    let counted: RequestCount;
    if (!credential) {
      const count = await counters.hit(address);
      counted = record(request, {
        policy: policies.anonymous,
        count,
        addressCharge: { key: address, window: count.window },
        unproved: null,
      });
    } else {
      const result = await counters.hitCredential(credential.key, address);
      counted = result.proved
        ? record(request, { policy: credential.policy, count: result.count, addressCharge: null, unproved: null })
        : record(request, {
            policy: policies.anonymous,
            count: result.address,
            addressCharge: { key: address, window: result.address.window },
            unproved: credential,
          });
    }
    if (counted.count.count > counted.policy.quota) {
      refused += 1;
      const retryAfter = Math.max(1, secondsLeft(counted));
      return reply
        .code(429)
        .header('retry-after', String(retryAfter))
        .type('application/json; charset=utf-8')
        .send({
          errors: [
            {
              message: `Too many requests: retry after ${retryAfter} s. ${counted.policy.advice}`,
              extensions: { code: 'RATE_LIMITED', retryAfterSeconds: retryAfter },
            },
          ],
        });
    }
  });

  async function prove(counted: RequestCount, credential: Credential): Promise<void> {
    const count = await counters.prove(credential.key, counted.addressCharge);
    Object.assign(counted, {
      policy: credential.policy,
      count,
      resetsAt: Date.now() + count.resetInMs,
      addressCharge: null,
      unproved: null,
    });
  }

  app.addHook('onSend', async (request, reply) => {
    const counted = counts.get(request);
    if (!counted) return;
    // A sign-in that succeeded proved its new session: the address is refunded and the session pays instead.
    const session = counted.addressCharge ? newSession(reply, cookieName) : null;
    if (session) await prove(counted, sessionCredential(session));
    const { name, quota } = counted.policy;
    reply.header('ratelimit-policy', `"${name}";q=${quota};w=${windowSeconds}`);
    reply.header('ratelimit', `"${name}";r=${Math.max(0, quota - counted.count.count)};t=${secondsLeft(counted)}`);
  });

  return {
    async credentialProved(request, credential) {
      const counted = counts.get(request);
      if (!counted?.unproved) return;
      // What the context checked, not what this module read from the request: the two must be the same credential.
      const proved =
        'bearer' in credential ? tokenCredential(credential.bearer) : sessionCredential(credential.sessionId);
      if (proved.key === counted.unproved.key) await prove(counted, proved);
    },
  };
}

/** The shape of a session id (session.ts): anything else is not looked up, and proves no one. */
const SESSION_ID = /^[A-Za-z0-9_-]{43}$/;
/** The shape of an API token (api-token.ts): its prefix and 256 bits in base64url. */
const TOKEN_LENGTH = TOKEN_PREFIX.length + 43;
/** An Authorization header of the Bearer scheme; any other scheme (a staging site's Basic) leaves the cookie. */
const BEARER = /^Bearer\s+(\S+)\s*$/i;

function secondsLeft(counted: RequestCount): number {
  return Math.max(0, Math.ceil((counted.resetsAt - Date.now()) / 1000));
}

/** The session id a response starts (a successful sign-in), or null. */
function newSession(reply: FastifyReply, cookieName: string): string | null {
  const header = reply.getHeader('set-cookie');
  const cookies = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  for (const cookie of cookies) {
    const value = readCookie(cookie.split(';')[0], cookieName);
    if (value && SESSION_ID.test(value)) return value;
  }
  return null;
}

/**
 * The address anonymous requests are counted by: an IPv4 address as it is, an IPv6 address by its /64, the
 * network one subscriber is given, any of whose addresses their hosts may take (so a budget per /128 would be
 * a budget per whim).
 */
export function addressKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  const [head = '', tail, ...more] = ip.split('%')[0]!.split('::');
  if (more.length > 0) return ip;
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  // A dotted IPv4 tail (::1.2.3.4) stands for two groups.
  const width = (part: string[]) => part.reduce((sum, group) => sum + (group.includes('.') ? 2 : 1), 0);
  const gap = tail === undefined ? 0 : 8 - width(groups(head)) - width(groups(tail));
  const all = [...groups(head), ...Array<string>(Math.max(0, gap)).fill('0'), ...groups(tail)];
  const network = all.slice(0, 4).map((group) => Number.parseInt(group, 16));
  if (network.length < 4 || network.some((group) => !(group >= 0 && group <= 0xffff))) return ip;
  return `${network.map((group) => group.toString(16)).join(':')}::/64`;
}
