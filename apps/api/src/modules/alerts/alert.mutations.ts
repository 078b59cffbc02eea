/** Triage: acknowledge, dismiss, escalate into a case, and raise a concern by hand. */
import { type Alert, type AlertStatus, type Database, type InterventionCase, toTimestamp } from '@pastoral/db';
import type { Transaction } from 'kysely';
import { failure, inTransaction, type Outcome, requireText, success, userError } from '../../graphql/mutations.ts';
import { appendAuditEntry } from '../audit-log/audit.writer.ts';
import { createCase, type MutationContext } from '../cases/case.mutations.ts';
import { onceForKey, userRequest } from '../idempotency/idempotency.ts';
import { visibleStudents } from '../students/student.policy.ts';
import { visibleAlerts } from './alert.policy.ts';
import { statusAfter, type TriageAction, triageRefusal } from './alert.workflow.ts';

export const MAX_ALERTS_PER_CALL = 100;

/** Loads and locks the visible alerts among `ids`; every id that is not one is a userError naming its index. */
async function lockAlerts(
  trx: Parameters<Parameters<typeof inTransaction>[1]>[0],
  context: MutationContext,
  ids: number[],
  action: TriageAction,
  field: string,
): Promise<Outcome<Alert[]>> {
  if (ids.length === 0) return failure(userError('INVALID', `${field} needs at least one alert.`, ['input', field]));
  if (ids.length > MAX_ALERTS_PER_CALL) {
    return failure(
      userError(
        'INVALID',
        `${field} takes at most ${MAX_ALERTS_PER_CALL} alerts (got ${ids.length}); send them in parts.`,
        ['input', field],
      ),
    );
  }
  const rows = await trx
    .selectFrom('alerts')
    .selectAll()
    .where('id', 'in', ids)
    .where(visibleAlerts(context.viewer))
    .$if(context.dialect.rowLocks, (query) => query.forUpdate())
    .execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const errors = ids.flatMap((id, index) => {
    const alert = byId.get(id);
    const path = ['input', field, String(index)];
    if (!alert) return [userError('NOT_FOUND', 'No such alert, or it is not visible to you.', path)];
    const refusal =
      action === 'acknowledge' && alert.status === 'ACKNOWLEDGED'
        ? null
        : triageRefusal(action, alert.status as AlertStatus);
    return refusal ? [userError('INVALID_TRANSITION', refusal, path)] : [];
  });
  if (errors.length > 0) return failure(...errors);
  return success(ids.map((id) => byId.get(id)!));
}

async function reread(trx: Parameters<Parameters<typeof inTransaction>[1]>[0], ids: number[]): Promise<Alert[]> {
  const rows = await trx.selectFrom('alerts').selectAll().where('id', 'in', ids).execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => byId.get(id)!);
}

