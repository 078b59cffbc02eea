/**
 * The building blocks of the per-request DataLoaders (each module's `*.loaders.ts`): one SQL statement per
 * batch of keys, values in key order, null for misses. A school's rows are keyed by SchoolKey (their school and
 * id) so that every statement names the schools it reads; the district's own rows (staff, schools, tokens) by id.
 */
import DataLoader from 'dataloader';
import type { Viewer } from './modules/auth/viewer.ts';
import { MAX_BATCH_SIZE } from './paging/nested.ts';
import type { ReferenceCache } from './reference-cache.ts';
import { type SchoolKey, schoolKeyOf, schoolKeyString } from './school-scope.ts';

/** How loaders batch: `batch: false` is the N+1 shape, kept only as the benchmark's naive baseline. */
export interface LoaderOptions {
  batch: boolean;
  /** The process's classrooms and terms; without one, every read goes to the database. */
  reference?: ReferenceCache;
  /** The request's clock, for rows that end by time (sessions); the wall clock without one. */
  now?: Date;
}

export const rowId = (row: { id: number }) => row.id;

/** One row per key, null for a miss; `name` tells two keys of the same row alike (a SchoolKey is an object). */
export function byKey<Key, Row>(
  fetch: (keys: readonly Key[]) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  { batch }: LoaderOptions,
  name: (key: Key) => unknown = (key) => key,
) {
  return new DataLoader<Key, Row | null, unknown>(
    async (keys) => {
      const rows = new Map((await fetch(keys)).map((row) => [name(keyOf(row)), row]));
      return keys.map((key) => rows.get(name(key)) ?? null);
    },
    { maxBatchSize: MAX_BATCH_SIZE, batch, cacheKeyFn: name },
  );
}

/**
 * byKey for a school's rows: keyed by school and id, so that the statement names the schools it reads. Ids are
 * unique across schools; a key whose school is not its row's finds nothing, as a missing row.
 */
export const bySchoolKey = <Row>(
  fetch: (keys: readonly SchoolKey[]) => Promise<Row[]>,
  keyOf: (row: Row) => SchoolKey,
  options: LoaderOptions,
) => byKey(fetch, keyOf, options, schoolKeyString);

/** bySchoolKey for the rows of each key: a list per key, empty for none. */
export function groupedBySchoolKey<Row>(
  fetch: (keys: readonly SchoolKey[]) => Promise<Row[]>,
  keyOf: (row: Row) => SchoolKey,
  { batch }: LoaderOptions,
) {
  return new DataLoader<SchoolKey, Row[], string>(
    async (keys) => {
      const groups = new Map<string, Row[]>();
      for (const row of await fetch(keys)) {
        const key = schoolKeyString(keyOf(row));
        const group = groups.get(key);
        if (group) group.push(row);
        else groups.set(key, [row]);
      }
      return keys.map((key) => groups.get(schoolKeyString(key)) ?? []);
    },
    { maxBatchSize: MAX_BATCH_SIZE, batch, cacheKeyFn: schoolKeyString },
  );
}

/** A school's rows by key through `reader`'s scope; with no reader (nobody may read the kind) none are found. */
export const visibleBySchoolKey = <Row extends { id: number; school_id: number | null }>(
  reader: Viewer | null,
  fetch: (viewer: Viewer, keys: readonly SchoolKey[]) => Promise<Row[]>,
  options: LoaderOptions,
) => bySchoolKey<Row>(async (keys) => (reader ? await fetch(reader, keys) : []), schoolKeyOf, options);

/** visibleBySchoolKey for the district's own rows, by id. */
export const visibleById = <Row extends { id: number }>(
  reader: Viewer | null,
  fetch: (viewer: Viewer, ids: readonly number[]) => Promise<Row[]>,
  options: LoaderOptions,
) => byKey<number, Row>(async (ids) => (reader ? await fetch(reader, ids) : []), rowId, options);
