/**
 * Who asks and about whom, for the authorization tests (authorization-matrix.test.ts: every root field;
 * authorization-paths.test.ts: every path into an object). The principals are nobody, each staff role, and an
 * API token of every scope for school 1 and for the district. The targets are students made so that every kind
 * of visibility is tried:
 *
 * - `own`: a student of the form master's classroom, whose case and alerts are the form master's;
 * - `leads`: a student of the form master's classroom whose case the pastoral lead owns (the form master sees
 *   it, and may not take or change it);
 * - `assigned`: a student of another classroom of school 1 whose case is assigned to the form master, while the
 *   student's alerts go to their own form master (the form master sees the student and the case, never the
 *   alerts, whichever path leads to them);
 * - `otherClassroom`: a student of another classroom of school 1 with nothing of the form master's;
 * - `otherSchool`: a student of school 2.
 *
 * Each target has a NEW alert (for triage), a case opened from a second alert (so InterventionCase.alerts has
 * one), the case's OPENED event, an audit entry about the case, and a school-1 or school-2 API token.
 * `sees` says, by hand, which of them each principal may see: the tests hold the server to it.
 */
import {
  API_TOKEN_SCOPES,
  type Alert,
  type ApiTokenScope,
  type Database,
  type InterventionCase,
  type Role,
  ROLES,
  type Student,
  toTimestamp,
} from '@pastoral/db';
import type { Kysely } from 'kysely';
import { fromGlobalId, toGlobalId } from '../graphql/relay.ts';
import { schoolKeyOf } from '../school-scope.ts';
import { scopeName } from '../modules/api-tokens/api-token.ts';
import { expect } from 'vitest';
import type { ApiHarness, GraphQLResponse } from './api-harness.ts';

export type Target = 'own' | 'leads' | 'assigned' | 'otherClassroom' | 'otherSchool';
export const TARGETS: readonly Target[] = ['own', 'leads', 'assigned', 'otherClassroom', 'otherSchool'];

export const STAFF_EMAILS: Record<Role, string> = {
  FORM_MASTER: 'form.master@s01.pastoral.example',
  PASTORAL_LEAD: 'pastoral.lead@s01.pastoral.example',
  SCHOOL_ADMIN: 'school.admin@s01.pastoral.example',
  DISTRICT_ADMIN: 'district.admin@pastoral.example',
};

export type Principal =
  | { kind: 'anonymous'; name: string }
  | { kind: 'staff'; name: string; role: Role }
  | { kind: 'token'; name: string; scope: ApiTokenScope; districtWide: boolean };

export const PRINCIPALS: readonly Principal[] = [
  { kind: 'anonymous', name: 'anonymous' },
  ...ROLES.map((role): Principal => ({ kind: 'staff', name: role, role })),
  ...API_TOKEN_SCOPES.flatMap((scope): Principal[] => [
    { kind: 'token', name: `${scope} token of school 1`, scope, districtWide: false },
    { kind: 'token', name: `district-wide ${scope} token`, scope, districtWide: true },
  ]),
];

/** The records of a target, by what they are. */
export type ObjectKind =
  | 'student'
  | 'case'
  | 'caseEvent'
  | 'alert'
  | 'linkedAlert'
  | 'classroom'
  | 'school'
  | 'formMaster'
  | 'auditEntry'
  | 'apiToken';

const inSchool1 = (target: Target) => target !== 'otherSchool';

/** The scope a token needs to see each kind of record; null for any token (a school's reference data). */
const TOKEN_SCOPE: Record<ObjectKind, ApiTokenScope | null | 'never'> = {
  student: 'students:read',
  case: 'cases:read',
  caseEvent: 'cases:read',
  alert: 'alerts:read',
  linkedAlert: 'alerts:read',
  classroom: null,
  school: null,
  formMaster: null,
  auditEntry: 'audit:read',
  // A token sees only itself, never another token.
  apiToken: 'never',
};

/** What a form master sees of each target, by hand (see the header). */
const FORM_MASTER_SEES: Record<Target, ObjectKind[]> = {
  own: ['student', 'case', 'caseEvent', 'alert', 'linkedAlert', 'classroom', 'school', 'formMaster'],
  leads: ['student', 'case', 'caseEvent', 'alert', 'linkedAlert', 'classroom', 'school', 'formMaster'],
  assigned: ['student', 'case', 'caseEvent', 'classroom', 'school', 'formMaster'],
  // Every classroom and member of staff of the school, by name; none of its students' records.
  otherClassroom: ['classroom', 'school', 'formMaster'],
  otherSchool: [],
};

