/** `pastoral doctor` finds what is wrong with a deployment, says how to fix it, and fails the command. */
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { migrationsFolder } from '../../database.ts';
import { runCommand as pastoral } from '../../testing/run-command.ts';
import { createSeededDatabase, SEED_AS_OF } from '../../testing/seeded-database.ts';
import { archiveOlderThan } from '../audit-log/audit.maintenance.ts';
import { type Check, runDoctor } from './doctor.ts';

const DAY_MS = 86_400_000;

describe.each(testEngines())('pastoral doctor on $name', (engine) => {
  let database: TestDatabase;
  const config = (environment: Record<string, string> = {}) =>
    loadConfig({ AUDIT_ARCHIVE_SCHEDULE: '0 2 * * *', ...environment });
  const doctor = (environment?: Record<string, string>) =>
    runDoctor(database.handle, config(environment), { migrationsFolder: migrationsFolder(), now: SEED_AS_OF });
  const check = (checks: Check[], name: string) => checks.find((candidate) => candidate.name === name)!;

  beforeAll(async () => {
    database = await createSeededDatabase(engine, 2);
  });
  afterAll(() => database?.drop());

  it('finds the live log unarchived, then passes every check once archival has run', async () => {
    const before = await doctor();
    expect(check(before, 'audit archival running')).toMatchObject({
      result: 'fail',
      fix: expect.stringContaining('AUDIT_ARCHIVE_SCHEDULE'),
    });

    await archiveOlderThan(database.handle.db, new Date(SEED_AS_OF.getTime() - 90 * DAY_MS), {
      batchSize: 5_000,
      now: SEED_AS_OF,
    });
    const checks = await doctor();
    // The server's own slow-query log is the server administrator's choice: a warning at worst.
    const failures = checks.filter((found) => found.result === 'fail');
    expect(failures).toEqual([]);
    expect(checks.map((found) => found.name)).toEqual(
      expect.arrayContaining([
        'database answers',
        'migrations current',
        'expected indexes',
        'pool against max_connections',
        'audit partitions ahead',
        'slow-query logging',
      ]),
    );
    expect(checks.filter((found) => found.name.startsWith('plan: ')).length).toBeGreaterThanOrEqual(5);
  });

  // The audit log's user index: no foreign key needs it, so it can be dropped on either engine.
  it('names a missing index, and the hot query whose plan lost it', async () => {
    const drop = sql.raw(
      engine.name === 'mysql'
        ? 'drop index audit_log_user_time_idx on audit_log'
        : 'drop index audit_log_user_time_idx',
    );
    await drop.execute(database.handle.db);
    try {
      const checks = await doctor();
      expect(check(checks, 'expected indexes')).toMatchObject({
        result: 'fail',
        detail: expect.stringContaining('audit_log.audit_log_user_time_idx (user_id, occurred_at, id)'),
      });
      expect(check(checks, "plan: a user's audit entries of the last 30 days")).toMatchObject({
        result: 'fail',
        detail: expect.stringContaining('expected audit_log_user_time_idx'),
      });
    } finally {
      await sql
        .raw('create index audit_log_user_time_idx on audit_log (user_id, occurred_at, id)')
        .execute(database.handle.db);
    }
  });

  it('names a summary row that differs from its full count', async () => {
    expect(check(await doctor(), 'summary counts exact')).toMatchObject({ result: 'pass' });
    const corrupt = (delta: number) =>
      database.handle.db
        .updateTable('summary_counts')
        .set((eb) => ({ count: eb('count', '+', delta) }))
        .where('scope_kind', '=', 'school')
        .where('metric', '=', 'students')
        .where('bucket', '=', '0')
        .execute();
    await corrupt(3);
    try {
      expect(check(await doctor(), 'summary counts exact')).toMatchObject({
        result: 'fail',
        detail: expect.stringMatching(
          /^2 summary rows differ from their full counts \(school \d+ school 0 students 0: /,
        ),
        fix: expect.stringContaining('pnpm pastoral summaries rebuild'),
      });
    } finally {
      await corrupt(-3);
    }
  });

  it('names a migration that has not run', async () => {
    const last = await database.handle.db
      .selectFrom('kysely_migration' as never)
      .select('name' as never)
      .orderBy('name' as never, 'desc')
      .executeTakeFirstOrThrow();
    const name = (last as { name: string }).name;
    await sql`delete from kysely_migration where name = ${name}`.execute(database.handle.db);
    try {
      expect(check(await doctor(), 'migrations current')).toMatchObject({
        result: 'fail',
        detail: `1 not run: ${name}`,
        fix: expect.stringContaining('pnpm pastoral migrate'),
      });
    } finally {
      await sql`insert into kysely_migration (name, timestamp) values (${name}, ${new Date().toISOString()})`.execute(
        database.handle.db,
      );
    }
  });

  // SQLite has one connection and no max_connections: there is nothing to compare there.
  if (engine.name === 'mysql') {
    it("fails a pool larger than the server's max_connections allows", async () => {
      const { rows } = await sql<{ Value: string }>`show variables like 'max_connections'`.execute(database.handle.db);
      const max = Number(rows[0]!.Value);
      const checks = await doctor({ DB_POOL_SIZE: String(max), DB_POOL_OVERFLOW: '0' });
      expect(check(checks, 'pool against max_connections')).toMatchObject({
        result: 'fail',
        fix: expect.stringContaining('max_connections'),
      });
    });
  }

  it('fails the command when a check fails, and passes it otherwise', async () => {
    // The command judges by today's date: partitions for this year and next, and entries older than a
    // retention that the seed's dates cannot outgrow.
    const env = {
      DATABASE_URL: database.url,
      AUDIT_ARCHIVE_SCHEDULE: '0 2 * * *',
      AUDIT_ARCHIVE_AFTER_DAYS: '36500',
      LOG_LEVEL: 'silent',
    };
    expect((await pastoral(['audit', 'partitions'], env)).code).toBe(0);
    const passed = await pastoral(['doctor'], env);
    expect(passed.code).toBe(0);
    expect(passed.stdout).toMatch(/^PASS +expected indexes/m);
    expect(passed.stdout).toMatch(/, 0 failed\.$/m);

    const failed = await pastoral(['doctor'], { ...env, AUDIT_ARCHIVE_AFTER_DAYS: '1' });
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^FAIL +audit archival running +the live log's oldest entry is \d+ days old/m);
    expect(failed.stdout).toMatch(/^ +fix: Set AUDIT_ARCHIVE_SCHEDULE/m);
  });
});
