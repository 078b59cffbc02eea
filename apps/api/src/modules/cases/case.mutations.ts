/**
 * Opening and running cases: each mutation is one transaction with its timeline entries and audit entries;
 * expected failures come back as userErrors and change nothing.
 */
import {
  type CaseEvent,
  type CaseOutcome,
  type CaseEventTable,
  type CaseStatus,
  type Database,
  type EngineDialect,
  type InterventionCase,
  toDateOnly,
  toTimestamp,
} from '@pastoral/db';
import type { Insertable, Transaction } from 'kysely';
import { failure, inTransaction, type Outcome, requireText, success, userError } from '../../graphql/mutations.ts';
import type { SchoolKey } from '../../graphql/relay.ts';
import { bySchoolKeys } from '../../school-scope.ts';
import { appendAuditEntry, type AuditActor } from '../audit-log/audit.writer.ts';
import type { Viewer } from '../auth/viewer.ts';
import { onceForKey, userRequest } from '../idempotency/idempotency.ts';
import { visibleStudents } from '../students/student.policy.ts';
import { mayChangeCase, mayReassign, visibleCases } from './case.policy.ts';
import { allowedMoves, checkTransition } from './case.workflow.ts';

export const CASE_CATEGORIES = ['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC', 'WELLBEING'] as const;

export interface MutationContext {
  db: Parameters<typeof inTransaction>[0];
  dialect: EngineDialect;
  viewer: Viewer;
  actor: AuditActor;
  now: Date;
}

async function findVisibleCase(
  trx: Transaction<Database>,
  viewer: Viewer,
  key: SchoolKey,
  lock: boolean,
  dialect: EngineDialect,
) {
  return trx
    .selectFrom('intervention_cases')
    .selectAll()
    .where(bySchoolKeys('intervention_cases', [key]))
    .where(visibleCases(viewer))
    .$if(lock && dialect.rowLocks, (query) => query.forUpdate())
    .executeTakeFirst();
}

const caseNotFound = () => userError('NOT_FOUND', 'No such case, or it is not visible to you.', ['input', 'id']);
const notYours = () =>
  userError(
    'NOT_ALLOWED',
    "Only the case's owner, a pastoral lead or an admin can change this case; ask its owner or a pastoral lead.",
    ['input', 'id'],
  );

/** A case as it stands now, inside the transaction that changed it. */
function reread(trx: Transaction<Database>, key: SchoolKey): Promise<InterventionCase> {
  return trx
    .selectFrom('intervention_cases')
    .selectAll()
    .where(bySchoolKeys('intervention_cases', [key]))
    .executeTakeFirstOrThrow();
}

/** A staff member of the school who may own a case there. */
async function checkAssignee(
  trx: Transaction<Database>,
  viewer: Viewer,
  schoolId: number,
  assigneeId: number,
): Promise<Outcome<number>> {
  if (assigneeId !== viewer.user.id && !mayReassign(viewer)) {
    return failure(
      userError('INVALID', 'Only pastoral leads and admins can give a case to someone else.', [
        'input',
        'assignedToId',
      ]),
    );
  }
  const assignee = await trx
    .selectFrom('users')
    .select(['id', 'school_id', 'is_active'])
    .where('id', '=', assigneeId)
    .executeTakeFirst();
  if (!assignee || assignee.is_active !== 1 || assignee.school_id !== schoolId) {
    return failure(
      userError('INVALID', "A case's owner must be an active member of staff of the student's school.", [
        'input',
        'assignedToId',
      ]),
    );
  }
  return success(assignee.id);
}

export interface CaseFields {
  title?: string | null;
  category?: string | null;
  tier?: number | null;
  priority?: number | null;
  goal?: string | null;
  nextReviewAt?: string | null;
}

