/** Triage: acknowledge, dismiss, escalate into a case, and raise a concern by hand. */
import { type Alert, type Database, type InterventionCase, toTimestamp } from '@pastoral/db';
import type { Transaction } from 'kysely';
import { failure, inTransaction, type Outcome, requireText, success, userError } from '../../graphql/mutations.ts';
import { type SchoolKey, schoolKeyOf, schoolKeyString } from '../../school-scope.ts';
import { appendAuditEntry } from '../audit-log/audit.writer.ts';
import type { MutationContext } from '../../context.ts';
import { createCase } from '../cases/case.mutations.ts';
import { rereadCase } from '../cases/case.repository.ts';
import { onceForKey, userRequest } from '../idempotency/idempotency.ts';
import { mayRaiseConcern, triageRefusalFor } from './alert.policy.ts';
import type { TriageAction } from './alert.workflow.ts';
import {
  activeFormMasterOfStudent,
  findVisibleAlerts,
  findVisibleStudentWithClassroom,
  firstFormMasterOfClassroom,
  insertAlert,
  linkAlertsToCase,
  markAlertDismissed,
  markAlertsAcknowledged,
  markAlertsEscalated,
  rereadAlerts,
} from './alert.repository.ts';

export const MAX_ALERTS_PER_CALL = 100;

/** Loads and locks the visible alerts among `keys`; every key that is not one is a userError naming its index. */
async function lockAlerts(
  trx: Transaction<Database>,
  context: MutationContext,
  keys: SchoolKey[],
  action: TriageAction,
  field: string,
): Promise<Outcome<Alert[]>> {
  if (keys.length === 0) return failure(userError('INVALID', `${field} needs at least one alert.`, ['input', field]));
  if (keys.length > MAX_ALERTS_PER_CALL) {
    return failure(
      userError(
        'INVALID',
        `${field} takes at most ${MAX_ALERTS_PER_CALL} alerts (got ${keys.length}); send them in parts.`,
        ['input', field],
      ),
    );
  }
  const rows = await findVisibleAlerts(trx, context.viewer, keys, context.dialect);
  const byKey = new Map(rows.map((row) => [schoolKeyString(schoolKeyOf(row)), row]));
  const errors = keys.flatMap((key, index) => {
    const alert = byKey.get(schoolKeyString(key));
    const path = ['input', field, String(index)];
    if (!alert) return [userError('NOT_FOUND', 'No such alert, or it is not visible to you.', path)];
    const refusal = triageRefusalFor(context.viewer, alert, action);
    return refusal ? [userError('INVALID_TRANSITION', refusal, path)] : [];
  });
  if (errors.length > 0) return failure(...errors);
  return success(keys.map((key) => byKey.get(schoolKeyString(key))!));
}

/** The alerts of a lock, as the keys that name them in a statement. */
const keysOf = (alerts: Alert[]) => alerts.map(schoolKeyOf);

/** Acknowledges every alert or none; acknowledging an acknowledged alert changes nothing. */
export async function acknowledgeAlerts(
  context: MutationContext,
  keys: SchoolKey[],
  field = 'alertIds',
): Promise<Outcome<Alert[]>> {
  return inTransaction(context.db, async (trx) => {
    const alerts = await lockAlerts(trx, context, keys, 'acknowledge', field);
    if (!alerts.ok) return alerts;
    const timestamp = toTimestamp(context.now);
    const fresh = alerts.value.filter((alert) => alert.status === 'NEW');
    if (fresh.length === 0) return success(await rereadAlerts(trx, keysOf(alerts.value)));
    await markAlertsAcknowledged(trx, keysOf(fresh), context.viewer.user.id, timestamp);
    // Read back before the audit entries: appending locks the chain head until the commit.
    const acknowledged = await rereadAlerts(trx, keysOf(alerts.value));
    for (const alert of fresh) {
      await appendAuditEntry(
        trx,
        context.dialect,
        context.actor,
        {
          action: 'alert.acknowledged',
          schoolId: alert.school_id,
          alertId: alert.id,
          studentId: alert.student_id,
          assignees: [alert.assigned_to],
        },
        context.now,
      );
    }
    return success(acknowledged);
  });
}