/** Whether `principal` may see the `kind` record of `target`. */
export function sees(principal: Principal, target: Target, kind: ObjectKind): boolean {
  switch (principal.kind) {
    case 'anonymous':
      return false;
    case 'token': {
      if (!principal.districtWide && !inSchool1(target)) return false;
      const scope = TOKEN_SCOPE[kind];
      return scope === null || (scope !== 'never' && principal.scope === scope);
    }
    case 'staff':
      switch (principal.role) {
        case 'FORM_MASTER':
          return FORM_MASTER_SEES[target].includes(kind);
        case 'PASTORAL_LEAD':
          return inSchool1(target) && kind !== 'auditEntry' && kind !== 'apiToken';
        case 'SCHOOL_ADMIN':
          return inSchool1(target);
        case 'DISTRICT_ADMIN':
          return true;
      }
  }
}

/** Whether a token principal may write to the target's school (the integrators' mutations). */
export function reachesSchool(principal: Principal & { kind: 'token' }, target: Target): boolean {
  return principal.districtWide || inSchool1(target);
}

/** What one target is made of, as the requests name it and as the answers would show it. */
export interface TargetRecords {
  studentId: number;
  student: string;
  fullName: string;
  givenName: string;
  familyName: string;
  externalId: string;
  classroomId: number;
  classroom: string;
  classroomName: string;
  school: string;
  schoolCode: string;
  /** The form master of the student's classroom: who a concern about them goes to. */
  formMaster: string;
  formMasterEmail: string;
  /** Who owns the target's case. */
  owner: string;
  caseId: number;
  case: string;
  /** The case's first timeline entry (OPENED). */
  caseEvent: string;
  /** A NEW alert, for triage. */
  alertId: number;
  alert: string;
  /** The alert the case was opened from. */
  linkedAlert: string;
  /** The audit entry of the case's opening. */
  auditEntry: string;
  /** An API token of the student's school, for the fields that manage tokens. */
  apiTokenId: number;
  apiToken: string;
  /** The rows the mutations change, as they were when the targets were made: each cell starts from them. */
  rowsAsMade: { alert: Alert; case: InterventionCase; student: Student };
  /** The global id of each record, by kind. */
  ids: Record<ObjectKind, string>;
  /** What would give a record away in an answer's JSON: its global id, and the student's name if unique. */
  secrets: { kind: ObjectKind; text: string }[];
}

export interface AuthorizationFixture {
  cookies: Record<Role, string>;
  /** Each token principal's secret, by its name. */
  tokens: Map<string, string>;
  /** Each token principal's database id, by its name. */
  tokenIds: Map<string, number>;
  targets: Record<Target, TargetRecords>;
}

type Db = Kysely<Database>;

const countOf = async (query: Promise<{ count: number | string | bigint }>) => Number((await query).count);

