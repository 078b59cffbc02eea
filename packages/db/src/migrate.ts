import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  type Kysely,
  type Migration,
  type MigrationProvider,
  type MigrationResult,
  Migrator,
  NO_MIGRATIONS,
} from 'kysely';

/** A migration file: `20261130100000_tenancy.ts` (or `.js` once built). */
const MIGRATION_FILE = /^\d{14}_[a-z0-9_]+\.(?:ts|js|mjs)$/;

/** Loads every timestamped migration file of a folder, in name order. */
export class FolderMigrationProvider implements MigrationProvider {
  constructor(private readonly folder: string) {}

  async getMigrations(): Promise<Record<string, Migration>> {
    const files = (await readdir(this.folder)).filter((file) => MIGRATION_FILE.test(file) && !file.endsWith('.d.ts'));
    const migrations: Record<string, Migration> = {};
    for (const file of files.sort()) {
      const module = (await import(pathToFileURL(join(this.folder, file)).href)) as Partial<Migration>;
      if (typeof module.up !== 'function') throw new Error(`Migration ${file} exports no up() function`);
      migrations[file.replace(/\.(?:ts|js|mjs)$/, '')] = module as Migration;
    }
    return migrations;
  }
}

export interface MigrationOutcome {
  /** Each migration run, in order, with its direction and status. */
  results: MigrationResult[];
}

export class MigrationFailedError extends Error {
  override name = 'MigrationFailedError';
  constructor(
    readonly migrationName: string | undefined,
    override readonly cause: unknown,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(migrationName ? `migration ${migrationName} failed: ${detail}` : `migrations failed: ${detail}`);
  }
}

function createMigrator(db: Kysely<any>, folder: string): Migrator {
  return new Migrator({ db, provider: new FolderMigrationProvider(folder) });
}

function unwrap(resultSet: { error?: unknown; results?: MigrationResult[] }): MigrationOutcome {
  if (resultSet.error) {
    const failed = resultSet.results?.find((result) => result.status === 'Error');
    throw new MigrationFailedError(failed?.migrationName, resultSet.error);
  }
  return { results: resultSet.results ?? [] };
}

/** Runs every pending migration. Safe to run again: what ran is recorded, and each migration is re-runnable. */
export async function migrateToLatest(db: Kysely<any>, folder: string): Promise<MigrationOutcome> {
  return unwrap(await createMigrator(db, folder).migrateToLatest());
}

/** Reverts the newest `steps` migrations (all of them with `Infinity`). */
export async function migrateDown(db: Kysely<any>, folder: string, steps = 1): Promise<MigrationOutcome> {
  const migrator = createMigrator(db, folder);
  if (steps === Infinity) return unwrap(await migrator.migrateTo(NO_MIGRATIONS));
  const results: MigrationResult[] = [];
  for (let step = 0; step < steps; step++) {
    const outcome = unwrap(await migrator.migrateDown());
    if (outcome.results.length === 0) break;
    results.push(...outcome.results);
  }
  return { results };
}

/** Every known migration and whether it has run. */
export async function migrationStatus(db: Kysely<any>, folder: string) {
  const migrations = await createMigrator(db, folder).getMigrations();
  return migrations.map((migration) => ({ name: migration.name, executedAt: migration.executedAt ?? null }));
}
