import { type Kysely, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { TABLE_COLUMNS } from './columns.ts';
import { migrateDown, migrateToLatest, migrationStatus } from './migrate.ts';
import type { Database } from './schema.ts';
import { buildAlert, buildStudent, buildUser, MIGRATIONS_FOLDER, type TestDatabase, testEngines } from './testing.ts';

const ALL_TABLES = Object.keys(TABLE_COLUMNS);

async function tableNames(database: TestDatabase): Promise<string[]> {
  const tables = await database.handle.db.introspection.getTables();
  // audit_log_seq is MariaDB's SEQUENCE for the audit log's order, which Kysely lists as a table.
  return tables.map((table) => table.name).filter((name) => !name.startsWith('kysely_') && name !== 'audit_log_seq');
}

/** The stored procedures of the database (MySQL; SQLite has none). */
async function procedureNames(database: TestDatabase): Promise<string[]> {
  if (database.handle.dialect.engine !== 'mysql') return [];
  const { rows } = await sql<{ name: string }>`select routine_name as name from information_schema.routines
    where routine_schema = database() and routine_type = 'PROCEDURE'`.execute(database.handle.db);
  return rows.map((row) => row.name);
}

for (const engine of testEngines()) {
  describe(`migrations on ${engine.name}`, () => {
    let database: TestDatabase | undefined;
    afterEach(async () => {
      await database?.drop();
      database = undefined;
    });

    it('creates every table of the schema on an empty database, and nothing runs twice', async () => {
      database = await engine.createDatabase({ migrate: false });
      const first = await migrateToLatest(database.handle.db, MIGRATIONS_FOLDER);
      expect(first.results.map((r) => r.status)).toEqual(first.results.map(() => 'Success'));
      expect(first.results.length).toBeGreaterThanOrEqual(5);
      expect((await tableNames(database)).sort()).toEqual([...ALL_TABLES].sort());
      expect(await procedureNames(database)).toEqual(
        engine.name === 'mysql' ? ['append_audit_entries', 'append_audit_entry'] : [],
      );

      const second = await migrateToLatest(database.handle.db, MIGRATIONS_FOLDER);
      expect(second.results).toEqual([]);
      const status = await migrationStatus(database.handle.db, MIGRATIONS_FOLDER);
      expect(status.every((migration) => migration.executedAt !== null)).toBe(true);
    });

    it('reverts everything with down and comes back up', async () => {
      database = await engine.createDatabase();
      const down = await migrateDown(database.handle.db, MIGRATIONS_FOLDER, Infinity);
      expect(down.results.every((r) => r.direction === 'Down' && r.status === 'Success')).toBe(true);
      expect(await tableNames(database)).toEqual([]);
      expect(await procedureNames(database)).toEqual([]);

      const oneDown = await migrateToLatest(database.handle.db, MIGRATIONS_FOLDER);
      expect(oneDown.results.length).toBe(down.results.length);
      // Back to before the migration that put school_id into the key indexes: they get their columns back.
      const names = (await migrationStatus(database.handle.db, MIGRATIONS_FOLDER)).map((migration) => migration.name);
      const steps = names.length - names.indexOf('20261207090000_school_in_key_indexes');
      const lastSteps = await migrateDown(database.handle.db, MIGRATIONS_FOLDER, steps);
      expect(lastSteps.results).toHaveLength(steps);
      const indexes = await database.handle.dialect.listIndexes('alerts');
      expect(indexes.find((i) => i.name === 'alerts_student_status_idx')?.columns).toEqual([
        'student_id',
        'status',
        'alert_date',
      ]);
      expect(indexes.find((i) => i.name === 'alerts_assigned_status_idx')?.columns).toEqual([
        'assigned_to',
        'status',
        'alert_date',
      ]);
      expect(await tableNames(database)).toContain('job_leases');
      expect(await tableNames(database)).toContain('sessions');
      await migrateToLatest(database.handle.db, MIGRATIONS_FOLDER);
      expect((await tableNames(database)).sort()).toEqual([...ALL_TABLES].sort());
    });

    it('gives every session an id of its own when sessions get ids, ending none, and back', async () => {
      database = await engine.createDatabase();
      const { db } = database.handle;
      const names = (await migrationStatus(db, MIGRATIONS_FOLDER)).map((migration) => migration.name);
      const steps = names.length - names.indexOf('20261215090200_session_ids');
      await migrateDown(db, MIGRATIONS_FOLDER, steps);
      const user = await buildUser(db);
      const session = (letter: string, createdAt: string) => ({
        id_hash: letter.repeat(64),
        user_id: user.id,
        created_at: createdAt,
        last_seen_at: createdAt,
        expires_at: '2026-12-01 20:00:00.000',
        ip: '192.0.2.1',
        user_agent: 'a browser',
      });
      // Without an id column yet: inserted as the sessions of the day before the migration were.
      await (db as unknown as Kysely<{ sessions: ReturnType<typeof session> }>)
        .insertInto('sessions')
        .values([session('b', '2026-12-01 09:00:00.000'), session('a', '2026-12-01 08:00:00.000')])
        .execute();

      await migrateToLatest(db, MIGRATIONS_FOLDER);
      const rows = await db.selectFrom('sessions').select(['id', 'id_hash', 'user_agent']).orderBy('id').execute();
      // Numbered in the order they began.
      expect(rows.map((row) => [Number(row.id), row.id_hash[0], row.user_agent])).toEqual([
        [1, 'a', 'a browser'],
        [2, 'b', 'a browser'],
      ]);
      const indexes = await database.handle.dialect.listIndexes('sessions');
      expect(indexes.find((index) => index.name === 'sessions_id_hash_key')).toMatchObject({ columns: ['id_hash'] });
      await expect(
        db.insertInto('sessions').values(session('a', '2026-12-01 10:00:00.000')).execute(),
      ).rejects.toThrow();

      await migrateDown(db, MIGRATIONS_FOLDER, steps);
      const back = await sql<{ id_hash: string }>`select id_hash from sessions order by id_hash`.execute(db);
      expect(back.rows.map((row) => row.id_hash[0])).toEqual(['a', 'b']);
    });

    it('re-runs a migration whose DDL already ran but was never recorded (DDL is not transactional)', async () => {
      database = await engine.createDatabase();
      // As if the process died after the DDL but before the migrator recorded it.
      await sql`delete from kysely_migration`.execute(database.handle.db);
      const rerun = await migrateToLatest(database.handle.db, MIGRATIONS_FOLDER);
      expect(rerun.results.length).toBeGreaterThanOrEqual(5);
      expect(rerun.results.every((r) => r.status === 'Success')).toBe(true);
      const head = await database.handle.db.selectFrom('audit_chain_head').selectAll().execute();
      expect(head).toEqual([{ id: -1, seq: 0, hash: '0'.repeat(64) }]);
    });

    it("has the source document's four composite indexes, read back from the engine's catalog", async () => {
      database = await engine.createDatabase();
      const { dialect } = database.handle;
      const columnsOf = async (table: keyof Database, index: string) =>
        (await dialect.listIndexes(table)).find((i) => i.name === index)?.columns;
      // Each names the school after its key, as every statement on a school's table does (docs/SCALING.md).
      expect(await columnsOf('intervention_cases', 'cases_assigned_status_idx')).toEqual([
        'assigned_to',
        'school_id',
        'status',
        'created_at',
      ]);
      expect(await columnsOf('alerts', 'alerts_assigned_status_idx')).toEqual([
        'assigned_to',
        'school_id',
        'status',
        'alert_date',
      ]);
      expect(await columnsOf('students', 'students_classroom_active_idx')).toEqual([
        'classroom_id',
        'school_id',
        'is_active',
      ]);
      expect(await columnsOf('audit_log', 'audit_log_user_time_idx')).toEqual(['user_id', 'occurred_at', 'id']);
      const unique = (await dialect.listIndexes('alerts')).find((i) => i.name === 'alerts_student_open_indicator_key');
      expect(unique).toMatchObject({ unique: true, columns: ['student_id', 'open_indicator'] });
    });

    it('refuses a second open alert for the same student and indicator, but not a closed one', async () => {
      database = await engine.createDatabase();
      const { db } = database.handle;
      const student = await buildStudent(db);
      const alert = (status: string, openIndicator: string | null) =>
        buildAlert(db, { student_id: student.id, status, open_indicator: openIndicator });
      await alert('RESOLVED', null);
      await alert('NEW', 'ATTENDANCE');
      await expect(alert('NEW', 'ATTENDANCE')).rejects.toThrow();
      const count = await db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(count.n)).toBe(2);
    });

    if (engine.name === 'mysql') {
      it('partitions the audit log by year, with room for the next year and a catch-all', async () => {
        database = await engine.createDatabase();
        const partitions = await database.handle.dialect.listPartitions('audit_log');
        const year = new Date().getUTCFullYear();
        const names = partitions.map((p) => p.name);
        for (let y = year - 3; y <= year + 1; y++) expect(names).toContain(`p${y}`);
        expect(partitions.at(-1)).toEqual({ name: 'p_future', description: 'MAXVALUE' });
        const { rows } = await sql<{ collation: string; engine: string }>`
          select table_collation as collation, engine from information_schema.tables
          where table_schema = database() and table_name = 'students'`.execute(database.handle.db);
        expect(rows[0]).toEqual({ collation: 'utf8mb4_unicode_520_ci', engine: 'InnoDB' });
      });
    }
  });
}
