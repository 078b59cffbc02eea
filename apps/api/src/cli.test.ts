/**
 * The CLI as a user runs it, its exit code and exactly what it prints: in-process (runCommand), with the
 * environment a bare shell would give it.
 */
import { toTimestamp } from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { prepareDemoDatabase } from './commands/start.ts';
import { createLogger } from './logger.ts';
import { buildJobLease } from './testing/factories.ts';
import { bufferedIo, runCommand as pastoral } from './testing/run-command.ts';

/** A stack trace shows as indented `at …` lines. */
const STACK_FRAME = /^\s+at /m;

describe('pastoral CLI: mistakes are one clear line', () => {
  it('names the allowed profiles for an unknown one', async () => {
    const result = await pastoral(['seed', '--profile', 'galaxy']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'galaxy' is invalid. Allowed choices are demo, district.");
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('reports an unreachable database in one line, with a non-zero exit', async () => {
    const result = await pastoral(['migrate'], { DATABASE_URL: 'mysql://root@127.0.0.1:1/pastoral' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      'error: Cannot reach the database at 127.0.0.1:1 (connection refused): is MySQL running, and is DATABASE_URL right?',
    );
  });

  if (process.env.TEST_MYSQL_URL) {
    it('says how to create a database that does not exist', async () => {
      const server = new URL(process.env.TEST_MYSQL_URL!);
      server.pathname = '/pastoral_no_such_database';
      const result = await pastoral(['migrate'], { DATABASE_URL: server.toString() });
      expect(result.code).toBe(1);
      expect(result.stderr.trim()).toBe(
        "error: Unknown database 'pastoral_no_such_database': create it first (CREATE DATABASE …), or fix the name in DATABASE_URL.",
      );
    });
  }

  it('reports a DATABASE_URL it cannot use', async () => {
    const result = await pastoral(['migrate'], { DATABASE_URL: 'postgres://u:secret@h/db' });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'error: Invalid configuration: DATABASE_URL: DATABASE_URL scheme "postgres:" is not supported',
    );
    expect(result.stderr).not.toContain('secret');
    expect(result.stderr).not.toMatch(STACK_FRAME);
  });

  it('refuses a bad --seed and a bad --as-of with what to type instead', async () => {
    const seed = await pastoral(['seed', '--profile', 'demo', '--seed', 'abc']);
    expect(seed.code).toBe(2);
    expect(seed.stderr).toContain('expected a whole number of at least 1.');
    const asOf = await pastoral(['seed', '--profile', 'demo', '--as-of', '2026-02-30']);
    expect(asOf.code).toBe(2);
    expect(asOf.stderr).toContain('expected a date as YYYY-MM-DD.');
  });

  it('documents each command with --help', async () => {
    const result = await pastoral(['seed', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('--profile <name>');
    expect(result.stdout).toContain('--reset');
  });
});

for (const engine of testEngines()) {
  describe(`pastoral CLI on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase({ migrate: false });
    });
    afterAll(() => database.drop());

    // Three steps on one database, each its own test so that each has the whole timeout on a loaded machine.
    it('refuses to seed before migrating, then migrates', async () => {
      const env = { DATABASE_URL: database.url };
      const early = await pastoral(['seed', '--profile', 'demo'], env);
      expect(early.code).toBe(1);
      expect(early.stderr.trim()).toBe('error: The database has no schema yet: run `pnpm pastoral migrate` first.');

      const migrate = await pastoral(['migrate'], env);
      expect(migrate.code).toBe(0);
      expect(migrate.stdout).toContain('applied  20261130100000_tenancy');
      expect((await pastoral(['migrate'], env)).stdout.trim()).toBe('The schema is up to date.');
    });

    it('seeds, then refuses to seed again', async () => {
      const env = { DATABASE_URL: database.url };
      const seed = await pastoral(['seed', '--profile', 'demo', '--seed', '5', '--as-of', '2026-11-30'], env);
      expect(seed.code).toBe(0);
      expect(seed.stdout).toMatch(/schools\s+2 rows/);
      expect(seed.stdout).toMatch(/students\s+300 rows/);
      expect(seed.stdout).toContain('form.master@s01.pastoral.example');
      // Not a terminal: progress comes as plain lines on stderr.
      expect(seed.stderr).toContain('loaded audit_log: 12,000 rows');

      const again = await pastoral(['seed', '--profile', 'demo'], env);
      expect(again.code).toBe(1);
      expect(again.stderr.trim()).toBe(
        'error: The database already holds data (2 schools): seed into an empty database, or add --reset to drop and recreate every table first.',
      );
    });

    it('seeds over its data with --reset', async () => {
      const reset = await pastoral(['seed', '--profile', 'demo', '--reset'], { DATABASE_URL: database.url });
      expect(reset.code).toBe(0);
    });

    it('rebuilds corrupted summary counts, which the doctor then finds exact', async () => {
      const env = { DATABASE_URL: database.url };
      await database.handle.db
        .updateTable('summary_counts')
        .set({ count: 999 })
        .where('scope_kind', '=', 'school')
        .where('metric', '=', 'alerts')
        .execute();
      expect((await pastoral(['doctor'], env)).stdout).toMatch(/^FAIL +summary counts exact +\d+ summary rows differ/m);
      const rebuild = await pastoral(['summaries', 'rebuild'], env);
      expect(rebuild.code).toBe(0);
      expect(rebuild.stdout).toMatch(/^Rebuilt the summaries of 2 schools: [\d,]+ rows in /);
      expect((await pastoral(['doctor'], env)).stdout).toMatch(
        /^PASS +summary counts exact +every summary row of 2 schools/m,
      );
    });

    it('archives old audit entries and still verifies the whole chain', async () => {
      const env = { DATABASE_URL: database.url };
      const before = await pastoral(['audit', 'verify'], env);
      expect(before.code).toBe(0);
      expect(before.stdout).toMatch(/^The audit chain verifies: [\d,]+ entries/);
      const total = before.stdout.match(/verifies: ([\d,]+) entries/)?.[1];

      // Another process holds the archival lease: this one says so and waits its turn.
      const { db } = database.handle;
      const expiresAt = toTimestamp(new Date(Date.now() + 60_000));
      // The seed's own archival left its lease behind, ended.
      await db.deleteFrom('job_leases').execute();
      await buildJobLease(db, { job: 'audit.archive', holder: 'api-2:4242', expires_at: expiresAt });
      const busy = await pastoral(['audit', 'archive'], env);
      expect(busy.code).toBe(1);
      expect(busy.stderr.trim()).toBe(
        `error: Another process is archiving the audit log (api-2:4242, its lease runs to ${expiresAt} UTC): let it finish, or if it was killed, run this again once the lease has run out.`,
      );
      await db.deleteFrom('job_leases').execute();

      const archive = await pastoral(['audit', 'archive', '--older-than', '30d', '--batch', '500'], env);
      expect(archive.code).toBe(0);
      const moved = Number(archive.stdout.match(/^Archived ([\d,]+) entries/)?.[1]?.replaceAll(',', ''));
      expect(moved).toBeGreaterThan(0);

      const after = await pastoral(['audit', 'verify'], env);
      expect(after.code).toBe(0);
      expect(after.stdout).toContain(`verifies: ${total} entries`);

      // Every statement logged as slow: the log goes to stderr, and stdout stays pure NDJSON.
      const exported = await pastoral(['audit', 'export', '--from', '2000-01-01', '--to', '2099-12-31'], {
        ...env,
        SLOW_QUERY_MS: '0',
      });
      expect(exported.code).toBe(0);
      expect(exported.stderr).toContain('"msg":"slow query"');
      expect(
        exported.stdout
          .trimEnd()
          .split('\n')
          .every((line) => 'seq' in JSON.parse(line)),
      ).toBe(true);
      expect(exported.stdout.trimEnd().split('\n').length.toLocaleString('en-GB')).toBe(total);
      const backwards = await pastoral(['audit', 'export', '--from', '2026-02-01', '--to', '2026-01-01'], env);
      expect(backwards.stderr.trim()).toBe('error: --to is before --from: give the earlier day to --from.');

      const bad = await pastoral(['audit', 'archive', '--older-than', '3 months'], env);
      expect(bad.code).toBe(1);
      expect(bad.stderr.trim()).toBe('error: --older-than takes a number of days such as 90d.');

      // Retention: a purge into the live log is refused; one before the archival cut-off goes, and is audited.
      const day = (daysAgo: number) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
      const tooRecent = await pastoral(['audit', 'purge', '--before', day(5)], env);
      expect(tooRecent.code).toBe(1);
      expect(tooRecent.stderr).toMatch(/^error: Entries before .* are still in the live log .* or pass --force\.\n$/);
      const purge = await pastoral(['audit', 'purge', '--before', day(60), '--batch', '500'], env);
      expect(purge.code).toBe(0);
      const purged = purge.stdout.match(
        /^Purged ([\d,]+) entries before .* from [\d,]+ chains in .*; kept [\d,]+ disclosure entries of students still on record\.$/m,
      );
      expect(purged).not.toBeNull();
      // A line per chain cut, saying where it now verifies from.
      expect(purge.stdout).toMatch(
        /^ {2}School 1's chain: entries 1 to [\d,]+ purged; it now verifies from entry [\d,]+\.$/m,
      );
      expect(purge.stdout).toMatch(/^Deleted [\d,]+ views of students' records of days before \d{4}-\d{2}-\d{2}\.$/m);
      const remaining = await pastoral(['audit', 'verify'], env);
      expect(remaining.code).toBe(0);
      const count = (text: string | undefined) => Number(text?.replaceAll(',', ''));
      // Every purged entry left the chain; the purge added its own entry.
      expect(count(remaining.stdout.match(/verifies: ([\d,]+) entries/)?.[1])).toBe(
        count(total) -
          count(purged![1]) -
          Number(purge.stdout.match(/kept ([\d,]+) disclosure/)![1]!.replaceAll(',', '')) +
          1,
      );
    });
  });

  describe(`the Quick Start's demo database on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase({ migrate: false });
    });
    afterAll(() => database.drop());

    it('passes its own doctor, as `pnpm start` leaves it', async () => {
      const env = { DATABASE_URL: database.url };
      const { io, stdout: said } = bufferedIo(env);
      await prepareDemoDatabase(io, loadConfig(env), createLogger({ logLevel: 'silent' }));
      expect(said()).toContain('The database is empty: seeding the demo profile…');

      const doctor = await pastoral(['doctor'], env);
      expect(doctor.stdout).not.toMatch(/^FAIL/m);
      expect(doctor.stdout).toMatch(/, 0 failed\.$/m);
      expect(doctor.code).toBe(0);
      // Three years of seeded history, archived as the nightly job would have, not left in the live log; no
      // schedule is set, which the doctor still points out.
      expect(said()).toMatch(/^Archived the [\d,]+ audit entries older than 90 days/m);
      expect(doctor.stdout).toMatch(/^WARN +audit archival running .* AUDIT_ARCHIVE_SCHEDULE is not set$/m);
    });
  });
}
