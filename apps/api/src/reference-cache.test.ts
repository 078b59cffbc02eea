/**
 * The reference cache: classrooms and the current term are read once per process and TTL, not once per request;
 * a classroom renamed outside the API shows once its entry has expired, and at once with the cache off.
 */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ReferenceCache } from './reference-cache.ts';

const byId = { keyString: String, rowKey: (row: { id: number }) => String(row.id) };
import { type ApiHarness, startApiHarness } from './testing/api-harness.ts';

const ROSTER = '{ students(first: 25) { nodes { fullName classroom { id name } } } }';
const readsClassrooms = (statements: string[]) => statements.filter((sql) => /from [`"]?classrooms/i.test(sql));

describe('ReferenceCache', () => {
  afterEach(() => vi.useRealTimers());

  it('reads only the ids it does not hold, and holds them until the TTL has passed', async () => {
    vi.useFakeTimers({ now: new Date('2026-11-30T12:00:00Z') });
    const cache = new ReferenceCache({ ttlSeconds: 60, maxEntries: 100 });
    const asked: number[][] = [];
    const fetch = async (ids: readonly number[]) => {
      asked.push([...ids]);
      return ids.filter((id) => id !== 404).map((id) => ({ id, name: `room ${id}` }));
    };
    expect((await cache.rowsByKey('classroom', [1, 2], byId, fetch)).map((row) => row.id)).toEqual([1, 2]);
    expect((await cache.rowsByKey('classroom', [2, 3, 404], byId, fetch)).map((row) => row.id).sort()).toEqual([2, 3]);
    // A missing row is not remembered as missing: it is asked for again.
    await cache.rowsByKey('classroom', [404], byId, fetch);
    expect(asked).toEqual([[1, 2], [3, 404], [404]]);
    expect(cache.stats()).toEqual({ hits: 1, misses: 5 });

    vi.advanceTimersByTime(60_001);
    await cache.rowsByKey('classroom', [1], byId, fetch);
    expect(asked.at(-1)).toEqual([1]);
  });

  it('shares frozen rows, drops the oldest entry when full, and reads through when its TTL is 0', async () => {
    const full = new ReferenceCache({ ttlSeconds: 60, maxEntries: 2 });
    let reads = 0;
    const fetch = async (ids: readonly number[]) => {
      reads += 1;
      return ids.map((id) => ({ id }));
    };
    const [row] = await full.rowsByKey('classroom', [1], byId, fetch);
    expect(Object.isFrozen(row)).toBe(true);
    await full.rowsByKey('classroom', [2], byId, fetch);
    await full.rowsByKey('classroom', [3], byId, fetch);
    await full.rowsByKey('classroom', [1], byId, fetch);
    expect(reads).toBe(4);

    const off = new ReferenceCache({ ttlSeconds: 0, maxEntries: 2 });
    const term = async () => {
      reads += 1;
      return 'T1';
    };
    await off.value('term:2026-11-30', term);
    await off.value('term:2026-11-30', term);
    expect(reads).toBe(6);
  });
});

describe.each(testEngines())('classrooms through the reference cache on $name', (engine) => {
  let cached: ApiHarness;
  let uncached: ApiHarness;
  beforeAll(async () => {
    cached = await startApiHarness(engine);
    uncached = await startApiHarness(engine, { environment: { REFERENCE_CACHE_TTL_S: '0' } });
  });
  afterAll(async () => {
    await cached?.close();
    await uncached?.close();
  });

  it("reads a roster's classrooms once, not at every request", async () => {
    const cookie = await cached.signIn('pastoral.lead@s01.pastoral.example');
    const first = await cached.graphql(ROSTER, {}, cookie);
    expect(readsClassrooms(first.statements)).toHaveLength(1);
    const second = await cached.graphql(ROSTER, {}, cookie);
    expect(second.body).toEqual(first.body);
    expect(readsClassrooms(second.statements)).toEqual([]);
  });

  it('shows a classroom renamed outside the API at once when the cache is off', async () => {
    const cookie = await uncached.signIn('form.master@s01.pastoral.example');
    type Roster = { students: { nodes: { classroom: { name: string } }[] } };
    const before = await uncached.graphql<Roster>(ROSTER, {}, cookie);
    const name = before.body.data!.students.nodes[0]!.classroom.name;
    await uncached.database.handle.db
      .updateTable('classrooms')
      .set({ name: `${name} (renamed)` })
      .where('name', '=', name)
      .where('school_id', '=', 1)
      .execute();
    const after = await uncached.graphql<Roster>(ROSTER, {}, cookie);
    expect(readsClassrooms(after.statements)).toHaveLength(1);
    expect(after.body.data!.students.nodes[0]!.classroom.name).toBe(`${name} (renamed)`);
  });
});
