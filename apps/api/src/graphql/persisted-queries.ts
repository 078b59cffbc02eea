/**
 * Automatic persisted queries: the web app sends a document's SHA-256 instead of its text, and its text only
 * the first time a server has not seen it. Apollo Server keeps what it has seen in its own in-memory LRU; with
 * REDIS_URL they live in Redis, so a document registered on one process or host is known to every other.
 * Documents are stored only after they parse and validate, so nothing invalid is ever kept.
 */
import type { KeyValueCache, KeyValueCacheSetOptions } from '@apollo/utils.keyvaluecache';
import type { Redis } from 'ioredis';

/** How long a persisted document is kept after it was last registered. */
export const PERSISTED_QUERY_TTL_SECONDS = 86_400;

/**
 * Apollo's cache interface over Redis. A failing Redis reads as a miss and keeps nothing: the client then sends
 * the text, and the request is served all the same.
 */
export class RedisKeyValueCache implements KeyValueCache<string> {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onError: (error: unknown) => void,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.redis.get(this.prefix + key)) ?? undefined;
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  async set(key: string, value: string, options?: KeyValueCacheSetOptions): Promise<void> {
    const ttl = options?.ttl ?? PERSISTED_QUERY_TTL_SECONDS;
    await this.redis.set(this.prefix + key, value, 'EX', Math.max(1, Math.round(ttl))).catch(this.onError);
  }

  async delete(key: string): Promise<boolean> {
    try {
      return (await this.redis.del(this.prefix + key)) > 0;
    } catch (error) {
      this.onError(error);
      return false;
    }
  }
}