/** Signs in every role, creates a token per token principal and makes the targets (see the header). */
export async function makeAuthorizationFixture(api: ApiHarness): Promise<AuthorizationFixture> {
  const db: Db = api.database.handle.db;
  const cookies = {} as Record<Role, string>;
  for (const role of ROLES) cookies[role] = await api.signIn(STAFF_EMAILS[role]);

  async function createToken(admin: Role, scopes: string[], schoolId: string | null) {
    const created = await api.graphql<{ createApiToken: { token: string | null; apiToken: { id: string } | null } }>(
      `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id } userErrors { message } } }`,
      { input: { name: `Authorization matrix ${scopes.join(' ')}`, scopes, schoolId } },
      cookies[admin],
    );
    const { token, apiToken } = created.body.data?.createApiToken ?? {};
    if (!token || !apiToken) throw new Error(`could not create a token: ${JSON.stringify(created.body)}`);
    return { token, id: apiToken.id };
  }
  const tokens = new Map<string, string>();
  const tokenIds = new Map<string, number>();
  for (const principal of PRINCIPALS) {
    if (principal.kind !== 'token') continue;
    const admin = principal.districtWide ? 'DISTRICT_ADMIN' : 'SCHOOL_ADMIN';
    const created = await createToken(admin, [scopeName(principal.scope)], null);
    tokens.set(principal.name, created.token);
    tokenIds.set(principal.name, fromGlobalId(created.id)!.key.id);
  }

  const userId = async (email: string) =>
    (await db.selectFrom('users').select('id').where('email', '=', email).executeTakeFirstOrThrow()).id;
  const formMasterId = await userId(STAFF_EMAILS.FORM_MASTER);
  const leadId = await userId(STAFF_EMAILS.PASTORAL_LEAD);
  const ownClassrooms = db
    .selectFrom('classroom_assignments')
    .select('classroom_id')
    .where('user_id', '=', formMasterId);
  /** The first active student with a risk profile (the dashboard lists by it) and nothing of the form master's. */
  const firstStudent = (query: ReturnType<typeof db.selectFrom<'students'>>, skip: number[] = []) =>
    query
      .selectAll('students')
      .where('students.is_active', '=', 1)
      .where('students.id', 'in', db.selectFrom('risk_profiles').select('student_id'))
      .where(
        'students.id',
        'not in',
        db.selectFrom('alerts').select('student_id').where('assigned_to', '=', formMasterId),
      )
      .where(
        'students.id',
        'not in',
        db.selectFrom('intervention_cases').select('student_id').where('assigned_to', '=', formMasterId),
      )
      .$if(skip.length > 0, (q) => q.where('students.id', 'not in', skip))
      .orderBy('students.id')
      .limit(1)
      .executeTakeFirstOrThrow();
  const ownStudents = await db
    .selectFrom('students')
    .selectAll()
    .where('classroom_id', 'in', ownClassrooms)
    .where('is_active', '=', 1)
    .where('id', 'in', db.selectFrom('risk_profiles').select('student_id'))
    .orderBy('id')
    .limit(2)
    .execute();
  const otherClassroom = await firstStudent(
    db.selectFrom('students').where('school_id', '=', 1).where('classroom_id', 'not in', ownClassrooms),
  );
  const students: Record<Target, Student> = {
    own: ownStudents[0]!,
    leads: ownStudents[1]!,
    otherClassroom,
    // Another classroom's student again, not the same one.
    assigned: await firstStudent(
      db
        .selectFrom('students')
        .where('school_id', '=', 1)
        .where('classroom_id', 'not in', ownClassrooms)
        .where('classroom_id', '!=', otherClassroom.classroom_id),
    ),
    otherSchool: await firstStudent(db.selectFrom('students').where('school_id', '=', 2)),
  };
  // Classroom names repeat from school to school (7A in each): the other school's classroom gets a name of its
  // own, so that a school-1 roster token naming that student can only be refused, never create a namesake.
  await db
    .updateTable('classrooms')
    .set({ name: 'S02-only' })
    .where('id', '=', students.otherSchool.classroom_id)
    .execute();

  const victims = {
    1: await createToken('DISTRICT_ADMIN', ['STUDENTS_READ'], toGlobalId('School', 1)),
    2: await createToken('DISTRICT_ADMIN', ['STUDENTS_READ'], toGlobalId('School', 2)),
  };
  const targets = {} as Record<Target, TargetRecords>;
  for (const target of TARGETS) {
    const student = students[target];
    const studentGlobalId = toGlobalId('Student', schoolKeyOf(student));
    const classroom = await db
      .selectFrom('classrooms')
      .innerJoin('schools', 'schools.id', 'classrooms.school_id')
      .innerJoin('classroom_assignments', 'classroom_assignments.classroom_id', 'classrooms.id')
      .innerJoin('users', 'users.id', 'classroom_assignments.user_id')
      .select(['classrooms.name', 'schools.code', 'users.id as formMasterId', 'users.email as formMasterEmail'])
      .where('classrooms.id', '=', student.classroom_id)
      .where('classroom_assignments.kind', '=', 'FORM_MASTER')
      .orderBy('classroom_assignments.id')
      .executeTakeFirstOrThrow();
    const ownerId =
      target === 'leads' ? leadId : target === 'own' || target === 'assigned' ? formMasterId : classroom.formMasterId;
    // Two concerns, raised as the school would (each goes to the classroom's form master): one stays NEW for
    // triage, the other opens the case, given to its owner.
    const raise = async () => {
      const raised = await api.graphql<{ raiseConcern: { alert: { id: string } | null } }>(
        `mutation ($input: RaiseConcernInput!) { raiseConcern(input: $input) { alert { id } userErrors { message } } }`,
        { input: { studentId: studentGlobalId, reason: 'A target of the authorization matrix.' } },
        cookies.DISTRICT_ADMIN,
      );
      const id = raised.body.data?.raiseConcern.alert?.id;
      if (!id) throw new Error(`could not raise a concern for the ${target} target: ${JSON.stringify(raised.body)}`);
      return id;
    };
    const alert = await raise();
    const linkedAlert = await raise();
    const escalated = await api.graphql<{
      escalateAlert: { case: { id: string; timeline: { nodes: { id: string }[] } } | null };
    }>(
      `mutation ($input: EscalateAlertInput!) {
        escalateAlert(input: $input) { case { id timeline(first: 1) { nodes { id } } } userErrors { message } }
      }`,
      {
        input: {
          alertIds: [linkedAlert],
          title: 'A target of the authorization matrix',
          assignedToId: toGlobalId('User', ownerId),
        },
      },
      cookies.DISTRICT_ADMIN,
    );
    const openedCase = escalated.body.data?.escalateAlert.case;
    if (!openedCase) throw new Error(`could not open the ${target} target's case: ${JSON.stringify(escalated.body)}`);
    const alertId = fromGlobalId(alert)!.key.id;
    const caseId = fromGlobalId(openedCase.id)!.key.id;
    const opening = await db
      .selectFrom('audit_log')
      .select(['id', 'school_id'])
      .where('action', '=', 'case.opened')
      .where('entity_id', '=', caseId)
      .executeTakeFirstOrThrow();
    const namesakes = await countOf(
      db
        .selectFrom('students')
        .select((eb) => eb.fn.countAll().as('count'))
        .where('full_name', '=', student.full_name)
        .executeTakeFirstOrThrow(),
    );
    const victim = victims[student.school_id === 1 ? 1 : 2];
    const ids: Record<ObjectKind, string> = {
      student: studentGlobalId,
      case: openedCase.id,
      caseEvent: openedCase.timeline.nodes[0]!.id,
      alert,
      linkedAlert,
      classroom: toGlobalId('Classroom', { schoolId: student.school_id, id: student.classroom_id }),
      school: toGlobalId('School', student.school_id),
      formMaster: toGlobalId('User', classroom.formMasterId),
      auditEntry: toGlobalId('AuditLogEntry', { schoolId: opening.school_id, id: Number(opening.id) }),
      apiToken: victim.id,
    };
    // Only what belongs to the target alone gives it away: its classroom, school and form master may be another
    // target's too.
    const own: ObjectKind[] = ['student', 'case', 'caseEvent', 'alert', 'linkedAlert', 'auditEntry'];
    targets[target] = {
      studentId: student.id,
      student: studentGlobalId,
      fullName: student.full_name,
      givenName: student.given_name,
      familyName: student.family_name,
      externalId: student.external_id,
      classroomId: student.classroom_id,
      classroom: ids.classroom,
      classroomName: target === 'otherSchool' ? 'S02-only' : classroom.name,
      school: ids.school,
      schoolCode: classroom.code,
      formMaster: ids.formMaster,
      formMasterEmail: classroom.formMasterEmail,
      owner: toGlobalId('User', ownerId),
      caseId,
      case: openedCase.id,
      caseEvent: ids.caseEvent,
      alertId,
      alert,
      linkedAlert,
      auditEntry: ids.auditEntry,
      apiTokenId: fromGlobalId(victim.id)!.key.id,
      apiToken: victim.id,
      rowsAsMade: {
        alert: await db.selectFrom('alerts').selectAll().where('id', '=', alertId).executeTakeFirstOrThrow(),
        case: await db.selectFrom('intervention_cases').selectAll().where('id', '=', caseId).executeTakeFirstOrThrow(),
        student,
      },
      ids,
      // Ids quoted, as whole JSON strings: one global id can begin another (Student:1, Student:10).
      secrets: [
        ...own.map((kind) => ({ kind, text: JSON.stringify(ids[kind]) })),
        ...(namesakes === 1 ? [{ kind: 'student' as const, text: student.full_name }] : []),
      ],
    };
    // Newly at risk, for the dashboard: worsened a moment ago, newer than anything seeded.
    await db
      .updateTable('risk_profiles')
      .set({ worsened_at: toTimestamp(new Date()) })
      .where('student_id', '=', student.id)
      .execute();
  }
  return { cookies, tokens, tokenIds, targets };
}

/**
 * How `principal` sends a document: nobody with no credential, a token with its bearer token, staff with their
 * session (or `cookie`, a session of its own for a call that ends it).
 */
export function sender(api: ApiHarness, fixture: AuthorizationFixture, principal: Principal, cookie?: string) {
  return (document: string, variables: Record<string, unknown>) => {
    switch (principal.kind) {
      case 'anonymous':
        return api.graphql(document, variables);
      case 'token':
        return api.graphqlWithToken(document, variables, fixture.tokens.get(principal.name)!);
      case 'staff':
        return api.graphql(document, variables, cookie ?? fixture.cookies[principal.role]);
    }
  };
}

/** Fails (softly) for each record of a target that `principal` does not see, found anywhere in the answer. */
export function expectNothingUnseen(
  fixture: AuthorizationFixture,
  principal: Principal,
  response: GraphQLResponse,
  answer: string,
): void {
  const text = JSON.stringify(response.body);
  for (const target of TARGETS) {
    for (const secret of fixture.targets[target].secrets) {
      if (sees(principal, target, secret.kind)) continue;
      expect
        .soft(text.includes(secret.text), `${answer}: it gives away the ${target} target's ${secret.kind}`)
        .toBe(false);
    }
  }
}
