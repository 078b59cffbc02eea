import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/** The ABC records behind risk (attendance, behaviour, coursework) and each student's risk profile. */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);

  await createTable(
    db,
    'risk_profiles',
    (table) =>
      table
        .addColumn('student_id', t.ref, (c) => c.primaryKey())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('level', t.tinyInt, (c) => c.notNull())
        .addColumn('attendance_level', t.tinyInt, (c) => c.notNull())
        .addColumn('behaviour_level', t.tinyInt, (c) => c.notNull())
        .addColumn('coursework_level', t.tinyInt, (c) => c.notNull())
        .addColumn('attendance_rate', t.double)
        .addColumn('attendance_days', t.smallInt, (c) => c.notNull())
        .addColumn('minor_incidents', t.smallInt, (c) => c.notNull())
        .addColumn('major_incidents', t.smallInt, (c) => c.notNull())
        .addColumn('suspensions', t.smallInt, (c) => c.notNull())
        .addColumn('failing_subjects', t.smallInt, (c) => c.notNull())
        .addColumn('failing_core_subjects', t.smallInt, (c) => c.notNull())
        .addColumn('reasons', t.text, (c) => c.notNull())
        .addColumn('rules_version', 'varchar(32)', (c) => c.notNull())
        .addColumn('computed_at', t.timestamp, (c) => c.notNull())
        .addColumn('previous_level', t.tinyInt)
        .addColumn('worsened_at', t.timestamp),
    { foreignKeys: [['student_id', 'students.id', 'cascade']] },
  );
  await createIndexes(db, 'risk_profiles', [
    // Students by risk level in a school (dashboards count it index-only; roster orders by it).
    { name: 'risk_profiles_school_level_idx', columns: ['school_id', 'level', 'student_id'] },
    // "Newly at risk this week".
    { name: 'risk_profiles_school_worsened_idx', columns: ['school_id', 'worsened_at'] },
  ]);

  // One row per student and school day: the natural key is the primary key, so a resent day upserts in place
  // and a student's last 30 days are one contiguous range of the clustered index.
  await createTable(
    db,
    'attendance_records',
    (table) =>
      table
        .addColumn('student_id', t.ref, (c) => c.notNull())
        .addColumn('date', t.date, (c) => c.notNull())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('recorded_at', t.timestamp, (c) => c.notNull())
        .addPrimaryKeyConstraint('attendance_records_pkey', ['student_id', 'date']),
    { foreignKeys: [['student_id', 'students.id', 'cascade']] },
  );
  await createIndexes(db, 'attendance_records', [
    // Set-based recomputation of a school's risk, and school attendance by day.
    { name: 'attendance_records_school_date_idx', columns: ['school_id', 'date'] },
  ]);

  await createTable(
    db,
    'behaviour_incidents',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('student_id', t.ref, (c) => c.notNull())
        .addColumn('external_id', 'varchar(64)', (c) => c.notNull())
        .addColumn('occurred_on', t.date, (c) => c.notNull())
        .addColumn('category', 'varchar(50)', (c) => c.notNull())
        .addColumn('severity', 'varchar(10)', (c) => c.notNull())
        .addColumn('suspension_days', t.smallInt, (c) => c.notNull().defaultTo(0))
        .addColumn('description', t.text)
        .addColumn('reported_by', t.ref)
        .addColumn('created_at', t.timestamp, (c) => c.notNull()),
    {
      foreignKeys: [
        ['student_id', 'students.id', 'cascade'],
        ['reported_by', 'users.id', 'set null'],
      ],
    },
  );
  await createIndexes(db, 'behaviour_incidents', [
    { name: 'behaviour_incidents_school_external_key', columns: ['school_id', 'external_id'], unique: true },
    { name: 'behaviour_incidents_student_date_idx', columns: ['student_id', 'occurred_on'] },
    { name: 'behaviour_incidents_school_date_idx', columns: ['school_id', 'occurred_on'] },
  ]);

  await createTable(
    db,
    'assessment_results',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('student_id', t.ref, (c) => c.notNull())
        .addColumn('subject', 'varchar(32)', (c) => c.notNull())
        .addColumn('term_code', 'varchar(16)', (c) => c.notNull())
        .addColumn('score', t.double)
        .addColumn('grade', 'varchar(8)')
        .addColumn('passing', t.flag, (c) => c.notNull())
        .addColumn('recorded_at', t.timestamp, (c) => c.notNull()),
    { foreignKeys: [['student_id', 'students.id', 'cascade']] },
  );
  await createIndexes(db, 'assessment_results', [
    // The natural key integrators upsert by; also a student's results for a term.
    {
      name: 'assessment_results_student_term_subject_key',
      columns: ['student_id', 'term_code', 'subject'],
      unique: true,
    },
    { name: 'assessment_results_school_term_idx', columns: ['school_id', 'term_code'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['assessment_results', 'behaviour_incidents', 'attendance_records', 'risk_profiles']);
}
