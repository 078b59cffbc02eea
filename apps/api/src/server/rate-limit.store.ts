/**
 * The rate limiter's counters (rate-limit.ts decides whose they are): a fixed window per principal that starts
 * with the principal's first request, so that windows do not all end, and their clients all return, at once.
 *
 * In Redis when REDIS_URL is set, shared by every process and host, one atomic round trip (a Lua script) per
 * request; in the process otherwise. When Redis fails or times out, each process counts on its own until a PING
 * finds Redis back: an outage costs the requests waiting on Redis at its start, then nothing but the sharing.
 *
 * A credential (a session, an API token) earns a budget of its own only once it is proved good. Until then its
 * requests are charged to the client's address, provisionally: the charge is refunded when the credential
 * proves good, and a credential proved is remembered while it is used. So a forged or random cookie is charged
 * to its address like an anonymous request, before anything looks it up, and cannot mint a budget.
 */
import type { Redis } from 'ioredis';

/** A principal's window, as a request left it. */
export interface WindowCount {
  /** Requests counted in the window, this one included. */
  count: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetInMs: number;
  /** Which window it is, so that a refund never reaches a later one. */
  window: string;
}

/** A request counted against an address (keyed `key`), to be refunded if it turns out to prove a principal. */
export interface AddressCharge {
  key: string;
  window: string;
}

export type CredentialCount =
  /** The credential was proved lately: the request counts against its own budget. */
  | { proved: true; count: WindowCount }
  /** Not proved (yet, or ever): the request counts against the address's budget until it is. */
  | { proved: false; address: WindowCount };

export interface RateLimitCounters {
  /** Counts a request against `key`. */
  hit(key: string): Promise<WindowCount>;
  /** Counts a request carrying `credential` against it if it was proved lately, against `address` if not. */
  hitCredential(credential: string, address: string): Promise<CredentialCount>;
  /**
   * `credential` proved good: the request counts against it, it is remembered as proved, and the address's
   * provisional charge for this request (if any) is refunded.
   */
  prove(credential: string, refund: AddressCharge | null): Promise<WindowCount>;
}

export interface CounterSettings {
  windowMs: number;
  /** How long a proved credential is remembered after its last request. */
  provedMs: number;
}

/**
 * Windows and proved credentials kept past this are dropped, oldest first: only millions of distinct addresses
 * in one window get there, and such a flood then wins fresh budgets, not memory.
 */
const MAX_ENTRIES = 200_000;

/** Counters of this process alone. */
export function memoryCounters({ windowMs, provedMs }: CounterSettings, now = () => Date.now()): RateLimitCounters {
  // Every window lasts windowMs and every proof provedMs, and an entry is put back at the end whenever it starts
  // again: both maps are in order of their end, so the expired are always at the front.
  const windows = new Map<string, { count: number; endsAt: number; window: string }>();
  const proved = new Map<string, number>();
  let started = 0;

  function dropExpired<Value>(map: Map<string, Value>, endOf: (value: Value) => number, at: number) {
    for (const [key, value] of map) {
      if (endOf(value) > at && map.size <= MAX_ENTRIES) break;
      map.delete(key);
    }
  }

  function hit(key: string): WindowCount {
    const at = now();
    dropExpired(windows, (entry) => entry.endsAt, at);
    let entry = windows.get(key);
    if (!entry || entry.endsAt <= at) {
      windows.delete(key);
      entry = { count: 0, endsAt: at + windowMs, window: `m${++started}` };
      windows.set(key, entry);
    }
    entry.count += 1;
    return { count: entry.count, resetInMs: entry.endsAt - at, window: entry.window };
  }

  function remember(credential: string, at: number) {
    proved.delete(credential);
    proved.set(credential, at + provedMs);
  }

  return {
    async hit(key) {
      return hit(key);
    },
    async hitCredential(credential, address) {
      const at = now();
      dropExpired(proved, (until) => until, at);
      const until = proved.get(credential);
      if (until === undefined || until <= at) return { proved: false, address: hit(address) };
      remember(credential, at);
      return { proved: true, count: hit(credential) };
    },
    async prove(credential, refund) {
      remember(credential, now());
      const charged = refund ? windows.get(refund.key) : undefined;
      if (charged && refund && charged.window === refund.window) charged.count -= 1;
      return hit(credential);
    },
  };
}

/**
 * Counts `key`'s request: a hash of the count (n) and the window's identity (w, the time it started), which
 * expires with the window. Returns {count, milliseconds left, window}.
 */
const HIT = `
local function hit(key, window)
  local count = redis.call('HINCRBY', key, 'n', 1)
  if count == 1 then
    local time = redis.call('TIME')
    local id = time[1] .. '.' .. time[2]
    redis.call('HSET', key, 'w', id)
    redis.call('PEXPIRE', key, window)
    return {count, window, id}
  end
  local left = redis.call('PTTL', key)
  if left < 0 then
    redis.call('PEXPIRE', key, window)
    left = window
  end
  return {count, left, redis.call('HGET', key, 'w') or ''}
end
`;