export async function dismissAlert(context: MutationContext, key: SchoolKey, reason: string): Promise<Outcome<Alert>> {
  return inTransaction(context.db, async (trx) => {
    const text = requireText(reason, ['input', 'reason'], 500);
    if (!text.ok) return text;
    const alerts = await lockAlerts(trx, context, [key], 'dismiss', 'alertId');
    if (!alerts.ok) return failure(...alerts.userErrors.map((error) => ({ ...error, field: ['input', 'alertId'] })));
    const alert = alerts.value[0]!;
    const timestamp = toTimestamp(context.now);
    const acknowledged = {
      at: alert.acknowledged_at ?? timestamp,
      by: alert.acknowledged_by ?? context.viewer.user.id,
    };
    await markAlertDismissed(trx, key, text.value, acknowledged, timestamp);
    const dismissed = (await rereadAlerts(trx, [key]))[0]!;
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      {
        action: 'alert.dismissed',
        schoolId: alert.school_id,
        alertId: alert.id,
        studentId: alert.student_id,
        changes: { reason: text.value },
        assignees: [alert.assigned_to],
      },
      context.now,
    );
    return success(dismissed);
  });
}

const PRIORITY_FOR_SEVERITY = [1, 1, 2, 3];
const TITLE_FOR_TYPE: Record<string, string> = {
  ATTENDANCE: 'Attendance concern',
  BEHAVIOUR: 'Behaviour concern',
  ACADEMIC: 'Coursework concern',
  WELLBEING: 'Wellbeing concern',
  MANUAL: 'Wellbeing concern',
};

export async function escalateAlerts(
  context: MutationContext,
  input: {
    alertIds: SchoolKey[];
    title?: string | null;
    priority?: number | null;
    assignedToId?: number | null;
    idempotencyKey?: string | null;
  },
): Promise<Outcome<{ case: InterventionCase; alerts: Alert[] }>> {
  const { idempotencyKey, ...fields } = input;
  return inTransaction(context.db, (trx) =>
    onceForKey(trx, context.dialect, userRequest(context, 'escalateAlert', idempotencyKey, fields), {
      work: () => escalateInTransaction(trx, context, fields),
      remember: (result) => ({ caseKey: schoolKeyOf(result.case), alertKeys: keysOf(result.alerts) }),
      replay: async ({ caseKey, alertKeys }: { caseKey: SchoolKey; alertKeys: SchoolKey[] }) => ({
        case: await rereadCase(trx, caseKey),
        alerts: await rereadAlerts(trx, alertKeys),
      }),
    }),
  );
}

async function escalateInTransaction(
  trx: Transaction<Database>,
  context: MutationContext,
  fields: { alertIds: SchoolKey[]; title?: string | null; priority?: number | null; assignedToId?: number | null },
): Promise<Outcome<{ case: InterventionCase; alerts: Alert[] }>> {
  const alerts = await lockAlerts(trx, context, fields.alertIds, 'escalate', 'alertIds');
  if (!alerts.ok) return alerts;
  const students = new Set(alerts.value.map((alert) => alert.student_id));
  if (students.size > 1) {
    return failure(
      userError('INVALID', 'A case is about one student: escalate alerts of one student together.', [
        'input',
        'alertIds',
      ]),
    );
  }
  const first = alerts.value[0]!;
  const severity = Math.max(...alerts.value.map((alert) => alert.severity));
  const created = await createCase(trx, context, {
    student: { schoolId: first.school_id, id: first.student_id },
    title: fields.title ?? TITLE_FOR_TYPE[first.type] ?? 'Concern',
    category: first.type === 'MANUAL' ? 'WELLBEING' : first.type,
    priority: fields.priority ?? PRIORITY_FOR_SEVERITY[severity] ?? 1,
    tier: severity >= 3 ? 2 : 1,
    assignedToId: fields.assignedToId ?? (context.viewer.schoolId === null ? await ownerInSchool(trx, first) : null),
  });
  if (!created.ok) return created;
  const timestamp = toTimestamp(context.now);
  const keys = keysOf(alerts.value);
  await markAlertsEscalated(trx, keys, context.viewer.user.id, timestamp);
  await linkAlertsToCase(trx, created.value.id, alerts.value);
  const escalated = { case: created.value, alerts: await rereadAlerts(trx, keys) };
  for (const alert of alerts.value) {
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      {
        action: 'alert.escalated',
        schoolId: alert.school_id,
        alertId: alert.id,
        studentId: alert.student_id,
        changes: { caseId: created.value.id },
        assignees: [alert.assigned_to],
      },
      context.now,
    );
  }
  return success(escalated);
}

