import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/** Schools, terms, classrooms, staff and their classroom assignments, students. */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);

  await createTable(db, 'schools', (table) =>
    table
      .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
      .addColumn('code', 'varchar(16)', (c) => c.notNull())
      .addColumn('name', 'varchar(200)', (c) => c.notNull())
      .addColumn('locale', 'varchar(35)', (c) => c.notNull().defaultTo('en-GB'))
      .addColumn('time_zone', 'varchar(64)', (c) => c.notNull().defaultTo('Europe/London'))
      .addColumn('created_at', t.timestamp, (c) => c.notNull())
      .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
  );
  await createIndexes(db, 'schools', [{ name: 'schools_code_key', columns: ['code'], unique: true }]);

  await createTable(db, 'academic_terms', (table) =>
    table
      .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
      .addColumn('code', 'varchar(16)', (c) => c.notNull())
      .addColumn('name', 'varchar(100)', (c) => c.notNull())
      .addColumn('starts_on', t.date, (c) => c.notNull())
      .addColumn('ends_on', t.date, (c) => c.notNull()),
  );
  await createIndexes(db, 'academic_terms', [
    { name: 'academic_terms_code_key', columns: ['code'], unique: true },
    { name: 'academic_terms_starts_on_idx', columns: ['starts_on'] },
  ]);

  await createTable(
    db,
    'classrooms',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('name', 'varchar(50)', (c) => c.notNull())
        .addColumn('year_group', t.tinyInt, (c) => c.notNull())
        .addColumn('is_active', t.flag, (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
    { foreignKeys: [['school_id', 'schools.id']] },
  );
  await createIndexes(db, 'classrooms', [
    { name: 'classrooms_school_name_key', columns: ['school_id', 'name'], unique: true },
    { name: 'classrooms_school_year_idx', columns: ['school_id', 'year_group', 'name'] },
  ]);

  await createTable(
    db,
    'users',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref)
        .addColumn('email', 'varchar(254)', (c) => c.notNull())
        .addColumn('full_name', 'varchar(200)', (c) => c.notNull())
        .addColumn('role', 'varchar(20)', (c) => c.notNull())
        .addColumn('can_view_restricted', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('password_hash', 'varchar(255)')
        .addColumn('is_active', t.flag, (c) => c.notNull().defaultTo(1))
        .addColumn('last_sign_in_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
    { foreignKeys: [['school_id', 'schools.id']] },
  );
  await createIndexes(db, 'users', [
    { name: 'users_email_key', columns: ['email'], unique: true },
    { name: 'users_school_role_idx', columns: ['school_id', 'role', 'full_name'] },
  ]);

  await createTable(
    db,
    'classroom_assignments',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('classroom_id', t.ref, (c) => c.notNull())
        .addColumn('user_id', t.ref, (c) => c.notNull())
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('created_at', t.timestamp, (c) => c.notNull()),
    {
      foreignKeys: [
        ['school_id', 'schools.id'],
        ['classroom_id', 'classrooms.id', 'cascade'],
        ['user_id', 'users.id', 'cascade'],
      ],
    },
  );
  await createIndexes(db, 'classroom_assignments', [
    { name: 'classroom_assignments_classroom_user_key', columns: ['classroom_id', 'user_id'], unique: true },
    // A form master's classrooms: the first lookup of every request they make.
    { name: 'classroom_assignments_user_idx', columns: ['user_id', 'classroom_id'] },
  ]);

  await createTable(
    db,
    'students',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('classroom_id', t.ref, (c) => c.notNull())
        .addColumn('external_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('given_name', 'varchar(100)', (c) => c.notNull())
        .addColumn('family_name', 'varchar(100)', (c) => c.notNull())
        .addColumn('full_name', 'varchar(200)', (c) => c.notNull())
        .addColumn('date_of_birth', t.date)
        .addColumn('year_group', t.tinyInt, (c) => c.notNull())
        .addColumn('is_active', t.flag, (c) => c.notNull().defaultTo(1))
        .addColumn('enrolled_on', t.date, (c) => c.notNull())
        .addColumn('left_on', t.date)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
    {
      foreignKeys: [
        ['school_id', 'schools.id'],
        ['classroom_id', 'classrooms.id'],
      ],
    },
  );
  await createIndexes(db, 'students', [
    // The source document's roster index: a classroom's active students.
    { name: 'students_classroom_active_idx', columns: ['classroom_id', 'is_active'] },
    // Integrators upsert by the information system's id, per school.
    { name: 'students_school_external_key', columns: ['school_id', 'external_id'], unique: true },
    // School-wide lists ordered by name (keyset on name + id) and name-prefix search.
    { name: 'students_school_name_idx', columns: ['school_id', 'family_name', 'given_name', 'id'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['students', 'classroom_assignments', 'users', 'classrooms', 'academic_terms', 'schools']);
}
