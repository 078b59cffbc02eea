/**
 * The authorization matrix: every root field of the schema (Query and Mutation), called by every kind of
 * principal (nobody, each staff role, an API token of each scope for one school and for the whole district),
 * about five targets (testing/authorization-fixture.ts: students of the form master's own classroom, one of
 * them with the pastoral lead's case, another classroom's student with a case assigned to the form master,
 * another classroom's, another school's). Each cell is decided by the table below and checked against the real
 * server: 401 for nobody signed in, 403 for a principal the field is not for, the target shown only within the
 * principal's scope, out of scope answered as a missing record is (null, absent, a refusal in userErrors), and a
 * change the principal may see but not make refused, with nothing changed in the database and nothing written to
 * the audit log. No answer may carry the ids or name of a record outside the principal's scope, whatever the
 * field.
 *
 * The root fields are read from the built schema, not from the table: a field without an entry (or an entry
 * without a field) fails, so a new field cannot ship before someone decides who may call it.
 * authorization-paths.test.ts follows every field below the root the same way.
 */
import { randomBytes } from 'node:crypto';
import { type ApiTokenScope, type Database, fitKey, type Role, toTimestamp } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import { buildSchema } from '../../graphql/schema.ts';
import { scopeName } from '../../modules/api-tokens/api-token.ts';
import { type ApiHarness, type GraphQLResponse, startApiHarness } from '../../testing/api-harness.ts';
import {
  type AuthorizationFixture,
  expectNothingUnseen,
  makeAuthorizationFixture,
  type ObjectKind,
  type Principal,
  PRINCIPALS,
  reachesSchool,
  sees,
  sender,
  STAFF_EMAILS,
  type Target,
  type TargetRecords,
  TARGETS,
} from '../../testing/authorization-fixture.ts';

// ---- What each cell expects -------------------------------------------------------------------------------

/**
 * unauthenticated: 401 and no data. forbidden: 403 and no data. shown: the target in the answer (for a
 * mutation: the change made). hidden: answered as for a missing record (for a mutation: a refusal in
 * userErrors, nothing changed and nothing audited). refused: a mutation about a record the principal sees but
 * may not change: the entry's refusedCode in userErrors, nothing changed and nothing audited.
 */
type Expected = 'unauthenticated' | 'forbidden' | 'shown' | 'hidden' | 'refused';
type Decide = (principal: Principal, target: Target) => Expected;

/** Fields for signed-in staff only, about the target's record of `kind`; `refused` where a role sees but may not act. */
const staffOnly =
  (kind: ObjectKind, refused: (role: Role, target: Target) => boolean = () => false): Decide =>
  (principal, target) => {
    if (principal.kind === 'anonymous') return 'unauthenticated';
    if (principal.kind === 'token') return 'forbidden';
    if (!sees(principal, target, kind)) return 'hidden';
    return refused(principal.role, target) ? 'refused' : 'shown';
  };

/** Fields staff read within their scope, and tokens holding `tokenScope` (or any token, for null). */
const staffOrToken =
  (kind: ObjectKind, tokenScope: ApiTokenScope | null): Decide =>
  (principal, target) => {
    if (principal.kind !== 'token') return staffOnly(kind)(principal, target);
    if (tokenScope !== null && principal.scope !== tokenScope) return 'forbidden';
    return sees(principal, target, kind) ? 'shown' : 'hidden';
  };

/** Integrators' fields: tokens holding `tokenScope`, within their school; staff are refused. */
const tokensOnly =
  (tokenScope: ApiTokenScope): Decide =>
  (principal, target) => {
    if (principal.kind === 'anonymous') return 'unauthenticated';
    if (principal.kind === 'staff' || principal.scope !== tokenScope) return 'forbidden';
    return reachesSchool(principal, target) ? 'shown' : 'hidden';
  };

/** A form master sees the pastoral lead's case about their own student, and may not take or change it. */
const leadsCase = (role: Role, target: Target) => role === 'FORM_MASTER' && target === 'leads';

type Db = Kysely<Database>;

interface MatrixEntry {
  expect: Decide;
  document: string;
  variables: (target: TargetRecords) => Record<string, unknown>;
  /** Whether the answer shows the target (for a mutation: whether it reports the change made). */
  shows: (response: GraphQLResponse, target: TargetRecords, principal: Principal) => boolean;
  mutation?: {
    /** What the mutation would change, read from the database: the same before and after unless shown. */
    state: (db: Db, target: TargetRecords) => Promise<unknown>;
    /** Puts the target's rows back as they were, so that every cell starts from the same state. */
    reset?: (db: Db, target: TargetRecords) => Promise<void>;
    /** The userError codes a refusal may carry (default: NOT_FOUND, as for a missing record). */
    refusalCodes?: string[];
    /** The userError code of a `refused` cell. */
    refusedCode?: string;
    /** A refusal is audited all the same (a failed sign-in is, by design). */
    auditsRefusals?: boolean;
    /** The call ends the session it is made with: staff make it with a session of its own. */
    endsSession?: boolean;
    /** The call ends the caller's other sessions: staff sign in again after it. */
    endsOtherSessions?: boolean;
  };
}