/**
 * Who owns a case a district admin escalates, when they name nobody: they belong to no school, and a case's
 * owner must belong to the student's. The alert's assignee already works on it; failing that, the form master.
 */
async function ownerInSchool(trx: Transaction<Database>, alert: Alert): Promise<number | null> {
  if (alert.assigned_to !== null) return alert.assigned_to;
  return activeFormMasterOfStudent(trx, { schoolId: alert.school_id, id: alert.student_id });
}

export async function raiseConcern(
  context: MutationContext,
  input: { student: SchoolKey; reason: string; severity?: number | null; idempotencyKey?: string | null },
): Promise<Outcome<Alert>> {
  const { idempotencyKey, ...fields } = input;
  return inTransaction(context.db, (trx) =>
    onceForKey(trx, context.dialect, userRequest(context, 'raiseConcern', idempotencyKey, fields), {
      work: () => raiseInTransaction(trx, context, fields),
      remember: (alert) => ({ alertKey: schoolKeyOf(alert) }),
      replay: async ({ alertKey }: { alertKey: SchoolKey }) => (await rereadAlerts(trx, [alertKey]))[0]!,
    }),
  );
}

async function raiseInTransaction(
  trx: Transaction<Database>,
  context: MutationContext,
  fields: { student: SchoolKey; reason: string; severity?: number | null },
): Promise<Outcome<Alert>> {
  const reason = requireText(fields.reason, ['input', 'reason'], 500);
  if (!reason.ok) return reason;
  const student = await findVisibleStudentWithClassroom(trx, context.viewer, fields.student);
  if (!student || !mayRaiseConcern(context.viewer))
    return failure(userError('NOT_FOUND', 'No such student, or not one visible to you.', ['input', 'studentId']));
  const formMaster = await firstFormMasterOfClassroom(trx, { schoolId: student.school_id, id: student.classroom_id });
  const timestamp = toTimestamp(context.now);
  const alertId = await insertAlert(
    trx,
    {
      school_id: student.school_id,
      student_id: student.id,
      type: 'WELLBEING',
      severity: fields.severity ?? 1,
      alert_date: timestamp.slice(0, 10),
      reason: reason.value,
      facts: JSON.stringify({ raisedBy: 'staff' }),
      assigned_to: formMaster ?? context.viewer.user.id,
      raised_by: context.viewer.user.id,
      // A concern raised by hand never blocks or is blocked by the risk engine's alerts.
      open_indicator: null,
    },
    timestamp,
  );
  const raised = (await rereadAlerts(trx, [{ schoolId: student.school_id, id: alertId }]))[0]!;
  await appendAuditEntry(
    trx,
    context.dialect,
    context.actor,
    {
      action: 'alert.concern_raised',
      schoolId: student.school_id,
      alertId,
      studentId: student.id,
      changes: { severity: fields.severity ?? 1 },
      assignees: [formMaster ?? context.viewer.user.id],
    },
    context.now,
  );
  return success(raised);
}
