import type { Alert, Database } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
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