/** Whether request variables carry an id of a record of school 2, the other school (not the school's own id). */
function namesSchool2(value: unknown): boolean {
  if (typeof value === 'string') return fromGlobalId(value)?.key.schoolId === 2;
  if (Array.isArray(value)) return value.some(namesSchool2);
  if (value !== null && typeof value === 'object') return Object.values(value).some(namesSchool2);
  return false;
}

const data = (response: GraphQLResponse) => (response.body.data ?? {}) as Record<string, unknown>;
/** The payload of mutation `field`. */
const payload = <T>(response: GraphQLResponse, field: string) => (data(response)[field] ?? {}) as T;
const idsOf = (connection: { nodes: { id: string }[] } | null | undefined) =>
  (connection?.nodes ?? []).map((node) => node.id);

/** Puts a target row back as it was when the targets were made. */
async function restore(db: Db, table: 'alerts' | 'intervention_cases' | 'students', row: { id: number }) {
  const { id, ...columns } = row;
  await db.updateTable(table).set(columns).where('id', '=', id).execute();
}

const countOf = async (query: Promise<{ count: number | string | bigint }>) => Number((await query).count);
const alertRow = (db: Db, target: TargetRecords) =>
  db.selectFrom('alerts').selectAll().where('id', '=', target.alertId).executeTakeFirstOrThrow();
const caseRow = (db: Db, target: TargetRecords) =>
  db.selectFrom('intervention_cases').selectAll().where('id', '=', target.caseId).executeTakeFirstOrThrow();
const casesOfStudent = (db: Db, target: TargetRecords) =>
  countOf(
    db
      .selectFrom('intervention_cases')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('student_id', '=', target.studentId)
      .executeTakeFirstOrThrow(),
  );

/** Alert triage: each call starts from the target alert as it was raised (NEW). */
const triage = {
  state: alertRow,
  reset: (db: Db, target: TargetRecords) => restore(db, 'alerts', target.rowsAsMade.alert),
};
/** Case changes: each call starts from the target case as it was opened, at its first version. */
const caseChange = {
  state: caseRow,
  reset: (db: Db, target: TargetRecords) => restore(db, 'intervention_cases', target.rowsAsMade.case),
  refusedCode: 'NOT_ALLOWED',
};

/** A day long before the seeded term: records of it are the test's own, and change nobody's risk now. */
const INGEST_DAY = '2024-01-08';
const INGEST_MARKER = 'AUTHZ_MATRIX';

/** Fields every member of staff calls about themselves: the target plays no part. */
const everyMemberOfStaff: Decide = (principal) =>
  principal.kind === 'anonymous' ? 'unauthenticated' : principal.kind === 'token' ? 'forbidden' : 'shown';

const sessionCount = (db: Db) =>
  countOf(
    db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow(),
  );

/** A live session of each target's form master (by e-mail), made afresh for each cell that may end it. */
const targetSessions = new Map<string, string>();

/** Ends the session made for `target`'s form master by an earlier cell, and makes a new one. */
async function freshTargetSession(db: Db, target: TargetRecords): Promise<void> {
  const previous = targetSessions.get(target.formMasterEmail);
  if (previous) await db.deleteFrom('sessions').where('id', '=', fromGlobalId(previous)!.key.id).execute();
  const now = Date.now();
  const inserted = await db
    .insertInto('sessions')
    .values({
      id_hash: randomBytes(32).toString('hex'),
      user_id: fromGlobalId(target.formMaster)!.key.id,
      created_at: toTimestamp(new Date(now)),
      last_seen_at: toTimestamp(new Date(now)),
      expires_at: toTimestamp(new Date(now + 3_600_000)),
      ip: null,
      user_agent: 'Authorization matrix',
    })
    .executeTakeFirstOrThrow();
  targetSessions.set(target.formMasterEmail, toGlobalId('Session', Number(inserted.insertId)));
}

/**
 * One entry per root field: who may call it, and how a call about each target is made and recognised. The
 * keys must match the schema's root fields exactly; the first test says which are missing or stale.
 */
