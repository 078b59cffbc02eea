/** Loads a seed profile into an empty, migrated database, as fast as the engine takes it. */
import type { DatabaseHandle, TableName } from '@pastoral/db';
import { sql } from 'kysely';
import { hashPassword } from '../modules/auth/password.ts';
import { rebuildSchoolSummaries, summarisedSchoolIds } from '../modules/summaries/summary.repository.ts';
import { generateSeedData } from './generate.ts';
import type { TableData } from './tables.ts';
import { WELL_KNOWN_ACCOUNTS, type WellKnownAccount } from './well-known-accounts.ts';
import type { SeedProfile } from './profiles.ts';

export interface SeedOptions {
  profile: SeedProfile;
  seed: number;
  asOf: Date;
  password: string;
  /** How MySQL loads rows: LOAD DATA where the server allows it (auto), or multi-row INSERT (the baseline). */
  bulkMethod?: 'auto' | 'insert';
  /** Called as rows land: a table's running count against its total. */
  onProgress?: (event: SeedProgress) => void;
}

export type SeedProgress =
  | { phase: 'hashing' | 'generating' }
  | { phase: 'loading'; table: TableName; loaded: number; total: number }
  | { phase: 'loaded'; table: TableName; rows: number; ms: number };

export interface SeedSummary {
  tables: { table: TableName; rows: number; ms: number }[];
  generateMs: number;
  totalMs: number;
  wellKnownClassroom: string;
}

/** A mistake of the person running the seed: reported as one line, never as a stack trace. */
export class SeedError extends Error {
  override name = 'SeedError';
}

export async function seedDatabase(handle: DatabaseHandle, options: SeedOptions): Promise<SeedSummary> {
  const started = performance.now();
  await assertReadyForSeed(handle);

  options.onProgress?.({ phase: 'hashing' });
  const wellKnown = Object.fromEntries(
    await Promise.all(
      Object.keys(WELL_KNOWN_ACCOUNTS).map(async (email) => [email, await hashPassword(options.password)] as const),
    ),
  ) as Record<WellKnownAccount, string>;
  // Every other generated account shares one hash: 2,000 argon2id hashes would add a minute to the seed.
  const shared = await hashPassword(options.password);

  options.onProgress?.({ phase: 'generating' });
  const generateStarted = performance.now();
  const data = generateSeedData({
    profile: options.profile,
    seed: options.seed,
    asOf: options.asOf,
    passwordHashes: { wellKnown, shared },
  });
  const generateMs = performance.now() - generateStarted;

  const loaded: SeedSummary['tables'] = [];
  const load = async (tableData: TableData) => {
    const tableStarted = performance.now();
    const rows = await handle.dialect.bulkInsert(tableData.table, tableData.columns, withProgress(tableData, options), {
      trusted: true,
      method: options.bulkMethod ?? 'auto',
    });
    const ms = performance.now() - tableStarted;
    loaded.push({ table: tableData.table, rows, ms });
    options.onProgress?.({ phase: 'loaded', table: tableData.table, rows, ms });
  };

  if (handle.engine === 'mysql') {
    // Two lanes: attendance (the largest table by far) streams on its own connection while everything else
    // loads on another; the server's second core does the work of the second lane.
    const [big, rest] = partition(data.tables, (table) => table.table === 'attendance_records');
    await Promise.all([
      (async () => {
        for (const table of big) await load(table);
      })(),
      (async () => {
        for (const table of rest) await load(table);
      })(),
    ]);
  } else {
    // SQLite has one writer: load in foreign-key order.
    for (const table of data.tables) await load(table);
  }

  if (data.chainHeads.length > 0) await handle.db.insertInto('audit_chain_head').values(data.chainHeads).execute();
  // MariaDB numbers new entries from a sequence (audit-chain.append.ts): past the seeded ones.
  if (handle.engine === 'mysql') await sql`select setval(audit_log_seq, ${data.lastSeq})`.execute(handle.db);
  if (handle.engine === 'mysql') {
    // The trusted load paused the summary triggers (BulkInsertOptions.trusted): count the summaries once.
    for (const schoolId of await summarisedSchoolIds(handle.db)) await rebuildSchoolSummaries(handle.db, schoolId);
    // Fresh statistics, so the optimizer plans the first queries against the real row counts.
    for (const table of data.tables) await sql`analyze table ${sql.table(table.table)}`.execute(handle.db);
  } else {
    await sql`analyze`.execute(handle.db);
  }

  return {
    tables: data.tables.map((t) => loaded.find((l) => l.table === t.table)!),
    generateMs,
    totalMs: performance.now() - started,
    wellKnownClassroom: data.wellKnownClassroom,
  };
}

/** The schema must exist and hold no data yet: seeding never mixes with real records. */
export async function assertReadyForSeed(handle: DatabaseHandle): Promise<void> {
  const tables = await handle.db.introspection.getTables();
  if (!tables.some((table) => table.name === 'schools')) {
    throw new SeedError('The database has no schema yet: run `pnpm pastoral migrate` first.');
  }
  const existing = await handle.db
    .selectFrom('schools')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  if (Number(existing.count) > 0) {
    throw new SeedError(
      `The database already holds data (${existing.count} schools): seed into an empty database, or add --reset to ` +
        'drop and recreate every table first.',
    );
  }
}

function* withProgress(tableData: TableData, options: SeedOptions): Generator<(string | number | null)[]> {
  let loaded = 0;
  const step = Math.max(1, Math.floor(tableData.count / 100));
  for (const row of tableData.rows()) {
    yield row;
    loaded++;
    if (loaded % step === 0) {
      options.onProgress?.({ phase: 'loading', table: tableData.table, loaded, total: tableData.count });
    }
  }
}

function partition<T>(items: T[], predicate: (item: T) => boolean): [T[], T[]] {
  return [items.filter(predicate), items.filter((item) => !predicate(item))];
}