/** Validates the editable fields that are present; returns their column values. */
function validateFields(fields: CaseFields, today: string): Outcome<Partial<InterventionCase>> {
  const values: Partial<InterventionCase> = {};
  if (fields.title != null) {
    const title = requireText(fields.title, ['input', 'title'], 200);
    if (!title.ok) return title;
    values.title = title.value;
  }
  if (fields.category != null) {
    if (!(CASE_CATEGORIES as readonly string[]).includes(fields.category)) {
      return failure(
        userError('INVALID', `category must be one of ${CASE_CATEGORIES.join(', ')}.`, ['input', 'category']),
      );
    }
    values.category = fields.category;
  }
  if (fields.tier != null) {
    if (!Number.isInteger(fields.tier) || fields.tier < 1 || fields.tier > 3) {
      return failure(userError('INVALID', 'tier must be 1, 2 or 3.', ['input', 'tier']));
    }
    values.tier = fields.tier;
  }
  if (fields.priority != null) values.priority = fields.priority;
  if (fields.goal != null) {
    const goal = fields.goal.trim();
    if (goal.length > 2000)
      return failure(userError('INVALID', 'goal is longer than 2,000 characters.', ['input', 'goal']));
    values.goal = goal || null;
  }
  if (fields.nextReviewAt != null) {
    if (fields.nextReviewAt < today) {
      return failure(userError('INVALID', 'nextReviewAt must be today (UTC) or later.', ['input', 'nextReviewAt']));
    }
    values.next_review_at = fields.nextReviewAt;
  }
  return success(values);
}

/** The student's indicators now: the "before" of "did it work". */
async function baselineOf(trx: Transaction<Database>, student: SchoolKey, now: Date): Promise<string> {
  const profile = await trx
    .selectFrom('risk_profiles')
    .selectAll()
    .where(bySchoolKeys('risk_profiles', [student], 'student_id'))
    .executeTakeFirst();
  return JSON.stringify({
    capturedAt: toTimestamp(now),
    level: profile?.level ?? null,
    attendanceRate: profile?.attendance_rate ?? null,
    behaviourLevel: profile?.behaviour_level ?? null,
    courseworkLevel: profile?.coursework_level ?? null,
  });
}

export interface NewCase extends CaseFields {
  /** The student's school and id. */
  student: SchoolKey;
  title: string;
  category: string;
  assignedToId?: number | null;
}

/** Creates a case inside a transaction the caller holds (openCase, escalateAlert). */
export async function createCase(
  trx: Transaction<Database>,
  context: MutationContext,
  input: NewCase,
): Promise<Outcome<InterventionCase>> {
  const { viewer, now } = context;
  const student = await trx
    .selectFrom('students')
    .select(['id', 'school_id'])
    .where(bySchoolKeys('students', [input.student]))
    .where(visibleStudents(viewer))
    .executeTakeFirst();
  if (!student)
    return failure(userError('NOT_FOUND', 'No such student, or not one visible to you.', ['input', 'studentId']));
  const fields = validateFields(input, toDateOnly(now));
  if (!fields.ok) return fields;
  const assignee = await checkAssignee(trx, viewer, student.school_id, input.assignedToId ?? viewer.user.id);
  if (!assignee.ok) return assignee;
  const timestamp = toTimestamp(now);
  const inserted = await trx
    .insertInto('intervention_cases')
    .values({
      school_id: student.school_id,
      student_id: student.id,
      title: fields.value.title!,
      category: fields.value.category!,
      tier: fields.value.tier ?? 1,
      priority: fields.value.priority ?? 1,
      status: 'OPEN',
      outcome: null,
      goal: fields.value.goal ?? null,
      assigned_to: assignee.value,
      opened_by: viewer.user.id,
      next_review_at: fields.value.next_review_at ?? null,
      baseline: await baselineOf(trx, input.student, now),
      closed_at: null,
      created_at: timestamp,
      updated_at: timestamp,
    })
    .executeTakeFirstOrThrow();
  const caseId = Number(inserted.insertId);
  await recordCaseEvent(trx, {
    school_id: student.school_id,
    case_id: caseId,
    kind: 'OPENED',
    author_id: viewer.user.id,
    to_status: 'OPEN',
    to_user_id: assignee.value,
    created_at: timestamp,
  });
  const created = await reread(trx, { schoolId: student.school_id, id: caseId });
  const { student: _key, ...fieldsGiven } = input;
  await appendAuditEntry(
    trx,
    context.dialect,
    context.actor,
    {
      action: 'case.opened',
      schoolId: student.school_id,
      caseId,
      studentId: student.id,
      changes: { ...fieldsGiven, studentId: student.id },
      assignees: [assignee.value],
    },
    now,
  );
  return success(created);
}