/** Acknowledges every alert or none; acknowledging an acknowledged alert changes nothing. */
export async function acknowledgeAlerts(
  context: MutationContext,
  ids: number[],
  field = 'alertIds',
): Promise<Outcome<Alert[]>> {
  return inTransaction(context.db, async (trx) => {
    const alerts = await lockAlerts(trx, context, ids, 'acknowledge', field);
    if (!alerts.ok) return alerts;
    const timestamp = toTimestamp(context.now);
    const fresh = alerts.value.filter((alert) => alert.status === 'NEW');
    if (fresh.length === 0) return success(await reread(trx, ids));
    await trx
      .updateTable('alerts')
      .set({
        status: 'ACKNOWLEDGED',
        acknowledged_at: timestamp,
        acknowledged_by: context.viewer.user.id,
        updated_at: timestamp,
      })
      .where(
        'id',
        'in',
        fresh.map((alert) => alert.id),
      )
      .execute();
    // Read back before the audit entries: appending locks the chain head until the commit.
    const acknowledged = await reread(trx, ids);
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

export async function dismissAlert(context: MutationContext, id: number, reason: string): Promise<Outcome<Alert>> {
  return inTransaction(context.db, async (trx) => {
    const text = requireText(reason, ['input', 'reason'], 500);
    if (!text.ok) return text;
    const alerts = await lockAlerts(trx, context, [id], 'dismiss', 'alertId');
    if (!alerts.ok) return failure(...alerts.userErrors.map((error) => ({ ...error, field: ['input', 'alertId'] })));
    const alert = alerts.value[0]!;
    const timestamp = toTimestamp(context.now);
    await trx
      .updateTable('alerts')
      .set({
        status: statusAfter('dismiss'),
        dismissed_reason: text.value,
        open_indicator: null,
        closed_at: timestamp,
        updated_at: timestamp,
        acknowledged_at: alert.acknowledged_at ?? timestamp,
        acknowledged_by: alert.acknowledged_by ?? context.viewer.user.id,
      })
      .where('id', '=', id)
      .execute();
    const dismissed = (await reread(trx, [id]))[0]!;
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
    alertIds: number[];
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
      remember: (result) => ({ caseId: result.case.id, alertIds: result.alerts.map((alert) => alert.id) }),
      replay: async ({ caseId, alertIds }: { caseId: number; alertIds: number[] }) => ({
        case: await trx.selectFrom('intervention_cases').selectAll().where('id', '=', caseId).executeTakeFirstOrThrow(),
        alerts: await reread(trx, alertIds),
      }),
    }),
  );
}

async function escalateInTransaction(
  trx: Parameters<Parameters<typeof inTransaction>[1]>[0],
  context: MutationContext,
  fields: { alertIds: number[]; title?: string | null; priority?: number | null; assignedToId?: number | null },
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
    studentId: first.student_id,
    title: fields.title ?? TITLE_FOR_TYPE[first.type] ?? 'Concern',
    category: first.type === 'MANUAL' ? 'WELLBEING' : first.type,
    priority: fields.priority ?? PRIORITY_FOR_SEVERITY[severity] ?? 1,
    tier: severity >= 3 ? 2 : 1,
    assignedToId: fields.assignedToId ?? (context.viewer.schoolId === null ? await ownerInSchool(trx, first) : null),
  });
  if (!created.ok) return created;
  const timestamp = toTimestamp(context.now);
  const ids = alerts.value.map((alert) => alert.id);
  await trx
    .updateTable('alerts')
    .set({ status: 'ESCALATED', open_indicator: null, closed_at: timestamp, updated_at: timestamp })
    .where('id', 'in', ids)
    .execute();
  await trx
    .updateTable('alerts')
    .set({ acknowledged_at: timestamp, acknowledged_by: context.viewer.user.id })
    .where('id', 'in', ids)
    .where('acknowledged_at', 'is', null)
    .execute();
  await trx
    .insertInto('case_alerts')
    .values(
      alerts.value.map((alert) => ({ case_id: created.value.id, alert_id: alert.id, school_id: alert.school_id })),
    )
    .execute();
  const escalated = { case: created.value, alerts: await reread(trx, ids) };
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
  const formMaster = await trx
    .selectFrom('classroom_assignments')
    .innerJoin('students', 'students.classroom_id', 'classroom_assignments.classroom_id')
    .innerJoin('users', 'users.id', 'classroom_assignments.user_id')
    .select('classroom_assignments.user_id')
    .where('students.id', '=', alert.student_id)
    .where('classroom_assignments.kind', '=', 'FORM_MASTER')
    .where('users.is_active', '=', 1)
    .orderBy('classroom_assignments.user_id')
    .limit(1)
    .executeTakeFirst();
  return formMaster?.user_id ?? null;
}

export async function raiseConcern(
  context: MutationContext,
  input: { studentId: number; reason: string; severity?: number | null; idempotencyKey?: string | null },
): Promise<Outcome<Alert>> {
  const { idempotencyKey, ...fields } = input;
  return inTransaction(context.db, (trx) =>
    onceForKey(trx, context.dialect, userRequest(context, 'raiseConcern', idempotencyKey, fields), {
      work: () => raiseInTransaction(trx, context, fields),
      remember: (alert) => ({ alertId: alert.id }),
      replay: async ({ alertId }: { alertId: number }) => (await reread(trx, [alertId]))[0]!,
    }),
  );
}

async function raiseInTransaction(
  trx: Parameters<Parameters<typeof inTransaction>[1]>[0],
  context: MutationContext,
  fields: { studentId: number; reason: string; severity?: number | null },
): Promise<Outcome<Alert>> {
  const reason = requireText(fields.reason, ['input', 'reason'], 500);
  if (!reason.ok) return reason;
  const student = await trx
    .selectFrom('students')
    .select(['id', 'school_id', 'classroom_id'])
    .where('id', '=', fields.studentId)
    .where(visibleStudents(context.viewer))
    .executeTakeFirst();
  if (!student)
    return failure(userError('NOT_FOUND', 'No such student, or not one visible to you.', ['input', 'studentId']));
  const formMaster = await trx
    .selectFrom('classroom_assignments')
    .select('user_id')
    .where('classroom_id', '=', student.classroom_id)
    .where('kind', '=', 'FORM_MASTER')
    .orderBy('id')
    .executeTakeFirst();
  const timestamp = toTimestamp(context.now);
  const inserted = await trx
    .insertInto('alerts')
    .values({
      school_id: student.school_id,
      student_id: student.id,
      type: 'WELLBEING',
      severity: fields.severity ?? 1,
      status: 'NEW',
      alert_date: timestamp.slice(0, 10),
      reason: reason.value,
      facts: JSON.stringify({ raisedBy: 'staff' }),
      assigned_to: formMaster?.user_id ?? context.viewer.user.id,
      raised_by: context.viewer.user.id,
      // A concern raised by hand never blocks or is blocked by the risk engine's alerts.
      open_indicator: null,
      acknowledged_at: null,
      acknowledged_by: null,
      dismissed_reason: null,
      closed_at: null,
      created_at: timestamp,
      updated_at: timestamp,
    })
    .executeTakeFirstOrThrow();
  const alertId = Number(inserted.insertId);
  const raised = (await reread(trx, [alertId]))[0]!;
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
      assignees: [formMaster?.user_id ?? context.viewer.user.id],
    },
    context.now,
  );
  return success(raised);
}
