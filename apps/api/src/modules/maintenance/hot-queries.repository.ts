/**
 * The hot queries of a school day as the API sends them, with fixed keys, for their plans to be EXPLAINed
 * (hot-queries.ts names the index each must read through). Built, never run: each returns its query.
 */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';

export function openCasesOfFormMaster(db: Kysely<Database>) {
  return db
    .selectFrom('intervention_cases')
    .selectAll()
    .where('school_id', '=', 1)
    .where('assigned_to', '=', 4)
    .where('status', '=', 'IN_PROGRESS')
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(25);
}

export function newAlertsOfFormMaster(db: Kysely<Database>) {
  return db
    .selectFrom('alerts')
    .selectAll()
    .where('school_id', '=', 1)
    .where('assigned_to', '=', 4)
    .where('status', '=', 'NEW')
    .orderBy('alert_date', 'desc')
    .orderBy('id', 'desc')
    .limit(25);
}

export function newAlertsOfStudent(db: Kysely<Database>) {
  return db
    .selectFrom('alerts')
    .select('id')
    .where('school_id', '=', 1)
    .where('student_id', '=', 3)
    .where('status', '=', 'NEW');
}

export function activeStudentsOfClassroom(db: Kysely<Database>) {
  return db
    .selectFrom('students')
    .selectAll()
    .where('school_id', '=', 1)
    .where('classroom_id', '=', 3)
    .where('is_active', '=', 1);
}

/** A school's roster, highest risk first, as its staff's first page reads it (26 rows: a page and one more). */
export function rosterOfSchoolByRisk(db: Kysely<Database>) {
  return db
    .selectFrom('students')
    .selectAll()
    .where('school_id', '=', 1)
    .where('is_active', '=', 1)
    .orderBy('risk_level', 'desc')
    .orderBy('family_name')
    .orderBy('given_name')
    .orderBy('id')
    .limit(26);
}

/** As a district admin reads them: a school admin's read names the school too. */
export function recentAuditEntriesOfUser(db: Kysely<Database>) {
  return db
    .selectFrom('audit_log')
    .selectAll()
    .where('user_id', '=', 4)
    .where('occurred_at', '>=', '2026-10-31 00:00:00.000')
    .orderBy('occurred_at', 'desc')
    .limit(100);
}

export function newAlertsOfSchoolCount(db: Kysely<Database>) {
  return db
    .selectFrom('alerts')
    .select((eb) => eb.fn.countAll().as('n'))
    .where('school_id', '=', 1)
    .where('status', '=', 'NEW');
}
