/**
 * Cache invalidations between API processes on any number of hosts, over Redis pub/sub. Each process keeps its
 * own copies (sessions); when one ends a session, every process forgets its copy within milliseconds. While
 * Redis is down a message is lost, not waited for: the copies then end by their TTL, and nothing else depends
 * on Redis being up.
 */
import type { Redis } from 'ioredis';
import type { CachePeers } from './modules/dashboard/dashboard.cache.ts';

export interface RedisCachePeers extends CachePeers {
  /** Closes the subscribing connection. */
  close(): Promise<void>;
}

export function redisCachePeers(redis: Redis, channel: string, onError: (error: unknown) => void): RedisCachePeers {
  const name = `pastoral:cache-invalidate:${channel}`;
  // A subscribed connection can do nothing else, so it is a second one.
  let subscriber: Redis | null = null;
  return {
    async publish(scopes) {
      await redis.publish(name, JSON.stringify(scopes)).catch(onError);
    },
    subscribe(apply) {
      // No command timeout here: a subscription waits for messages as long as it lives.
      subscriber = redis.duplicate({ commandTimeout: undefined });
      // Errors of the connection itself are the main connection's to report (it reconnects the same way).
      subscriber.on('error', () => undefined);
      subscriber.on('message', (from: string, message: string) => {
        if (from !== name) return;
        try {
          const scopes: unknown = JSON.parse(message);
          if (Array.isArray(scopes)) apply(scopes.filter((scope): scope is string => typeof scope === 'string'));
        } catch (error) {
          onError(error);
        }
      });
      // ioredis subscribes again by itself after a reconnect.
      subscriber.subscribe(name).catch(onError);
    },
    async close() {
      subscriber?.disconnect();
    },
  };
}