const ENTRIES: Record<string, MatrixEntry> = {
  'Query.node': {
    // Nobody signed in gets null, as for a missing id (no 401): `node` answers whether an object exists for
    // you, and for nobody none does. A token that asks for a student's fields needs students:read, as on every
    // path (authorization-paths.test.ts tries every type).
    expect: (principal, target) =>
      principal.kind === 'anonymous' ? 'hidden' : staffOrToken('student', 'students:read')(principal, target),
    document: 'query ($id: ID!) { node(id: $id) { id ... on Student { fullName } } }',
    variables: (target) => ({ id: target.student }),
    shows: (response, target) => (data(response).node as { id: string } | null)?.id === target.student,
  },
  'Query.nodes': {
    // A case and an alert by id: each shown to whoever sees it, tokens by their scope.
    expect: (principal, target) =>
      sees(principal, target, 'case') || sees(principal, target, 'alert') ? 'shown' : 'hidden',
    document: 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }',
    variables: (target) => ({ ids: [target.case, target.alert] }),
    shows: (response) => (data(response).nodes as unknown[] | undefined)?.some((node) => node !== null) ?? false,
  },
  'Query.viewer': {
    // Who is asking: the member of staff, or the token itself; null for nobody. The target plays no part.
    expect: (principal) => (principal.kind === 'anonymous' ? 'hidden' : 'shown'),
    document: '{ viewer { role user { email } apiToken { name scopes } } }',
    variables: () => ({}),
    shows: (response, _target, principal) => {
      const viewer = data(response).viewer as {
        user: { email: string } | null;
        apiToken: { name: string; scopes: string[] } | null;
      } | null;
      if (principal.kind === 'staff') return viewer?.user?.email === STAFF_EMAILS[principal.role];
      if (principal.kind === 'token')
        return viewer?.apiToken?.scopes.join() === scopeName(principal.scope) && viewer?.user === null;
      return viewer != null;
    },
  },
  'Query.students': {
    expect: staffOrToken('student', 'students:read'),
    document: `query ($classroom: ID!) {
      students(first: 100, filter: { classroomId: $classroom, active: null }) { nodes { id fullName } }
    }`,
    variables: (target) => ({ classroom: target.classroom }),
    shows: (response, target) => idsOf(data(response).students as { nodes: { id: string }[] }).includes(target.student),
  },
  'Query.cases': {
    expect: staffOrToken('case', 'cases:read'),
    document: 'query ($student: ID!) { cases(first: 100, filter: { studentId: $student }) { nodes { id } } }',
    variables: (target) => ({ student: target.student }),
    shows: (response, target) => idsOf(data(response).cases as { nodes: { id: string }[] }).includes(target.case),
  },
  'Query.alerts': {
    expect: staffOrToken('alert', 'alerts:read'),
    document: 'query ($student: ID!) { alerts(first: 100, filter: { studentId: $student }) { nodes { id } } }',
    variables: (target) => ({ student: target.student }),
    shows: (response, target) => idsOf(data(response).alerts as { nodes: { id: string }[] }).includes(target.alert),
  },
  'Query.classrooms': {
    // Staff see their school's classrooms (a district admin every school's); a token its school's, whatever its
    // scopes: an integrator maps its roster onto them.
    expect: staffOrToken('classroom', null),
    document: 'query ($school: ID!) { classrooms(first: 100, filter: { schoolId: $school }) { nodes { id } } }',
    variables: (target) => ({ school: target.school }),
    shows: (response, target) =>
      idsOf(data(response).classrooms as { nodes: { id: string }[] }).includes(target.classroom),
  },
  'Query.schools': {
    expect: staffOrToken('school', null),
    document: '{ schools { nodes { id } } }',
    variables: () => ({}),
    shows: (response, target) => idsOf(data(response).schools as { nodes: { id: string }[] }).includes(target.school),
  },
  'Query.auditLog': {
    expect: staffOrToken('auditEntry', 'audit:read'),
    document: `query ($school: ID!) {
      auditLog(first: 5, filter: { schoolId: $school, from: "2020-01-01T00:00:00.000Z" }) { nodes { id } }
    }`,
    variables: (target) => ({ school: target.school }),
    shows: (response) => idsOf(data(response).auditLog as { nodes: { id: string }[] }).length > 0,
  },
  'Query.apiTokens': {
    expect: staffOnly('apiToken'),
    document: '{ apiTokens(first: 100) { nodes { id } } }',
    variables: () => ({}),
    shows: (response, target) =>
      idsOf(data(response).apiTokens as { nodes: { id: string }[] }).includes(target.apiToken),
  },
  'Query.dashboard': {
    // Every target has just become "newly at risk" (see the fixture): the dashboard lists those in scope. A
    // form master's dashboard is their classes': a student seen only through a case is not on it.
    expect: (principal, target) =>
      principal.kind === 'staff' && principal.role === 'FORM_MASTER' && target === 'assigned'
        ? 'hidden'
        : staffOnly('student')(principal, target),
    document: '{ dashboard { newAlerts newlyAtRisk(first: 100) { nodes { id } } } }',
    variables: () => ({}),
    shows: (response, target) =>
      idsOf((data(response).dashboard as { newlyAtRisk: { nodes: { id: string }[] } } | null)?.newlyAtRisk).includes(
        target.student,
      ),
  },

  'Mutation.signIn': {
    // Open to anyone, whatever they hold; a wrong password lets nobody in: the answer is the same refusal for
    // every caller and every account, with no cookie, and only the failure itself is recorded.
    expect: () => 'hidden',
    document: `mutation ($input: SignInInput!) { signIn(input: $input) { viewer { user { id } } userErrors { code } } }`,
    variables: (target) => ({ input: { email: target.formMasterEmail, password: 'not-the-password' } }),
    shows: (response) =>
      payload<{ viewer: unknown }>(response, 'signIn').viewer != null || response.headers['set-cookie'] !== undefined,
    mutation: {
      state: async (db, target) =>
        countOf(
          db
            .selectFrom('sessions')
            .innerJoin('users', 'users.id', 'sessions.user_id')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('users.email', '=', target.formMasterEmail)
            .executeTakeFirstOrThrow(),
        ),
      // Sixty-odd failures would throttle the account and the address; each cell starts unthrottled.
      reset: async (db) => {
        await db.deleteFrom('rate_limits').where('rate_key', 'like', 'signin:%').execute();
      },
      refusalCodes: ['INVALID'],
      auditsRefusals: true,
    },
  },
  'Mutation.signOut': {
    expect: everyMemberOfStaff,
    document: 'mutation { signOut { signedOut userErrors { code } } }',
    variables: () => ({}),
    shows: (response) => payload<{ signedOut?: boolean }>(response, 'signOut').signedOut === true,
    mutation: { state: sessionCount, endsSession: true },
  },

  'Mutation.signOutSession': {
    // A session is its user's alone: the form master ends their own (the own and leads targets' classroom is
    // theirs), and anyone
    // else naming it is answered as for a session that does not exist, with nothing ended.
    expect: (principal, target) =>
      principal.kind === 'anonymous'
        ? 'unauthenticated'
        : principal.kind === 'token'
          ? 'forbidden'
          : principal.role === 'FORM_MASTER' && (target === 'own' || target === 'leads')
            ? 'shown'
            : 'hidden',
    document: `mutation ($input: SignOutSessionInput!) {
      signOutSession(input: $input) { endedSessionId signedOutHere userErrors { code } }
    }`,
    variables: (target) => ({ input: { id: targetSessions.get(target.formMasterEmail) } }),
    shows: (response) => payload<{ endedSessionId?: string | null }>(response, 'signOutSession').endedSessionId != null,
    mutation: {
      state: (db, target) =>
        countOf(
          db
            .selectFrom('sessions')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('id', '=', fromGlobalId(targetSessions.get(target.formMasterEmail)!)!.key.id)
            .executeTakeFirstOrThrow(),
        ),
      reset: freshTargetSession,
    },
  },
  'Mutation.signOutEverywhere': {
    // Every member of staff ends their own other sessions; the target plays no part.
    expect: everyMemberOfStaff,
    document: 'mutation { signOutEverywhere { endedSessions userErrors { code } } }',
    variables: () => ({}),
    shows: (response) => (payload<{ endedSessions?: number }>(response, 'signOutEverywhere').endedSessions ?? 0) > 0,
    mutation: {
      state: sessionCount,
      // Made with a session of its own, the caller's usual one being among those it ends.
      endsSession: true,
      endsOtherSessions: true,
    },
  },

  'Mutation.raiseConcern': {
    expect: staffOnly('student'),
    document: `mutation ($input: RaiseConcernInput!) {
      raiseConcern(input: $input) { alert { id student { id } } userErrors { code } }
    }`,
    variables: (target) => ({ input: { studentId: target.student, reason: 'Raised by the authorization matrix.' } }),
    shows: (response, target) =>
      payload<{ alert?: { student: { id: string } } | null }>(response, 'raiseConcern').alert?.student.id ===
      target.student,
    mutation: {
      state: (db, target) =>
        countOf(
          db
            .selectFrom('alerts')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('student_id', '=', target.studentId)
            .executeTakeFirstOrThrow(),
        ),
    },
  },
  'Mutation.acknowledgeAlert': {
    expect: staffOnly('alert'),
    document: `mutation ($input: AcknowledgeAlertInput!) {
      acknowledgeAlert(input: $input) { alert { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertId: target.alert } }),
    shows: (response, target) =>
      payload<{ alert?: { id: string } | null }>(response, 'acknowledgeAlert').alert?.id === target.alert,
    mutation: triage,
  },
  'Mutation.acknowledgeAlerts': {
    expect: staffOnly('alert'),
    document: `mutation ($input: AcknowledgeAlertsInput!) {
      acknowledgeAlerts(input: $input) { alerts { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertIds: [target.alert] } }),
    shows: (response, target) =>
      (payload<{ alerts?: { id: string }[] }>(response, 'acknowledgeAlerts').alerts ?? []).some(
        (alert) => alert.id === target.alert,
      ),
    mutation: triage,
  },
  'Mutation.dismissAlert': {
    expect: staffOnly('alert'),
    document: `mutation ($input: DismissAlertInput!) {
      dismissAlert(input: $input) { alert { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertId: target.alert, reason: 'Dismissed by the authorization matrix.' } }),
    shows: (response, target) =>
      payload<{ alert?: { id: string } | null }>(response, 'dismissAlert').alert?.id === target.alert,
    mutation: triage,
  },
  'Mutation.escalateAlert': {
    // A district admin, who belongs to no school, escalates too: the case goes to the alert's assignee or the
    // student's form master (this matrix found that it once could not).
    expect: staffOnly('alert'),
    document: `mutation ($input: EscalateAlertInput!) {
      escalateAlert(input: $input) { case { id student { id } } alerts { id } userErrors { code } }
    }`,
    variables: (target) => ({ input: { alertIds: [target.alert] } }),
    shows: (response, target) =>
      payload<{ case?: { student: { id: string } } | null }>(response, 'escalateAlert').case?.student.id ===
      target.student,
    mutation: {
      state: async (db, target) => ({ alert: await alertRow(db, target), cases: await casesOfStudent(db, target) }),
      reset: triage.reset,
    },
  },

  'Mutation.createApiToken': {
    // The product refuses a token for a school one does not administer with an INVALID userError.
    expect: staffOnly('apiToken'),
    document: `mutation ($input: CreateApiTokenInput!) {
      createApiToken(input: $input) { apiToken { id school { id } } userErrors { code } }
    }`,
    variables: (target) => ({
      input: { name: 'Authorization matrix', scopes: ['STUDENTS_READ'], schoolId: target.school },
    }),
    shows: (response, target) =>
      payload<{ apiToken?: { school: { id: string } | null } | null }>(response, 'createApiToken').apiToken?.school
        ?.id === target.school,
    mutation: {
      state: (db) =>
        countOf(
          db
            .selectFrom('api_tokens')
            .select((eb) => eb.fn.countAll().as('count'))
            .executeTakeFirstOrThrow(),
        ),
      refusalCodes: ['INVALID'],
    },
  },
  'Mutation.revokeApiToken': {
    expect: staffOnly('apiToken'),
    document: `mutation ($input: RevokeApiTokenInput!) {
      revokeApiToken(input: $input) { apiToken { id revokedAt } userErrors { code } }
    }`,
    variables: (target) => ({ input: { id: target.apiToken } }),
    shows: (response, target) =>
      payload<{ apiToken?: { id: string } | null }>(response, 'revokeApiToken').apiToken?.id === target.apiToken,
    mutation: {
      state: (db, target) =>
        db.selectFrom('api_tokens').select('revoked_at').where('id', '=', target.apiTokenId).executeTakeFirstOrThrow(),
      reset: async (db, target) => {
        await db.updateTable('api_tokens').set({ revoked_at: null }).where('id', '=', target.apiTokenId).execute();
      },
    },
  },

  'Mutation.openCase': {
    // Given to the owner of the target's case (a district admin, of no school, cannot own a case): a form master
    // may not give one to the pastoral lead.
    expect: staffOnly('student', leadsCase),
    document: `mutation ($input: OpenCaseInput!) {
      openCase(input: $input) { case { id student { id } } userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        studentId: target.student,
        title: 'Opened by the authorization matrix',
        category: 'WELLBEING',
        assignedToId: target.owner,
      },
    }),
    shows: (response, target) =>
      payload<{ case?: { student: { id: string } } | null }>(response, 'openCase').case?.student.id === target.student,
    mutation: { state: casesOfStudent, refusedCode: 'INVALID' },
  },
  'Mutation.updateCase': {
    // A form master sees the lead's case about their own student, and may not retitle (or take) it.
    expect: staffOnly('case', leadsCase),
    document: `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) { case { id version } userErrors { code } } }`,
    variables: (target) => ({
      input: { id: target.case, expectedVersion: 1, title: 'Retitled by the authorization matrix' },
    }),
    shows: (response, target) =>
      payload<{ case?: { id: string } | null }>(response, 'updateCase').case?.id === target.case,
    mutation: caseChange,
  },
  'Mutation.changeCaseStatus': {
    expect: staffOnly('case', leadsCase),
    document: `mutation ($input: ChangeCaseStatusInput!) {
      changeCaseStatus(input: $input) { case { id status } userErrors { code } }
    }`,
    variables: (target) => ({ input: { id: target.case, expectedVersion: 1, status: 'IN_PROGRESS' } }),
    shows: (response, target) =>
      payload<{ case?: { id: string } | null }>(response, 'changeCaseStatus').case?.id === target.case,
    mutation: caseChange,
  },
  'Mutation.addCaseNote': {
    // A note is everyone's who sees the case, the lead's case included.
    expect: staffOnly('case'),
    document: `mutation ($input: AddCaseNoteInput!) {
      addCaseNote(input: $input) { event { id } case { id } userErrors { code } }
    }`,
    variables: (target) => ({ input: { caseId: target.case, body: 'A note from the authorization matrix.' } }),
    shows: (response, target) =>
      payload<{ case?: { id: string } | null }>(response, 'addCaseNote').case?.id === target.case,
    mutation: {
      state: (db, target) =>
        countOf(
          db
            .selectFrom('case_events')
            .select((eb) => eb.fn.countAll().as('count'))
            .where('case_id', '=', target.caseId)
            .executeTakeFirstOrThrow(),
        ),
    },
  },

  // The integrators' writes name the school by code; a school's token must write to its own school whatever
  // code it sends, so each call names the target's school.
  'Mutation.recordAttendance': {
    expect: tokensOnly('attendance:write'),
    document: `mutation ($input: RecordAttendanceInput!) {
      recordAttendance(input: $input) { recorded userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [{ studentExternalId: target.externalId, date: INGEST_DAY, status: 'LATE' }],
      },
    }),
    shows: (response) => payload<{ recorded?: number }>(response, 'recordAttendance').recorded === 1,
    mutation: {
      state: (db, target) =>
        db
          .selectFrom('attendance_records')
          .selectAll()
          .where('student_id', '=', target.studentId)
          .where('date', '=', INGEST_DAY)
          .executeTakeFirst(),
      reset: async (db, target) => {
        await db
          .deleteFrom('attendance_records')
          .where('student_id', '=', target.studentId)
          .where('date', '=', INGEST_DAY)
          .execute();
      },
    },
  },
  'Mutation.recordBehaviourIncidents': {
    expect: tokensOnly('behaviour:write'),
    document: `mutation ($input: RecordBehaviourIncidentsInput!) {
      recordBehaviourIncidents(input: $input) { recorded userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [
          {
            externalId: INGEST_MARKER,
            studentExternalId: target.externalId,
            occurredOn: INGEST_DAY,
            category: 'DISRUPTION',
            severity: 'MINOR',
          },
        ],
      },
    }),
    shows: (response) => payload<{ recorded?: number }>(response, 'recordBehaviourIncidents').recorded === 1,
    mutation: {
      state: (db, target) =>
        db
          .selectFrom('behaviour_incidents')
          .selectAll()
          .where('student_id', '=', target.studentId)
          .where('external_id', '=', INGEST_MARKER)
          .executeTakeFirst(),
      reset: async (db) => {
        await db.deleteFrom('behaviour_incidents').where('external_id', '=', INGEST_MARKER).execute();
      },
    },
  },
  'Mutation.recordAssessmentResults': {
    expect: tokensOnly('assessments:write'),
    document: `mutation ($input: RecordAssessmentResultsInput!) {
      recordAssessmentResults(input: $input) { recorded userErrors { code } }
    }`,
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [
          { studentExternalId: target.externalId, subject: INGEST_MARKER, term: '2024-AUT', score: 50, passing: true },
        ],
      },
    }),
    shows: (response) => payload<{ recorded?: number }>(response, 'recordAssessmentResults').recorded === 1,
    mutation: {
      state: (db, target) =>
        db
          .selectFrom('assessment_results')
          .selectAll()
          .where('student_id', '=', target.studentId)
          .where('subject', '=', INGEST_MARKER)
          .executeTakeFirst(),
      reset: async (db, target) => {
        await db
          .deleteFrom('assessment_results')
          .where('student_id', '=', target.studentId)
          .where('subject', '=', INGEST_MARKER)
          .execute();
      },
    },
  },
  'Mutation.upsertStudents': {
    expect: tokensOnly('roster:write'),
    document: `mutation ($input: UpsertStudentsInput!) {
      upsertStudents(input: $input) { created updated userErrors { code } }
    }`,
    // The target as the school information system has them, with a date of birth they do not have yet.
    variables: (target) => ({
      input: {
        schoolCode: target.schoolCode,
        records: [
          {
            externalId: target.externalId,
            givenName: target.givenName,
            familyName: target.familyName,
            classroomName: target.classroomName,
            dateOfBirth: '2011-01-01',
          },
        ],
      },
    }),
    shows: (response) => payload<{ updated?: number }>(response, 'upsertStudents').updated === 1,
    mutation: {
      state: (db, target) =>
        db.selectFrom('students').selectAll().where('id', '=', target.studentId).executeTakeFirst(),
      reset: (db, target) => restore(db, 'students', target.rowsAsMade.student),
    },
  },
};

