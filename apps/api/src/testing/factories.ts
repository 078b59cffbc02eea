/**
 * Test factories for every entity: each inserts a valid row through Kysely with sensible defaults, takes
 * overrides in the table's own column names, builds the parents it needs when they are not given (a case
 * without a student gets one, in a new classroom of a new school), and returns the row as read back. Schools,
 * classrooms, students, users and alerts come from @pastoral/db's factories; the rest are the API's. Tables keyed
 * by something other than an id (leases, sign-in addresses, throttling windows, audit summaries) are read back
 * by that key.
 */
import {
  type ApiTokenTable,
  type AuditSummaryTable,
  type CaseEventTable,
  type ClassroomAssignmentTable,
  type Database,
  type IdempotencyKeyTable,
  type InterventionCaseTable,
  type JobLeaseTable,
  type RateLimitTable,
  type SessionTable,
  type SignInAddressTable,
  type StudentRecordViewTable,
  toTimestamp,
} from '@pastoral/db';
import {
  buildAlert,
  buildClassroom,
  buildSchool,
  buildStudent,
  buildUser,
  insertReturning,
  studentFor,
} from '@pastoral/db/testing';
import type { Insertable, Kysely, Selectable } from 'kysely';
import { hashApiToken, newApiToken, TOKEN_PREFIX } from '../modules/api-tokens/api-token.ts';
import { hashSessionId, newSessionId } from '../modules/auth/session.ts';

export { buildAlert, buildClassroom, buildSchool, buildStudent, buildUser };

type Db = Kysely<Database>;

const CREATED_AT = '2026-09-01 08:00:00.000';
let sequence = 0;
const next = () => ++sequence;

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

/** An idempotency key a user sent with `openCase`, its first answer stored, kept for a day. */
export async function buildIdempotencyKey(
  db: Db,
  overrides: Partial<Insertable<IdempotencyKeyTable>> = {},
): Promise<Selectable<IdempotencyKeyTable>> {
  return insertReturning(db, 'idempotency_keys', {
    principal: 'user:1',
    idempotency_key: `key-${next()}`,
    operation: 'openCase',
    request_hash: 'x'.repeat(64),
    response: '{}',
    school_id: null,
    created_at: CREATED_AT,
    expires_at: '2026-09-02 08:00:00.000',
    ...overrides,
  });
}

/** A job's lease, held by another process for a minute from now. */
export async function buildJobLease(
  db: Db,
  overrides: Partial<Insertable<JobLeaseTable>> = {},
): Promise<Selectable<JobLeaseTable>> {
  const now = Date.now();
  const values = {
    job: `test.job-${next()}`,
    holder: 'api-2:4242',
    acquired_at: toTimestamp(new Date(now)),
    expires_at: toTimestamp(new Date(now + 60_000)),
    ...overrides,
  };
  await db.insertInto('job_leases').values(values).execute();
  return db.selectFrom('job_leases').selectAll().where('job', '=', values.job).executeTakeFirstOrThrow();
}

/** An address a user (a new one unless `user_id` is given) signed in from. */
export async function buildSignInAddress(
  db: Db,
  overrides: Partial<Insertable<SignInAddressTable>> = {},
): Promise<Selectable<SignInAddressTable>> {
  const userId = overrides.user_id ?? (await buildUser(db)).id;
  const n = next();
  const values = {
    address: `10.0.${(n >> 8) & 255}.${n & 255}`,
    last_signed_in_at: CREATED_AT,
    ...overrides,
    user_id: userId,
  };
  await db.insertInto('sign_in_addresses').values(values).execute();
  return db
    .selectFrom('sign_in_addresses')
    .selectAll()
    .where('user_id', '=', userId)
    .where('address', '=', values.address)
    .executeTakeFirstOrThrow();
}

/** A throttling window of failed sign-ins from one address. */
export async function buildRateLimitWindow(
  db: Db,
  overrides: Partial<Insertable<RateLimitTable>> = {},
): Promise<Selectable<RateLimitTable>> {
  const values = {
    rate_key: `signin:ip:test-${next()}`,
    window_started_at: CREATED_AT,
    hits: 3,
    next_attempt_at: null,
    ...overrides,
  };
  await db.insertInto('rate_limits').values(values).execute();
  return db.selectFrom('rate_limits').selectAll().where('rate_key', '=', values.rate_key).executeTakeFirstOrThrow();
}

/** A summarised audit window of throttled sign-ins from one address, a quarter of an hour long. */
export async function buildAuditSummary(
  db: Db,
  overrides: Partial<Insertable<AuditSummaryTable>> = {},
): Promise<Selectable<AuditSummaryTable>> {
  const values = {
    summary_key: `summary-${next()}`,
    window_started_at: CREATED_AT,
    window_ends_at: '2026-09-01 08:15:00.000',
    occurrences: 1,
    last_occurred_at: CREATED_AT,
    event: JSON.stringify({ action: 'session.sign_in_throttled', schoolId: null, userId: null, rule: 'address' }),
    actor: JSON.stringify({ type: 'ANONYMOUS', userId: null, apiTokenId: null, ip: '10.0.0.9' }),
    ...overrides,
  };
  await db.insertInto('audit_summaries').values(values).execute();
  return db
    .selectFrom('audit_summaries')
    .selectAll()
    .where('summary_key', '=', values.summary_key)
    .executeTakeFirstOrThrow();
}

/** A member of staff's first view of a student's record on a day (a new student and user unless given). */
export async function buildStudentRecordView(
  db: Db,
  overrides: Partial<Insertable<StudentRecordViewTable>> = {},
): Promise<Selectable<StudentRecordViewTable>> {
  const student = await studentFor(db, overrides);
  const userId = overrides.user_id ?? (await buildUser(db, { school_id: student.school_id })).id;
  const values = {
    viewed_on: '2026-09-15',
    first_viewed_at: '2026-09-15 09:00:00.000',
    ...overrides,
    school_id: student.school_id,
    student_id: student.id,
    user_id: userId,
  };
  await db.insertInto('student_record_views').values(values).execute();
  return db
    .selectFrom('student_record_views')
    .selectAll()
    .where('school_id', '=', student.school_id)
    .where('student_id', '=', student.id)
    .where('user_id', '=', userId)
    .where('viewed_on', '=', values.viewed_on)
    .executeTakeFirstOrThrow();
}
