/**
 * The hot queries of a school day, each with the index its plan must read through: EXPLAINed by the
 * query-plans test on seeded data, and by `pastoral doctor` on a deployment's own database. Each is the
 * statement the API sends, naming its school where the API does (school-scope.ts): a district admin's reads
 * are the ones without.
 */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';

export interface HotQuery {
  name: string;
  /** The index the plan must read through. */
  index: string;
  query: (db: Kysely<Database>) => { compile: () => never };
}

export const HOT_QUERIES: HotQuery[] = [
  {
    name: "a form master's open cases, newest first",
    index: 'cases_assigned_status_idx',
    query: (db) =>
      db
        .selectFrom('intervention_cases')
        .selectAll()
        .where('school_id', '=', 1)
        .where('assigned_to', '=', 4)
        .where('status', '=', 'IN_PROGRESS')
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(25) as never,
  },
  {
    name: "a form master's new alerts, newest first",
    index: 'alerts_assigned_status_idx',
    query: (db) =>
      db
        .selectFrom('alerts')
        .selectAll()
        .where('school_id', '=', 1)
        .where('assigned_to', '=', 4)
        .where('status', '=', 'NEW')
        .orderBy('alert_date', 'desc')
        .orderBy('id', 'desc')
        .limit(25) as never,
  },
  {
    name: "a student's new alerts (a form master's inbox, for each of their classrooms' students)",
    index: 'alerts_student_status_idx',
    query: (db) =>
      db
        .selectFrom('alerts')
        .select('id')
        .where('school_id', '=', 1)
        .where('student_id', '=', 3)
        .where('status', '=', 'NEW') as never,
  },
  {
    name: "a classroom's active students",
    index: 'students_classroom_active_idx',
    query: (db) =>
      db
        .selectFrom('students')
        .selectAll()
        .where('school_id', '=', 1)
        .where('classroom_id', '=', 3)
        .where('is_active', '=', 1) as never,
  },
  {
    // As a district admin reads them: a school admin's read names the school too.
    name: "a user's audit entries of the last 30 days",
    index: 'audit_log_user_time_idx',
    query: (db) =>
      db
        .selectFrom('audit_log')
        .selectAll()
        .where('user_id', '=', 4)
        .where('occurred_at', '>=', '2026-10-31 00:00:00.000')
        .orderBy('occurred_at', 'desc')
        .limit(100) as never,
  },
  {
    name: "a school's new alerts (school-wide inbox and dashboard)",
    index: 'alerts_school_status_idx',
    query: (db) =>
      db
        .selectFrom('alerts')
        .select((eb) => eb.fn.countAll().as('n'))
        .where('school_id', '=', 1)
        .where('status', '=', 'NEW') as never,
  },
];
