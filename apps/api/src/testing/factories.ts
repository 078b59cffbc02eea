/**
 * Test factories for every entity: each inserts a valid row through Kysely with sensible defaults, takes
 * overrides in the table's own column names, builds the parents it needs when they are not given (a case
 * without a student gets one, in a new classroom of a new school), and returns the row as read back. Schools,
 * classrooms, students and users come from @pastoral/db's factories; the rest are the API's.
 */
import {
  type Database,
  type SessionTable,
  toTimestamp,
  type AlertTable,
  type ApiTokenTable,
  type CaseEventTable,
  type ClassroomAssignmentTable,
  type InterventionCaseTable,
} from '@pastoral/db';
import { buildClassroom, buildSchool, buildStudent, buildUser, insertReturning } from '@pastoral/db/testing';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { hashApiToken, newApiToken, TOKEN_PREFIX } from '../modules/api-tokens/api-token.ts';
import { hashSessionId, newSessionId } from '../modules/auth/session.ts';

export { buildClassroom, buildSchool, buildStudent, buildUser };

type Db = Kysely<Database>;

const CREATED_AT = '2026-09-01 08:00:00.000';

/** The student a row is about: the one named, or a new one (in a new school unless `school_id` is given). */
async function studentFor(db: Db, overrides: { student_id?: number; school_id?: number }) {
  if (overrides.student_id !== undefined) {
    return db.selectFrom('students').selectAll().where('id', '=', overrides.student_id).executeTakeFirstOrThrow();
  }
  return buildStudent(db, overrides.school_id === undefined ? {} : { school_id: overrides.school_id });
}

/** A member of staff's assignment to a classroom (form master by default). */
export async function buildClassroomAssignment(
  db: Db,
  overrides: Partial<Insertable<ClassroomAssignmentTable>> = {},
): Promise<Selectable<ClassroomAssignmentTable>> {
  const classroom =
    overrides.classroom_id === undefined
      ? await buildClassroom(db, overrides.school_id === undefined ? {} : { school_id: overrides.school_id })
      : await db
          .selectFrom('classrooms')
          .selectAll()
          .where('id', '=', overrides.classroom_id)
          .executeTakeFirstOrThrow();
  const userId = overrides.user_id ?? (await buildUser(db, { school_id: classroom.school_id })).id;
  return insertReturning(db, 'classroom_assignments', {
    kind: 'FORM_MASTER',
    created_at: CREATED_AT,
    ...overrides,
    school_id: classroom.school_id,
    classroom_id: classroom.id,
    user_id: userId,
  });
}

/** A new attendance alert about a student. */
export async function buildAlert(
  db: Db,
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

/** An open intervention case about a student, unassigned. */
export async function buildCase(
  db: Db,
  overrides: Partial<Insertable<InterventionCaseTable>> = {},
): Promise<Selectable<InterventionCaseTable>> {
  const student = await studentFor(db, overrides);
  return insertReturning(db, 'intervention_cases', {
    title: 'Attendance support',
    category: 'ATTENDANCE',
    tier: 1,
    priority: 2,
    status: 'OPEN',
    outcome: null,
    goal: null,
    assigned_to: null,
    opened_by: null,
    next_review_at: null,
    baseline: JSON.stringify({ capturedAt: CREATED_AT, level: null, attendanceRate: null, behaviourLevel: null }),
    closed_at: null,
    created_at: CREATED_AT,
    updated_at: CREATED_AT,
    ...overrides,
    school_id: student.school_id,
    student_id: student.id,
  });
}

/** A note on a case's timeline (a new case unless `case_id` is given). */
export async function buildCaseEvent(
  db: Db,
  overrides: Partial<Insertable<CaseEventTable>> = {},
): Promise<Selectable<CaseEventTable>> {
  const caseRow =
    overrides.case_id === undefined
      ? await buildCase(db, overrides.school_id === undefined ? {} : { school_id: overrides.school_id })
      : await db
          .selectFrom('intervention_cases')
          .selectAll()
          .where('id', '=', overrides.case_id)
          .executeTakeFirstOrThrow();
  return insertReturning(db, 'case_events', {
    kind: 'NOTE',
    author_id: null,
    body: 'Spoke with the family.',
    from_status: null,
    to_status: null,
    from_user_id: null,
    to_user_id: null,
    created_at: CREATED_AT,
    ...overrides,
    school_id: caseRow.school_id,
    case_id: caseRow.id,
  });
}

/**
 * An API token (district-wide unless `school_id` is given, reading students by default), with the secret a
 * request sends: only its hash is stored.
 */
export async function buildApiToken(
  db: Db,
  overrides: Partial<Insertable<ApiTokenTable>> = {},
): Promise<{ row: Selectable<ApiTokenTable>; token: string }> {
  const token = newApiToken();
  const row = await insertReturning(db, 'api_tokens', {
    school_id: null,
    name: 'Test integration',
    token_prefix: token.slice(0, TOKEN_PREFIX.length + 6),
    token_hash: hashApiToken(token),
    scopes: 'students:read',
    created_by: null,
    created_at: CREATED_AT,
    expires_at: null,
    revoked_at: null,
    last_used_at: null,
    ...overrides,
  });
  return { row, token };
}

/**
 * A session of a user (a new one unless `user_id` is given), live for an hour from now, with the session id a
 * cookie carries: only its hash is stored.
 */
export async function buildSession(
  db: Db,
  overrides: Partial<Insertable<SessionTable>> = {},
): Promise<{ row: Selectable<SessionTable>; sessionId: string }> {
  const sessionId = newSessionId();
  const now = Date.now();
  const userId = overrides.user_id ?? (await buildUser(db)).id;
  const row = await insertReturning(db, 'sessions', {
    id_hash: hashSessionId(sessionId),
    created_at: toTimestamp(new Date(now)),
    last_seen_at: toTimestamp(new Date(now)),
    expires_at: toTimestamp(new Date(now + 3_600_000)),
    ip: null,
    user_agent: null,
    ...overrides,
    user_id: userId,
  });
  return { row, sessionId };
}
