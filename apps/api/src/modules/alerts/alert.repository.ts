import type { Alert, AlertTable, Database } from '@pastoral/db';
import { type Insertable, type Kysely, sql } from 'kysely';
import { badInput } from '../../errors.ts';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { bySchoolKeys, type SchoolKey } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleAlerts } from './alert.policy.ts';
import { countsWithFirstPage, visibleStudentRecordsPerRow } from '../students/student.policy.ts';

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
    count: () => countCapped(db, query),
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