const SCRIPTS = {
  /** KEYS: counter. ARGV: window ms. */
  pastoralRateLimitHit: { numberOfKeys: 1, lua: `${HIT} return hit(KEYS[1], tonumber(ARGV[1]))` },
  /**
   * KEYS: the credential's counter, its proof, the address's counter. ARGV: window ms, proof ms. A proof found is
   * kept for another proof ms. Returns {proved (1 or 0), ...hit}.
   */
  pastoralRateLimitCredential: {
    numberOfKeys: 3,
    lua: `${HIT}
      local window = tonumber(ARGV[1])
      if redis.call('PEXPIRE', KEYS[2], ARGV[2]) == 1 then
        local counted = hit(KEYS[1], window)
        return {1, counted[1], counted[2], counted[3]}
      end
      local counted = hit(KEYS[3], window)
      return {0, counted[1], counted[2], counted[3]}`,
  },
  /**
   * KEYS: the credential's counter, its proof, the address's counter. ARGV: window ms, proof ms, the window of
   * the address's charge to refund ('' for none: only that window's count goes down, never a later one's).
   */
  pastoralRateLimitProve: {
    numberOfKeys: 3,
    lua: `${HIT}
      redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
      if ARGV[3] ~= '' and redis.call('HGET', KEYS[3], 'w') == ARGV[3] then
        redis.call('HINCRBY', KEYS[3], 'n', -1)
      end
      return hit(KEYS[1], tonumber(ARGV[1]))`,
  },
};

type Reply = [number, number, string];
type ScriptCommands = {
  pastoralRateLimitHit(key: string, windowMs: number): Promise<Reply>;
  pastoralRateLimitCredential(
    credential: string,
    proof: string,
    address: string,
    windowMs: number,
    provedMs: number,
  ): Promise<[number, ...Reply]>;
  pastoralRateLimitProve(
    credential: string,
    proof: string,
    address: string,
    windowMs: number,
    provedMs: number,
    refundWindow: string,
  ): Promise<Reply>;
};

/** ioredis's states in which it has no connection to send a command on (not 'wait': that connects on demand). */
const DISCONNECTED = new Set(['reconnecting', 'close', 'end']);

/** While Redis is away, how often it is asked (by a PING of its own, not a request's) whether it is back. */
export const REDIS_RETRY_MS = 1_000;

export interface SharedCounters extends RateLimitCounters {
  /** Requests counted in this process because Redis did not answer. */
  inProcessCount(): number;
  /** Stops asking whether Redis is back. */
  close(): void;
}

/**
 * Counters in Redis under `prefix`, shared by every process and host using it. A command that fails marks Redis
 * away: from then on `fallback` counts, without a request waiting for Redis, until a PING answers. `onOutage` is
 * told once per outage, not per request.
 */
export function redisCounters(
  redis: Redis,
  prefix: string,
  { windowMs, provedMs }: CounterSettings,
  fallback: RateLimitCounters,
  onOutage: (error: unknown) => void,
): SharedCounters {
  for (const [name, definition] of Object.entries(SCRIPTS)) {
    // ioredis sends EVALSHA, and the script itself only when Redis does not have it yet.
    if (!(name in redis)) redis.defineCommand(name, definition);
  }
  const scripts = redis as unknown as ScriptCommands;
  const proof = (credential: string) => `${prefix}proved:${credential}`;
  const counted = ([count, resetInMs, window]: Reply): WindowCount => ({ count, resetInMs, window });

  let away = false;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let inProcess = 0;

  function askAgainLater() {
    retry = setTimeout(() => {
      redis.ping().then(
        () => void (away = false),
        () => void (closed || askAgainLater()),
      );
    }, REDIS_RETRY_MS);
    retry.unref();
  }

  async function shared<Result>(viaRedis: () => Promise<Result>, inThisProcess: () => Promise<Result>) {
    // A connection ioredis knows to be down would only queue the command until its retries give up.
    if (!away && !DISCONNECTED.has(redis.status)) {
      try {
        return await viaRedis();
      } catch (error) {
        // Requests already waiting on Redis fail here too: the first marks the outage, and only it is told.
        if (!away && !closed) {
          away = true;
          onOutage(error);
          askAgainLater();
        }
      }
    }
    inProcess += 1;
    return inThisProcess();
  }

  return {
    hit: (key) =>
      shared(
        async () => counted(await scripts.pastoralRateLimitHit(prefix + key, windowMs)),
        () => fallback.hit(key),
      ),
    hitCredential: (credential, address) =>
      shared(
        async () => {
          const [proved, ...reply] = await scripts.pastoralRateLimitCredential(
            prefix + credential,
            proof(credential),
            prefix + address,
            windowMs,
            provedMs,
          );
          return proved === 1 ? { proved: true, count: counted(reply) } : { proved: false, address: counted(reply) };
        },
        () => fallback.hitCredential(credential, address),
      ),
    prove: (credential, refund) =>
      shared(
        async () =>
          counted(
            await scripts.pastoralRateLimitProve(
              prefix + credential,
              proof(credential),
              prefix + (refund?.key ?? credential),
              windowMs,
              provedMs,
              refund?.window ?? '',
            ),
          ),
        () => fallback.prove(credential, refund),
      ),
    inProcessCount: () => inProcess,
    close() {
      closed = true;
      clearTimeout(retry);
    },
  };
}
