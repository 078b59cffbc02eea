/**
 * Reference data that no request changes (classrooms, academic terms) and most requests read: each process
 * keeps what it read for REFERENCE_CACHE_TTL_S (60 s by default). Imports and administrators change it outside
 * the API, and every process sees such a change within the TTL. Nothing here decides who may see what: a
 * classroom is read through a student the viewer was already allowed to see.
 *
 * Why: a statement costs far more than its SQL on these machines (a round trip wakes MariaDB's thread and then
 * the API's). A student's classroom was one statement in seven under the load test's mix, and a form master's
 * roster cost MariaDB 0.12 ms of CPU more for it (measured one operation at a time, from /proc).
 */

export interface ReferenceCacheSettings {
  /** How long a row read is kept; 0: every read goes to the database. */
  ttlSeconds: number;
  maxEntries: number;
}

export interface ReferenceCacheStats {
  hits: number;
  misses: number;
}

export class ReferenceCache {
  /** In insertion order: a full cache drops its oldest entry. */
  readonly #entries = new Map<string, { value: unknown; until: number }>();
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  #hits = 0;
  #misses = 0;

  constructor({ ttlSeconds, maxEntries }: ReferenceCacheSettings) {
    this.#ttlMs = ttlSeconds * 1000;
    this.#maxEntries = maxEntries;
  }

  /**
   * Rows of `kind` by key: those kept are used as they are, the others read with one call of `fetch` and kept.
   * `keyString` names a key, and `rowKey` the key of a row, alike. The rows are shared by every request of the
   * process, so they are frozen.
   */
  async rowsByKey<Key, Row>(
    kind: string,
    keys: readonly Key[],
    { keyString, rowKey }: { keyString: (key: Key) => string; rowKey: (row: Row) => string },
    fetch: (keys: readonly Key[]) => Promise<Row[]>,
  ): Promise<Row[]> {
    if (this.#ttlMs === 0) return fetch(keys);
    const now = Date.now();
    const rows: Row[] = [];
    const missing: Key[] = [];
    for (const key of keys) {
      const entry = this.#entries.get(`${kind}:${keyString(key)}`);
      if (entry && entry.until > now) rows.push(entry.value as Row);
      else missing.push(key);
    }
    this.#hits += rows.length;
    this.#misses += missing.length;
    if (missing.length > 0) {
      for (const row of await fetch(missing)) rows.push(this.#keep(`${kind}:${rowKey(row)}`, row, now));
    }
    return rows;
  }

  /** The value kept under `key`, or `fetch()` kept there and returned. */
  async value<T>(key: string, fetch: () => Promise<T>): Promise<T> {
    if (this.#ttlMs === 0) return fetch();
    const now = Date.now();
    const entry = this.#entries.get(key);
    if (entry && entry.until > now) {
      this.#hits += 1;
      return entry.value as T;
    }
    this.#misses += 1;
    return this.#keep(key, await fetch(), now);
  }

  stats(): ReferenceCacheStats {
    return { hits: this.#hits, misses: this.#misses };
  }

  #keep<T>(key: string, value: T, now: number): T {
    const frozen = typeof value === 'object' && value !== null ? Object.freeze(value) : value;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
    this.#entries.set(key, { value: frozen, until: now + this.#ttlMs });
    return frozen;
  }
}