export async function openCase(
  context: MutationContext,
  input: NewCase & { idempotencyKey?: string | null },
): Promise<Outcome<InterventionCase>> {
  const { idempotencyKey, ...fields } = input;
  return inTransaction(context.db, (trx) =>
    onceForKey(trx, context.dialect, userRequest(context, 'openCase', idempotencyKey, fields), {
      work: () => createCase(trx, context, fields),
      remember: (created) => ({ schoolId: created.school_id, caseId: created.id }),
      replay: ({ schoolId, caseId }: { schoolId: number; caseId: number }) => reread(trx, { schoolId, id: caseId }),
    }),
  );
}

export interface CaseUpdate extends CaseFields {
  /** The case's school and id. */
  key: SchoolKey;
  expectedVersion: number;
  assignedToId?: number | null;
}

/** Applies a change only if the case is still at the version the client read: no update is ever lost. */
async function bumpVersion(
  trx: Transaction<Database>,
  key: SchoolKey,
  expectedVersion: number,
  values: Partial<InterventionCase>,
  now: Date,
): Promise<boolean> {
  const result = await trx
    .updateTable('intervention_cases')
    .set((eb) => ({ ...values, updated_at: toTimestamp(now), version: eb('version', '+', 1) }))
    .where(bySchoolKeys('intervention_cases', [key]))
    .where('version', '=', expectedVersion)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

function staleVersion(current: InterventionCase, expected: number) {
  return userError(
    'STALE_VERSION',
    `The case changed since you read it (your version ${expected}, now ${current.version}); reload it and try again.`,
    ['input', 'expectedVersion'],
  );
}

export async function updateCase(context: MutationContext, input: CaseUpdate): Promise<Outcome<InterventionCase>> {
  return inTransaction(context.db, async (trx) => {
    const current = await findVisibleCase(trx, context.viewer, input.key, true, context.dialect);
    if (!current) return failure(caseNotFound());
    if (!mayChangeCase(context.viewer, current)) return failure(notYours());
    if (current.version !== input.expectedVersion) return failure(staleVersion(current, input.expectedVersion));
    const fields = validateFields(input, toDateOnly(context.now));
    if (!fields.ok) return fields;
    const values: Partial<InterventionCase> = { ...fields.value };
    const reassigned = input.assignedToId != null && input.assignedToId !== current.assigned_to;
    if (reassigned) {
      const assignee = await checkAssignee(trx, context.viewer, current.school_id, input.assignedToId!);
      if (!assignee.ok) return assignee;
      values.assigned_to = assignee.value;
    }
    const changed = Object.fromEntries(
      Object.entries(values).filter(([column, value]) => current[column as keyof InterventionCase] !== value),
    );
    if (Object.keys(changed).length === 0) return success(current);
    if (!(await bumpVersion(trx, input.key, input.expectedVersion, changed, context.now))) {
      return failure(staleVersion(current, input.expectedVersion));
    }
    const timestamp = toTimestamp(context.now);
    const { assigned_to: newOwner, ...details } = changed;
    const assignees = [current.assigned_to, newOwner === undefined ? current.assigned_to : Number(newOwner)];
    if (newOwner !== undefined) {
      await recordCaseEvent(trx, {
        school_id: current.school_id,
        case_id: current.id,
        kind: 'REASSIGNED',
        author_id: context.viewer.user.id,
        from_user_id: current.assigned_to,
        to_user_id: Number(newOwner),
        created_at: timestamp,
      });
    }
    if (Object.keys(details).length > 0) {
      await recordCaseEvent(trx, {
        school_id: current.school_id,
        case_id: current.id,
        kind: 'UPDATED',
        author_id: context.viewer.user.id,
        body: Object.keys(details).join(', '),
        created_at: timestamp,
      });
    }
    const updated = await reread(trx, input.key);
    // The audit entries last: appending locks the chain head until the commit.
    if (newOwner !== undefined) {
      await appendAuditEntry(
        trx,
        context.dialect,
        context.actor,
        {
          action: 'case.reassigned',
          schoolId: current.school_id,
          caseId: current.id,
          studentId: current.student_id,
          changes: { from: current.assigned_to, to: newOwner },
          assignees,
        },
        context.now,
      );
    }
    if (Object.keys(details).length > 0) {
      await appendAuditEntry(
        trx,
        context.dialect,
        context.actor,
        {
          action: 'case.updated',
          schoolId: current.school_id,
          caseId: current.id,
          studentId: current.student_id,
          changes: Object.fromEntries(
            Object.entries(details).map(([column, value]) => [
              column,
              { from: current[column as keyof InterventionCase], to: value },
            ]),
          ),
          assignees,
        },
        context.now,
      );
    }
    return success(updated);
  });
}

export async function changeCaseStatus(
  context: MutationContext,
  input: { key: SchoolKey; expectedVersion: number; status: CaseStatus; outcome: CaseOutcome | null },
): Promise<Outcome<InterventionCase>> {
  return inTransaction(context.db, async (trx) => {
    const current = await findVisibleCase(trx, context.viewer, input.key, true, context.dialect);
    if (!current) return failure(caseNotFound());
    if (!mayChangeCase(context.viewer, current)) return failure(notYours());
    if (current.version !== input.expectedVersion) return failure(staleVersion(current, input.expectedVersion));
    const from = current.status as CaseStatus;
    const check = checkTransition(from, input.status, input.outcome);
    if (!check.ok) return failure(userError(check.code, check.message, ['input', check.field]));
    const timestamp = toTimestamp(context.now);
    const closing = input.status === 'CLOSED';
    const moved = await bumpVersion(
      trx,
      input.key,
      input.expectedVersion,
      { status: input.status, outcome: closing ? input.outcome : null, closed_at: closing ? timestamp : null },
      context.now,
    );
    if (!moved) return failure(staleVersion(current, input.expectedVersion));
    await recordCaseEvent(trx, {
      school_id: current.school_id,
      case_id: current.id,
      kind: 'STATUS_CHANGED',
      author_id: context.viewer.user.id,
      body: closing ? `Outcome: ${input.outcome}` : null,
      from_status: from,
      to_status: input.status,
      created_at: timestamp,
    });
    const changedCase = await reread(trx, input.key);
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      {
        action: 'case.status_changed',
        schoolId: current.school_id,
        caseId: current.id,
        studentId: current.student_id,
        changes: { from, to: input.status, ...(closing ? { outcome: input.outcome } : {}) },
        assignees: [current.assigned_to],
      },
      context.now,
    );
    return success(changedCase);
  });
}

