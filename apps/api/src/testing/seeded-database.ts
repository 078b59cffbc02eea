/** A fresh test database holding the demo profile (2 schools), as every test that reads realistic data needs. */
import type { TestDatabase, TestEngine } from '@pastoral/db/testing';
import { SEED_PROFILES } from '../seed/profiles.ts';
import { seedDatabase } from '../seed/seed.ts';

/** The as-of date of every seeded test database: the data's "today". */
export const SEED_AS_OF = new Date('2026-11-30T00:00:00Z');
/** The seeded staff's password. */
export const DEMO_PASSWORD = 'pastoral-demo';

/** A new database on `engine`, seeded with the demo profile from random seed `seed`. */
export async function createSeededDatabase(engine: TestEngine, seed: number): Promise<TestDatabase> {
  const database = await engine.createDatabase();
  await seedDatabase(database.handle, {
    profile: SEED_PROFILES.demo,
    seed,
    asOf: SEED_AS_OF,
    password: 'pastoral-demo',
  });
  return database;
}
