import type { Alert, AlertTable, Database } from '@pastoral/db';
import { type Insertable, type Kysely, sql } from 'kysely';
import { badInput } from '../../errors.ts';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { bySchoolKeys, type SchoolKey, schoolKeyOf, schoolKeyString } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { summedTotal } from '../summaries/summary.repository.ts';
import { visibleAlerts } from './alert.policy.ts';
import { countsWithFirstPage, visibleStudentRecordsPerRow, visibleStudents } from '../students/student.policy.ts';

export interface AlertFilterValues {
  status?: string[];
  type?: string[];
  /** Severity codes, 1 WATCH .. 3 CRITICAL. */
  severity?: number[];
  student?: SchoolKey;
  assignedToMe?: boolean;
}

export type AlertOrderValues = { field: 'ALERT_DATE' | 'SEVERITY'; direction: 'ASC' | 'DESC' };

export function alertsQuery(db: Kysely<Database>, viewer: Viewer, filter: AlertFilterValues) {
  for (const [name, values] of [
    ['status', filter.status],
    ['type', filter.type],
    ['severity', filter.severity],
  ] as const) {
    if (values && values.length === 0)
      throw badInput(`filter.${name} needs at least one value, or leave it out.`, 'filter');
  }
  let query = db.selectFrom('alerts').where(visibleAlerts(viewer, { status: filter.status }));
  if (filter.status) query = query.where('alerts.status', 'in', filter.status);
  if (filter.type) query = query.where('alerts.type', 'in', filter.type);
  if (filter.severity) query = query.where('alerts.severity', 'in', filter.severity);
  if (filter.student !== undefined) query = query.where(bySchoolKeys('alerts', [filter.student], 'student_id'));
  if (filter.assignedToMe) query = query.where('alerts.assigned_to', '=', viewer.user.id);
  return query;
}

/** The list's total from the summary rows, where its filter is only by status and assignee (see summedTotal). */
function summedAlertTotal(db: Kysely<Database>, viewer: Viewer, filter: AlertFilterValues) {
  if (filter.type || filter.severity || filter.student !== undefined) return null;
  return summedTotal(db, viewer, {
    metric: 'alerts',
    ...(filter.status ? { statuses: filter.status } : {}),
    ...(filter.assignedToMe ? { assigneeId: viewer.user.id } : {}),
  });
}

export async function listAlerts(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: AlertFilterValues,
  order: AlertOrderValues,
  args: PageArgs,
): Promise<ConnectionModel> {
  const query = alertsQuery(db, viewer, filter);
  const direction = order.direction === 'ASC' ? 'asc' : 'desc';
  const byDate: SortKey<Alert>[] = [
    { expression: sql.ref('alerts.alert_date'), direction, value: (r) => r.alert_date },
    { expression: sql.ref('alerts.id'), direction, value: (r) => r.id },
  ];
  const keys: SortKey<Alert>[] =
    order.field === 'SEVERITY'
      ? [{ expression: sql.ref('alerts.severity'), direction, value: (r) => r.severity }, ...byDate]
      : byDate;
  return paginate({
    query: query.selectAll('alerts'),
    keys,
    args,
    count: summedAlertTotal(db, viewer, filter) ?? (() => countCapped(db, query)),
    countWithFirstPage: countsWithFirstPage(viewer),
    deferredJoin: { db, table: 'alerts' },
  });
}

export async function visibleAlertsById(db: Kysely<Database>, viewer: Viewer, keys: readonly SchoolKey[]) {
  return db
    .selectFrom('alerts')
    .selectAll()
    .where(bySchoolKeys('alerts', keys))
    .where(visibleStudentRecordsPerRow('alerts', viewer))
    .execute();
}

/**
 * Some cases' alerts, by the cases' keys, through the alerts' own scope: a form master sees a case assigned to
 * them whose alerts went to another classroom's form master, and those stay hidden.
 */
export async function visibleAlertsOfCases(db: Kysely<Database>, viewer: Viewer, cases: readonly SchoolKey[]) {
  return db
    .selectFrom('case_alerts')
    .innerJoin('alerts', (join) =>
      join.onRef('alerts.school_id', '=', 'case_alerts.school_id').onRef('alerts.id', '=', 'case_alerts.alert_id'),
    )
    .selectAll('alerts')
    .select('case_alerts.case_id')
    .where(bySchoolKeys('case_alerts', cases, 'case_id'))
    .where(visibleStudentRecordsPerRow('alerts', viewer))
    .orderBy('alerts.id')
    .execute();
}

/** What tells one new alert from another: the rest of a new alert's row is the same for every alert. */
export type NewAlert = Pick<
  Insertable<AlertTable>,
  | 'school_id'
  | 'student_id'
  | 'type'
  | 'severity'
  | 'alert_date'
  | 'reason'
  | 'facts'
  | 'assigned_to'
  | 'raised_by'
  | 'open_indicator'
>;

/**
 * Inserts a NEW alert, raised by the risk engine (open_indicator set) or by hand (raised_by set), and returns its
 * id. One statement, naming its school.
 */
export async function insertAlert(db: Kysely<Database>, alert: NewAlert, timestamp: string): Promise<number> {
  const inserted = await db
    .insertInto('alerts')
    .values({
      school_id: alert.school_id,
      student_id: alert.student_id,
      type: alert.type,
      severity: alert.severity,
      status: 'NEW',
      alert_date: alert.alert_date,
      reason: alert.reason,
      facts: alert.facts,
      assigned_to: alert.assigned_to,
      raised_by: alert.raised_by,
      open_indicator: alert.open_indicator,
      acknowledged_at: null,
      acknowledged_by: null,
      dismissed_reason: null,
      closed_at: null,
      created_at: timestamp,
      updated_at: timestamp,
    })
    .executeTakeFirstOrThrow();
  return Number(inserted.insertId);
}