export async function addCaseNote(
  context: MutationContext,
  input: { caseKey: SchoolKey; body: string; restricted: boolean },
): Promise<Outcome<{ case: InterventionCase; event: CaseEvent }>> {
  return inTransaction(context.db, async (trx) => {
    const current = await findVisibleCase(trx, context.viewer, input.caseKey, false, context.dialect);
    if (!current)
      return failure(userError('NOT_FOUND', 'No such case, or it is not visible to you.', ['input', 'caseId']));
    const body = requireText(input.body, ['input', 'body'], 10_000);
    if (!body.ok) return body;
    const timestamp = toTimestamp(context.now);
    const eventId = await recordCaseEvent(trx, {
      school_id: current.school_id,
      case_id: current.id,
      kind: 'NOTE',
      author_id: context.viewer.user.id,
      body: body.value,
      restricted: input.restricted ? 1 : 0,
      created_at: timestamp,
    });
    await trx
      .updateTable('intervention_cases')
      .set({ updated_at: timestamp })
      .where(bySchoolKeys('intervention_cases', [input.caseKey]))
      .execute();
    const updated = await reread(trx, input.caseKey);
    const event = await trx
      .selectFrom('case_events')
      .selectAll()
      .where(bySchoolKeys('case_events', [{ schoolId: current.school_id, id: eventId }]))
      .executeTakeFirstOrThrow();
    // The note's text stays out of the audit log: a restricted note must not leak through it.
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      {
        action: 'case.note_added',
        schoolId: current.school_id,
        caseId: current.id,
        studentId: current.student_id,
        changes: { noteId: eventId, restricted: input.restricted },
        assignees: [current.assigned_to],
      },
      context.now,
    );
    return success({ case: updated, event });
  });
}

export { allowedMoves };

type CaseEventOptionalColumn = 'body' | 'restricted' | 'from_status' | 'to_status' | 'from_user_id' | 'to_user_id';

/** Appends one entry to a case's timeline; the columns its kind does not use stay null. */
async function recordCaseEvent(
  trx: Transaction<Database>,
  event: Omit<Insertable<CaseEventTable>, CaseEventOptionalColumn> &
    Partial<Pick<Insertable<CaseEventTable>, CaseEventOptionalColumn>>,
): Promise<number> {
  const inserted = await trx
    .insertInto('case_events')
    .values({ body: null, from_status: null, to_status: null, from_user_id: null, to_user_id: null, ...event })
    .executeTakeFirstOrThrow();
  return Number(inserted.insertId);
}