/** The schema's root fields, as `Query.name` and `Mutation.name`, in the schema's order. */
function rootFields(): string[] {
  const schema = buildSchema();
  return [
    ...Object.keys(schema.getQueryType()?.getFields() ?? {}).map((name) => `Query.${name}`),
    ...Object.keys(schema.getMutationType()?.getFields() ?? {}).map((name) => `Mutation.${name}`),
  ];
}
const ROOT_FIELDS = rootFields();

describe('the authorization matrix covers the schema', () => {
  it.each(ROOT_FIELDS)('%s has an entry', (field) => {
    expect(
      ENTRIES[field],
      `${field} has no entry in the authorization matrix: add one to ENTRIES in authorization-matrix.test.ts ` +
        'saying who may call it and what they see',
    ).toBeDefined();
  });

  it('has no entry for a root field the schema no longer has', () => {
    const stale = Object.keys(ENTRIES).filter((field) => !ROOT_FIELDS.includes(field));
    expect(stale, `entries without a root field (remove them from ENTRIES): ${stale.join(', ')}`).toEqual([]);
  });
});

// ---- The matrix, on each engine ---------------------------------------------------------------------------

for (const engine of testEngines()) {
  describe(`the authorization matrix on ${engine.name}`, () => {
    let api: ApiHarness;
    let db: Db;
    let fixture: AuthorizationFixture;

    const cells = { count: 0 };

    beforeAll(async () => {
      api = await startApiHarness(engine);
      db = api.database.handle.db;
      fixture = await makeAuthorizationFixture(api);
    });
    afterAll(async () => {
      console.log(
        `the authorization matrix on ${engine.name}: ${cells.count} cells (${ROOT_FIELDS.length} root fields)`,
      );
      await api?.close();
    });

    /** The last audit entry's sequence number: a call that writes none leaves it as it was. */
    const lastAuditSequence = async () =>
      Number(
        (
          await db
            .selectFrom('audit_log')
            .select((eb) => eb.fn.max('seq').as('seq'))
            .executeTakeFirstOrThrow()
        ).seq ?? 0,
      );
    /** The actions of the entries written after `seq`. */
    const actionsSince = async (seq: number) =>
      (await db.selectFrom('audit_log').select('action').where('seq', '>', seq).orderBy('seq').execute()).map(
        (entry) => entry.action,
      );

    /**
     * Where the count of `principal`'s refused accesses stands (access-refusals.ts): its window and count, which
     * every refusal moves on and nothing else does.
     */
    const refusalCount = async (principal: Principal) => {
      if (principal.kind === 'anonymous') return null;
      const who =
        principal.kind === 'staff'
          ? `user:${fromGlobalId((await meOf(principal))!)!.key.id}`
          : `token:${fixture.tokenIds.get(principal.name)}`;
      const row = await db
        .selectFrom('audit_summaries')
        .select(['window_started_at', 'occurrences'])
        .where('summary_key', '=', fitKey(`access.refused:${who}`))
        .executeTakeFirst();
      return row ? `${row.window_started_at} ${row.occurrences}` : null;
    };
    const staffIds = new Map<Role, string>();
    const meOf = async (principal: Principal & { kind: 'staff' }) => {
      if (!staffIds.has(principal.role)) {
        const user = await db
          .selectFrom('users')
          .select('id')
          .where('email', '=', STAFF_EMAILS[principal.role])
          .executeTakeFirstOrThrow();
        staffIds.set(principal.role, toGlobalId('User', user.id));
      }
      return staffIds.get(principal.role);
    };

    /** How `principal` makes a call: staff with a session of its own for a call that ends it. */
    async function caller(principal: Principal, entry: MatrixEntry) {
      const cookie =
        principal.kind === 'staff' && entry.mutation?.endsSession
          ? await api.signIn(STAFF_EMAILS[principal.role])
          : undefined;
      const send = sender(api, fixture, principal, cookie);
      return (variables: Record<string, unknown>) => send(entry.document, variables);
    }

    for (const field of ROOT_FIELDS) {
      const entry = ENTRIES[field];
      if (!entry) continue;
      const [, name] = field.split('.') as [string, string];
      describe(field, () => {
        it.each(PRINCIPALS.map((principal) => [principal.name, principal] as const))('as %s', async (_, principal) => {
          for (const targetName of TARGETS) {
            const target = fixture.targets[targetName];
            const expected = entry.expect(principal, targetName);
            const cell = `${field} as ${principal.name} about the ${targetName} target (expected ${expected})`;
            cells.count += 1;
            const mutation = entry.mutation;
            await mutation?.reset?.(db, target);
            const send = await caller(principal, entry);
            const before = mutation ? await mutation.state(db, target) : undefined;
            const auditBefore = mutation ? await lastAuditSequence() : 0;
            const refusalsBefore = await refusalCount(principal);
            const response = await send(entry.variables(target));
            const answer = `${cell}: ${response.status} ${JSON.stringify(response.body).slice(0, 400)}`;
            const errorCodes = (response.body.errors ?? []).map((error) => error.extensions?.code);

            if (expected === 'unauthenticated' || expected === 'forbidden') {
              expect.soft(response.status, answer).toBe(expected === 'unauthenticated' ? 401 : 403);
              expect
                .soft(errorCodes, answer)
                .toEqual([expected === 'unauthenticated' ? 'UNAUTHENTICATED' : 'FORBIDDEN']);
              expect.soft(response.body.data ?? null, answer).toBeNull();
            } else {
              expect.soft(response.status, answer).toBe(200);
              expect.soft(response.body.errors, answer).toBeUndefined();
              expect.soft(entry.shows(response, target, principal), answer).toBe(expected === 'shown');
              if (mutation && (expected === 'hidden' || expected === 'refused')) {
                const codes = payload<{ userErrors?: { code: string }[] }>(response, name).userErrors?.map(
                  (e) => e.code,
                );
                expect.soft(codes?.length, `${answer}: a refusal says why`).toBeGreaterThan(0);
                const allowed =
                  expected === 'refused' ? [mutation.refusedCode] : (mutation.refusalCodes ?? ['NOT_FOUND']);
                for (const code of codes ?? []) expect.soft(allowed, answer).toContain(code);
              }
            }

            // A refusal is on the record (counted into the principal's summary): a 403, or an id of another school
            // sent by someone of one school. Nothing else is.
            const schoolScoped =
              (principal.kind === 'staff' && principal.role !== 'DISTRICT_ADMIN') ||
              (principal.kind === 'token' && !principal.districtWide);
            const refusal =
              principal.kind !== 'anonymous' &&
              (expected === 'forbidden' || (schoolScoped && namesSchool2(entry.variables(target))));
            expect
              .soft((await refusalCount(principal)) !== refusalsBefore, `${cell}: the refusal is recorded`)
              .toBe(refusal);

            // No record of a target the principal does not see, anywhere in the answer.
            expectNothingUnseen(fixture, principal, response, answer);

            if (mutation) {
              const after = await mutation.state(db, target);
              if (expected === 'shown') {
                expect.soft(after, `${cell}: the change is made`).not.toEqual(before);
              } else {
                expect.soft(after, `${cell}: nothing changed`).toEqual(before);
                // Nothing but the refusal itself, if it is one to record (below), and by design a failed sign-in.
                const written = (await actionsSince(auditBefore)).filter((action) => action !== 'access.refused');
                const auditedByDesign = expected === 'hidden' && mutation.auditsRefusals === true;
                expect
                  .soft(written.length > 0, `${cell}: an audit entry was written (${written.join(', ')})`)
                  .toBe(auditedByDesign);
              }
            }
          }
          if (entry.mutation?.endsOtherSessions && principal.kind === 'staff') {
            fixture.cookies[principal.role] = await api.signIn(STAFF_EMAILS[principal.role]);
          }
        });
      });
    }
  });
}