// ---- What the triage mutations read and write, inside the transaction the mutation holds ---------------------

/** The alerts the viewer sees among `keys`, in no order; locked for the change to come where the engine locks rows. */
export function findVisibleAlerts(
  trx: Kysely<Database>,
  viewer: Viewer,
  keys: readonly SchoolKey[],
  lock: { rowLocks: boolean },
): Promise<Alert[]> {
  return trx
    .selectFrom('alerts')
    .selectAll()
    .where(bySchoolKeys('alerts', keys))
    .where(visibleAlerts(viewer))
    .$if(lock.rowLocks, (query) => query.forUpdate())
    .execute();
}

/** Alerts as they stand now, inside the transaction that changed them, in the order of `keys`. */
export async function rereadAlerts(trx: Kysely<Database>, keys: readonly SchoolKey[]): Promise<Alert[]> {
  const rows = await trx.selectFrom('alerts').selectAll().where(bySchoolKeys('alerts', keys)).execute();
  const byKey = new Map(rows.map((row) => [schoolKeyString(schoolKeyOf(row)), row]));
  return keys.map((key) => byKey.get(schoolKeyString(key))!);
}

export async function markAlertsAcknowledged(
  trx: Kysely<Database>,
  keys: readonly SchoolKey[],
  userId: number,
  timestamp: string,
): Promise<void> {
  await trx
    .updateTable('alerts')
    .set({ status: 'ACKNOWLEDGED', acknowledged_at: timestamp, acknowledged_by: userId, updated_at: timestamp })
    .where(bySchoolKeys('alerts', keys))
    .execute();
}

/** Dismisses and closes an alert, freeing its indicator's slot; `acknowledged` is kept when it was set before. */
export async function markAlertDismissed(
  trx: Kysely<Database>,
  key: SchoolKey,
  reason: string,
  acknowledged: { at: string; by: number },
  timestamp: string,
): Promise<void> {
  await trx
    .updateTable('alerts')
    .set({
      status: 'DISMISSED',
      dismissed_reason: reason,
      open_indicator: null,
      closed_at: timestamp,
      updated_at: timestamp,
      acknowledged_at: acknowledged.at,
      acknowledged_by: acknowledged.by,
    })
    .where(bySchoolKeys('alerts', [key]))
    .execute();
}

/**
 * Escalates and closes alerts, freeing their indicators' slots; those nobody had acknowledged count as
 * acknowledged by `userId`, who escalated them. Two statements.
 */
export async function markAlertsEscalated(
  trx: Kysely<Database>,
  keys: readonly SchoolKey[],
  userId: number,
  timestamp: string,
): Promise<void> {
  await trx
    .updateTable('alerts')
    .set({ status: 'ESCALATED', open_indicator: null, closed_at: timestamp, updated_at: timestamp })
    .where(bySchoolKeys('alerts', keys))
    .execute();
  await trx
    .updateTable('alerts')
    .set({ acknowledged_at: timestamp, acknowledged_by: userId })
    .where(bySchoolKeys('alerts', keys))
    .where('acknowledged_at', 'is', null)
    .execute();
}

/** Links alerts to the case they were escalated into, each link in the alert's school. */
export async function linkAlertsToCase(trx: Kysely<Database>, caseId: number, alerts: readonly Alert[]): Promise<void> {
  await trx
    .insertInto('case_alerts')
    .values(alerts.map((alert) => ({ case_id: caseId, alert_id: alert.id, school_id: alert.school_id })))
    .execute();
}

/** The lowest user id among the active form masters of a student's classroom, or null when it has none. */
export async function activeFormMasterOfStudent(trx: Kysely<Database>, student: SchoolKey): Promise<number | null> {
  const formMaster = await trx
    .selectFrom('classroom_assignments')
    .innerJoin('students', (join) =>
      join
        .onRef('students.school_id', '=', 'classroom_assignments.school_id')
        .onRef('students.classroom_id', '=', 'classroom_assignments.classroom_id'),
    )
    .innerJoin('users', 'users.id', 'classroom_assignments.user_id')
    .select('classroom_assignments.user_id')
    .where(bySchoolKeys('students', [student]))
    .where('classroom_assignments.kind', '=', 'FORM_MASTER')
    .where('users.is_active', '=', 1)
    .orderBy('classroom_assignments.user_id')
    .limit(1)
    .executeTakeFirst();
  return formMaster?.user_id ?? null;
}

/** A student the viewer sees, by key, with their classroom: whom a concern may be raised about. */
export function findVisibleStudentWithClassroom(trx: Kysely<Database>, viewer: Viewer, key: SchoolKey) {
  return trx
    .selectFrom('students')
    .select(['id', 'school_id', 'classroom_id'])
    .where(bySchoolKeys('students', [key]))
    .where(visibleStudents(viewer))
    .executeTakeFirst();
}

/** The classroom's first form master by assignment, active or not, or null when it has none. */
export async function firstFormMasterOfClassroom(trx: Kysely<Database>, classroom: SchoolKey): Promise<number | null> {
  const formMaster = await trx
    .selectFrom('classroom_assignments')
    .select('user_id')
    .where(bySchoolKeys('classroom_assignments', [classroom], 'classroom_id'))
    .where('kind', '=', 'FORM_MASTER')
    .orderBy('id')
    .executeTakeFirst();
  return formMaster?.user_id ?? null;
}
