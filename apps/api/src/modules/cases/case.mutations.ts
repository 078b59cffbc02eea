/**
 * Opening and running cases: each mutation is one transaction with its timeline entries and audit entries;
 * expected failures come back as userErrors and change nothing. Who may do what is case.policy.ts's to say, the
 * lifecycle case.workflow.ts's, the fields' rules case.validation.ts's; the SQL is case.repository.ts's.
 */
import {
  type CaseEvent,
  type CaseOutcome,
  type CaseStatus,
  type Database,
  type InterventionCase,
  toDateOnly,
  toTimestamp,
} from '@pastoral/db';
import type { Transaction } from 'kysely';
import type { MutationContext } from '../../context.ts';
import { failure, inTransaction, type Outcome, requireText, success, userError } from '../../graphql/mutations.ts';
import type { SchoolKey } from '../../school-scope.ts';
import { appendAuditEntry } from '../audit-log/audit.writer.ts';
import type { Viewer } from '../auth/viewer.ts';
import { onceForKey, userRequest } from '../idempotency/idempotency.ts';
import { mayAddCaseNote, mayChangeCase, mayOpenCase, mayReassign } from './case.policy.ts';
import {
  baselineOf,
  bumpCaseVersion,
  caseEventByKey,
  findAssignee,
  findVisibleCase,
  findVisibleStudent,
  insertCase,
  recordCaseEvent,
  rereadCase,
  touchCase,
} from './case.repository.ts';
import { type CaseFields, validateCaseFields } from './case.validation.ts';
import { checkTransition } from './case.workflow.ts';

const caseNotFound = (field = 'id') =>
  userError('NOT_FOUND', 'No such case, or it is not visible to you.', ['input', field]);
const notYours = (field = 'id') =>
  userError(
    'NOT_ALLOWED',
    "Only the case's owner, a pastoral lead or an admin can change this case; ask its owner or a pastoral lead.",
    ['input', field],
  );

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
  const assignee = await findAssignee(trx, assigneeId);
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
  const student = await findVisibleStudent(trx, viewer, input.student);
  if (!student || !mayOpenCase(viewer))
    return failure(userError('NOT_FOUND', 'No such student, or not one visible to you.', ['input', 'studentId']));
  const fields = validateCaseFields(input, toDateOnly(now));
  if (!fields.ok) return fields;
  const assignee = await checkAssignee(trx, viewer, student.school_id, input.assignedToId ?? viewer.user.id);
  if (!assignee.ok) return assignee;
  const timestamp = toTimestamp(now);
  const caseId = await insertCase(trx, {
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
  });
  await recordCaseEvent(trx, {
    school_id: student.school_id,
    case_id: caseId,
    kind: 'OPENED',
    author_id: viewer.user.id,
    to_status: 'OPEN',
    to_user_id: assignee.value,
    created_at: timestamp,
  });
  const created = await rereadCase(trx, { schoolId: student.school_id, id: caseId });
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
      replay: ({ schoolId, caseId }: { schoolId: number; caseId: number }) => rereadCase(trx, { schoolId, id: caseId }),
    }),
  );
}

export interface CaseUpdate extends CaseFields {
  /** The case's school and id. */
  key: SchoolKey;
  expectedVersion: number;
  assignedToId?: number | null;
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
    const current = await findVisibleCase(trx, context.viewer, input.key, context.dialect);
    if (!current) return failure(caseNotFound());
    if (!mayChangeCase(context.viewer, current)) return failure(notYours());
    if (current.version !== input.expectedVersion) return failure(staleVersion(current, input.expectedVersion));
    const fields = validateCaseFields(input, toDateOnly(context.now));
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
    if (!(await bumpCaseVersion(trx, input.key, input.expectedVersion, changed, context.now))) {
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
    const updated = await rereadCase(trx, input.key);
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
    const current = await findVisibleCase(trx, context.viewer, input.key, context.dialect);
    if (!current) return failure(caseNotFound());
    if (!mayChangeCase(context.viewer, current)) return failure(notYours());
    if (current.version !== input.expectedVersion) return failure(staleVersion(current, input.expectedVersion));
    const from = current.status as CaseStatus;
    const check = checkTransition(from, input.status, input.outcome);
    if (!check.ok) return failure(userError(check.code, check.message, ['input', check.field]));
    const timestamp = toTimestamp(context.now);
    const closing = input.status === 'CLOSED';
    const moved = await bumpCaseVersion(
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
    const changedCase = await rereadCase(trx, input.key);
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
    const current = await findVisibleCase(trx, context.viewer, input.caseKey, null);
    if (!current) return failure(caseNotFound('caseId'));
    if (!mayAddCaseNote(context.viewer, current, input.restricted)) return failure(notYours('caseId'));
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
    await touchCase(trx, input.caseKey, timestamp);
    const updated = await rereadCase(trx, input.caseKey);
    const event = await caseEventByKey(trx, { schoolId: current.school_id, id: eventId });
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
