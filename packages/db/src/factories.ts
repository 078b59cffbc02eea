/**
 * Test factories: each builds a valid row with sensible defaults, takes overrides, and builds the parents it
 * needs when they are not given (a student without a classroom gets one, in a new school). Alerts are here
 * rather than in the API's factories because this package's own tests (the alerts' unique key) build them.
 */
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import type { AlertTable, ClassroomTable, Database, SchoolTable, StudentTable, UserTable } from './schema.ts';

const CREATED_AT = '2026-09-01 08:00:00.000';
let sequence = 0;
const next = () => ++sequence;

/** INSERT, then read the row back (MySQL has no RETURNING; Kysely reports the new id on both engines). */
export async function insertReturning<T extends keyof Database>(
  db: Kysely<Database>,
  table: T,
  values: Insertable<Database[T]>,
): Promise<Selectable<Database[T]>> {
  const { insertId } = await db
    .insertInto(table)
    .values(values as never)
    .executeTakeFirstOrThrow();
  const { rows } = await sql<
    Selectable<Database[T]>
  >`select * from ${sql.table(table)} where id = ${Number(insertId)}`.execute(db);
  if (!rows[0]) throw new Error(`The new ${table} row ${String(insertId)} cannot be read back`);
  return rows[0];
}

export async function buildSchool(db: Kysely<Database>, overrides: Partial<Insertable<SchoolTable>> = {}) {
  const n = next();
  return insertReturning(db, 'schools', {
    code: `T${n}`,
    name: `Test School ${n}`,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
  });
}

export async function buildClassroom(db: Kysely<Database>, overrides: Partial<Insertable<ClassroomTable>> = {}) {
  const schoolId = overrides.school_id ?? (await buildSchool(db)).id;
  return insertReturning(db, 'classrooms', {
    name: `7${next()}`,
    year_group: 7,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
    school_id: schoolId,
  });
}

export async function buildStudent(db: Kysely<Database>, overrides: Partial<Insertable<StudentTable>> = {}) {
  const classroom = overrides.classroom_id
    ? await db.selectFrom('classrooms').selectAll().where('id', '=', overrides.classroom_id).executeTakeFirstOrThrow()
    : await buildClassroom(db, overrides.school_id ? { school_id: overrides.school_id } : {});
  const n = next();
  return insertReturning(db, 'students', {
    external_id: `EXT-${n}`,
    given_name: 'Test',
    family_name: `Student ${n}`,
    full_name: `Test Student ${n}`,
    date_of_birth: '2014-05-01',
    year_group: classroom.year_group,
    enrolled_on: '2026-09-01',
    left_on: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
    school_id: classroom.school_id,
    classroom_id: classroom.id,
  });
}

export async function buildUser(db: Kysely<Database>, overrides: Partial<Insertable<UserTable>> = {}) {
  const n = next();
  const schoolId = overrides.school_id === undefined ? (await buildSchool(db)).id : overrides.school_id;
  return insertReturning(db, 'users', {
    email: `user${n}@test.pastoral.example`,
    full_name: `Test User ${n}`,
    role: 'FORM_MASTER',
    password_hash: null,
    last_sign_in_at: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
    school_id: schoolId,
  });
}

/** The student a row is about: the one named, or a new one (in a new school unless `school_id` is given). */
export async function studentFor(db: Kysely<Database>, overrides: { student_id?: number; school_id?: number }) {
  if (overrides.student_id !== undefined) {
    return db.selectFrom('students').selectAll().where('id', '=', overrides.student_id).executeTakeFirstOrThrow();
  }
  return buildStudent(db, overrides.school_id === undefined ? {} : { school_id: overrides.school_id });
}

/** A new attendance alert about a student. */
export async function buildAlert(
  db: Kysely<Database>,
  overrides: Partial<Insertable<AlertTable>> = {},
): Promise<Selectable<AlertTable>> {
  const student = await studentFor(db, overrides);
  return insertReturning(db, 'alerts', {
    type: 'ATTENDANCE',
    severity: 2,
    status: 'NEW',
    alert_date: '2026-09-15',
    reason: 'Attendance fell below 90%',
    facts: '{}',
    assigned_to: null,
    raised_by: null,
    open_indicator: null,
    acknowledged_at: null,
    acknowledged_by: null,
    dismissed_reason: null,
    closed_at: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
    school_id: student.school_id,
    student_id: student.id,
  });
}
