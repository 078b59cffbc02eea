/**
 * What a cell of the authorization matrix expects, and the helpers its entries share: deciding a cell from who
 * asks and about which target, reading a target's rows and putting them back as they were made.
 */
import { type ApiTokenScope, type Database, type Role } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { fromGlobalId, toGlobalId } from '../../graphql/relay.ts';
import type { GraphQLResponse } from '../../testing/api-harness.ts';
import { buildSession } from '../../testing/factories.ts';
import {
  type ObjectKind,
  type Principal,
  reachesSchool,
  sees,
  type Target,
  type TargetRecords,
} from '../../testing/authorization-fixture.ts';

// ---- What each cell expects -------------------------------------------------------------------------------

/**
 * unauthenticated: 401 and no data. forbidden: 403 and no data. shown: the target in the answer (for a
 * mutation: the change made). hidden: answered as for a missing record (for a mutation: a refusal in
 * userErrors, nothing changed and nothing audited). refused: a mutation about a record the principal sees but
 * may not change: the entry's refusedCode in userErrors, nothing changed and nothing audited.
 */
export type Expected = 'unauthenticated' | 'forbidden' | 'shown' | 'hidden' | 'refused';
export type Decide = (principal: Principal, target: Target) => Expected;

/** Fields for signed-in staff only, about the target's record of `kind`; `refused` where a role sees but may not act. */
export const staffOnly =
  (kind: ObjectKind, refused: (role: Role, target: Target) => boolean = () => false): Decide =>
  (principal, target) => {
    if (principal.kind === 'anonymous') return 'unauthenticated';
    if (principal.kind === 'token') return 'forbidden';
    if (!sees(principal, target, kind)) return 'hidden';
    return refused(principal.role, target) ? 'refused' : 'shown';
  };

/** Fields staff read within their scope, and tokens holding `tokenScope` (or any token, for null). */
export const staffOrToken =
  (kind: ObjectKind, tokenScope: ApiTokenScope | null): Decide =>
  (principal, target) => {
    if (principal.kind !== 'token') return staffOnly(kind)(principal, target);
    if (tokenScope !== null && principal.scope !== tokenScope) return 'forbidden';
    return sees(principal, target, kind) ? 'shown' : 'hidden';
  };

/** Integrators' fields: tokens holding `tokenScope`, within their school; staff are refused. */
export const tokensOnly =
  (tokenScope: ApiTokenScope): Decide =>
  (principal, target) => {
    if (principal.kind === 'anonymous') return 'unauthenticated';
    if (principal.kind === 'staff' || principal.scope !== tokenScope) return 'forbidden';
    return reachesSchool(principal, target) ? 'shown' : 'hidden';
  };

/** A form master sees the pastoral lead's case about their own student, and may not take or change it. */
export const leadsCase = (role: Role, target: Target) => role === 'FORM_MASTER' && target === 'leads';

export type Db = Kysely<Database>;

export interface MatrixEntry {
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
export function namesSchool2(value: unknown): boolean {
  if (typeof value === 'string') return fromGlobalId(value)?.key.schoolId === 2;
  if (Array.isArray(value)) return value.some(namesSchool2);
  if (value !== null && typeof value === 'object') return Object.values(value).some(namesSchool2);
  return false;
}

export const data = (response: GraphQLResponse) => (response.body.data ?? {}) as Record<string, unknown>;
/** The payload of mutation `field`. */
export const payload = <T>(response: GraphQLResponse, field: string) => (data(response)[field] ?? {}) as T;
export const idsOf = (connection: { nodes: { id: string }[] } | null | undefined) =>
  (connection?.nodes ?? []).map((node) => node.id);

/** Puts a target row back as it was when the targets were made. */
export async function restore(db: Db, table: 'alerts' | 'intervention_cases' | 'students', row: { id: number }) {
  const { id, ...columns } = row;
  await db.updateTable(table).set(columns).where('id', '=', id).execute();
}

export const countOf = async (query: Promise<{ count: number | string | bigint }>) => Number((await query).count);
export const alertRow = (db: Db, target: TargetRecords) =>
  db.selectFrom('alerts').selectAll().where('id', '=', target.alertId).executeTakeFirstOrThrow();
export const caseRow = (db: Db, target: TargetRecords) =>
  db.selectFrom('intervention_cases').selectAll().where('id', '=', target.caseId).executeTakeFirstOrThrow();
export const casesOfStudent = (db: Db, target: TargetRecords) =>
  countOf(
    db
      .selectFrom('intervention_cases')
      .select((eb) => eb.fn.countAll().as('count'))
      .where('student_id', '=', target.studentId)
      .executeTakeFirstOrThrow(),
  );

/** Alert triage: each call starts from the target alert as it was raised (NEW). */
export const triage = {
  state: alertRow,
  reset: (db: Db, target: TargetRecords) => restore(db, 'alerts', target.rowsAsMade.alert),
};
/** Case changes: each call starts from the target case as it was opened, at its first version. */
export const caseChange = {
  state: caseRow,
  reset: (db: Db, target: TargetRecords) => restore(db, 'intervention_cases', target.rowsAsMade.case),
  refusedCode: 'NOT_ALLOWED',
};

/** A day long before the seeded term: records of it are the test's own, and change nobody's risk now. */
export const INGEST_DAY = '2024-01-08';
export const INGEST_MARKER = 'AUTHZ_MATRIX';

/** Fields every member of staff calls about themselves: the target plays no part. */
export const everyMemberOfStaff: Decide = (principal) =>
  principal.kind === 'anonymous' ? 'unauthenticated' : principal.kind === 'token' ? 'forbidden' : 'shown';

export const sessionCount = (db: Db) =>
  countOf(
    db
      .selectFrom('sessions')
      .select((eb) => eb.fn.countAll().as('count'))
      .executeTakeFirstOrThrow(),
  );

/** A live session of each target's form master (by e-mail), made afresh for each cell that may end it. */
export const targetSessions = new Map<string, string>();

/** Ends the session made for `target`'s form master by an earlier cell, and makes a new one. */
export async function freshTargetSession(db: Db, target: TargetRecords): Promise<void> {
  const previous = targetSessions.get(target.formMasterEmail);
  if (previous) await db.deleteFrom('sessions').where('id', '=', fromGlobalId(previous)!.key.id).execute();
  const { row } = await buildSession(db, {
    user_id: fromGlobalId(target.formMaster)!.key.id,
    user_agent: 'Authorization matrix',
  });
  targetSessions.set(target.formMasterEmail, toGlobalId('Session', row.id));
}
