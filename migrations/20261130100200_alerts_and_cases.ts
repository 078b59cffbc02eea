import type { Kysely } from 'kysely';
import { columnTypes, createIndexes, createTable, dropTables } from './support/ddl.ts';

/** Alerts, intervention cases, the alerts a case came from, and each case's timeline. */
export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);

  await createTable(
    db,
    'alerts',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('student_id', t.ref, (c) => c.notNull())
        .addColumn('type', 'varchar(20)', (c) => c.notNull())
        .addColumn('severity', t.tinyInt, (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('alert_date', t.date, (c) => c.notNull())
        .addColumn('reason', 'varchar(500)', (c) => c.notNull())
        .addColumn('facts', t.text, (c) => c.notNull())
        .addColumn('assigned_to', t.ref)
        .addColumn('raised_by', t.ref)
        .addColumn('open_indicator', 'varchar(20)')
        .addColumn('acknowledged_at', t.timestamp)
        .addColumn('acknowledged_by', t.ref)
        .addColumn('dismissed_reason', 'varchar(500)')
        .addColumn('closed_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
    {
      foreignKeys: [
        ['student_id', 'students.id', 'cascade'],
        ['assigned_to', 'users.id', 'set null'],
        ['raised_by', 'users.id', 'set null'],
        ['acknowledged_by', 'users.id', 'set null'],
      ],
    },
  );
  await createIndexes(db, 'alerts', [
    // The source document's form-master index: my alerts by status, newest first.
    { name: 'alerts_assigned_status_idx', columns: ['assigned_to', 'status', 'alert_date'] },
    // School-wide inboxes and dashboards, without scanning 200,000 alerts.
    { name: 'alerts_school_status_idx', columns: ['school_id', 'status', 'alert_date'] },
    // A student's alerts, newest first.
    { name: 'alerts_student_date_idx', columns: ['student_id', 'alert_date'] },
    // At most one open alert per student and indicator, enforced by the database (NULLs do not collide).
    { name: 'alerts_student_open_indicator_key', columns: ['student_id', 'open_indicator'], unique: true },
  ]);

  await createTable(
    db,
    'intervention_cases',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('student_id', t.ref, (c) => c.notNull())
        .addColumn('title', 'varchar(200)', (c) => c.notNull())
        .addColumn('category', 'varchar(40)', (c) => c.notNull())
        .addColumn('tier', t.tinyInt, (c) => c.notNull())
        .addColumn('priority', t.tinyInt, (c) => c.notNull())
        .addColumn('status', 'varchar(20)', (c) => c.notNull())
        .addColumn('outcome', 'varchar(20)')
        .addColumn('goal', t.text)
        .addColumn('assigned_to', t.ref)
        .addColumn('opened_by', t.ref)
        .addColumn('next_review_at', t.date)
        .addColumn('baseline', t.text, (c) => c.notNull())
        .addColumn('version', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('closed_at', t.timestamp)
        .addColumn('created_at', t.timestamp, (c) => c.notNull())
        .addColumn('updated_at', t.timestamp, (c) => c.notNull()),
    {
      foreignKeys: [
        ['student_id', 'students.id', 'cascade'],
        ['assigned_to', 'users.id', 'set null'],
        ['opened_by', 'users.id', 'set null'],
      ],
    },
  );
  await createIndexes(db, 'intervention_cases', [
    // The source document's form-master index: my cases by status, by creation.
    { name: 'cases_assigned_status_idx', columns: ['assigned_to', 'status', 'created_at'] },
    // My overdue reviews, and my cases ordered by review date.
    { name: 'cases_assigned_review_idx', columns: ['assigned_to', 'status', 'next_review_at'] },
    // School-wide case lists and counts by status; overdue reviews across a school.
    { name: 'cases_school_status_idx', columns: ['school_id', 'status', 'created_at'] },
    { name: 'cases_school_review_idx', columns: ['school_id', 'status', 'next_review_at'] },
    // A student's case history.
    { name: 'cases_student_created_idx', columns: ['student_id', 'created_at'] },
  ]);

  await createTable(
    db,
    'case_alerts',
    (table) =>
      table
        .addColumn('case_id', t.ref, (c) => c.notNull())
        .addColumn('alert_id', t.ref, (c) => c.notNull())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addPrimaryKeyConstraint('case_alerts_pkey', ['case_id', 'alert_id']),
    {
      foreignKeys: [
        ['case_id', 'intervention_cases.id', 'cascade'],
        ['alert_id', 'alerts.id', 'cascade'],
      ],
    },
  );
  await createIndexes(db, 'case_alerts', [{ name: 'case_alerts_alert_idx', columns: ['alert_id'] }]);

  await createTable(
    db,
    'case_events',
    (table) =>
      table
        .addColumn('id', t.id, (c) => c.primaryKey().autoIncrement())
        .addColumn('school_id', t.ref, (c) => c.notNull())
        .addColumn('case_id', t.ref, (c) => c.notNull())
        .addColumn('kind', 'varchar(20)', (c) => c.notNull())
        .addColumn('author_id', t.ref)
        .addColumn('body', t.text)
        .addColumn('restricted', t.flag, (c) => c.notNull().defaultTo(0))
        .addColumn('from_status', 'varchar(20)')
        .addColumn('to_status', 'varchar(20)')
        .addColumn('from_user_id', t.ref)
        .addColumn('to_user_id', t.ref)
        .addColumn('created_at', t.timestamp, (c) => c.notNull()),
    {
      foreignKeys: [
        ['case_id', 'intervention_cases.id', 'cascade'],
        ['author_id', 'users.id', 'set null'],
      ],
    },
  );
  await createIndexes(db, 'case_events', [
    // A case's timeline in order.
    { name: 'case_events_case_created_idx', columns: ['case_id', 'created_at', 'id'] },
  ]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropTables(db, ['case_events', 'case_alerts', 'intervention_cases', 'alerts']);
}
