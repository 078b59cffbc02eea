import {
  type CaseEvent,
  type CaseEventTable,
  type Database,
  type InterventionCase,
  type InterventionCaseTable,
  toTimestamp,
} from '@pastoral/db';
import { type Insertable, type Kysely, sql } from 'kysely';
import { badInput } from '../../errors.ts';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { bySchoolKeys, type SchoolKey } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { summedTotal } from '../summaries/summary.repository.ts';
import { visibleCases } from './case.policy.ts';
import { countsWithFirstPage, visibleStudentRecordsPerRow, visibleStudents } from '../students/student.policy.ts';

export const OPEN_CASE_STATUSES = ['OPEN', 'IN_PROGRESS', 'MONITORING'] as const;
/** Sorts cases with no review date after every dated one. */
const NO_REVIEW_DATE = '9999-12-31';

export interface CaseFilterValues {
  status?: string[];
  /** Priority codes, 0 LOW .. 3 URGENT. */
  priority?: number[];
  assignedToId?: number;
  assignedToMe?: boolean;
  student?: SchoolKey;
  overdue?: boolean;
}

export type CaseOrderValues = {
  field: 'CREATED_AT' | 'UPDATED_AT' | 'NEXT_REVIEW_AT' | 'PRIORITY';
  direction: 'ASC' | 'DESC';
};

function nonEmpty<T>(values: T[] | undefined, name: string): T[] | undefined {
  if (values && values.length === 0)
    throw badInput(`filter.${name} needs at least one value, or leave it out.`, 'filter');
  return values;
}

export function casesQuery(db: Kysely<Database>, viewer: Viewer, filter: CaseFilterValues, today: string) {
  let query = db.selectFrom('intervention_cases').where(visibleCases(viewer));
  const status = nonEmpty(filter.status, 'status');
  const priority = nonEmpty(filter.priority, 'priority');
  if (status) query = query.where('intervention_cases.status', 'in', status);
  if (priority) query = query.where('intervention_cases.priority', 'in', priority);
  if (filter.assignedToMe) query = query.where('intervention_cases.assigned_to', '=', viewer.user.id);
  if (filter.assignedToId !== undefined)
    query = query.where('intervention_cases.assigned_to', '=', filter.assignedToId);
  if (filter.student !== undefined)
    query = query.where(bySchoolKeys('intervention_cases', [filter.student], 'student_id'));
  if (filter.overdue !== undefined) {
    query = filter.overdue
      ? query
          .where('intervention_cases.status', 'in', OPEN_CASE_STATUSES)
          .where('intervention_cases.next_review_at', '<', today)
      : query.where((eb) =>
          eb.or([
            eb('intervention_cases.status', '=', 'CLOSED'),
            eb('intervention_cases.next_review_at', 'is', null),
            eb('intervention_cases.next_review_at', '>=', today),
          ]),
        );
  }
  return query;
}

/** The list's total from the summary rows, where its filter is only by status and assignee (see summedTotal). */
function summedCaseTotal(db: Kysely<Database>, viewer: Viewer, filter: CaseFilterValues) {
  if (filter.priority || filter.student !== undefined || filter.overdue !== undefined) return null;
  const assignees = new Set([
    ...(filter.assignedToMe ? [viewer.user.id] : []),
    ...(filter.assignedToId === undefined ? [] : [filter.assignedToId]),
  ]);
  if (assignees.size > 1) return null;
  const [assigneeId] = assignees;
  return summedTotal(db, viewer, {
    metric: 'cases',
    ...(filter.status ? { statuses: filter.status } : {}),
    ...(assigneeId === undefined ? {} : { assigneeId }),
  });
}

export async function listCases(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: CaseFilterValues,
  order: CaseOrderValues,
  args: PageArgs,
  today: string,
): Promise<ConnectionModel> {
  const query = casesQuery(db, viewer, filter, today);
  const direction = order.direction === 'ASC' ? 'asc' : 'desc';
  const id: SortKey<InterventionCase> = { expression: sql.ref('intervention_cases.id'), direction, value: (r) => r.id };
  const keys: Record<CaseOrderValues['field'], SortKey<InterventionCase>[]> = {
    CREATED_AT: [{ expression: sql.ref('intervention_cases.created_at'), direction, value: (r) => r.created_at }, id],
    UPDATED_AT: [{ expression: sql.ref('intervention_cases.updated_at'), direction, value: (r) => r.updated_at }, id],
    NEXT_REVIEW_AT: [
      {
        expression: sql`coalesce(intervention_cases.next_review_at, ${NO_REVIEW_DATE})`,
        direction,
        value: (r) => r.next_review_at ?? NO_REVIEW_DATE,
      },
      id,
    ],
    PRIORITY: [
      { expression: sql.ref('intervention_cases.priority'), direction, value: (r) => r.priority },
      { expression: sql.ref('intervention_cases.created_at'), direction, value: (r) => r.created_at },
      id,
    ],
  };
  return paginate({
    query: query.selectAll('intervention_cases'),
    keys: keys[order.field],
    args,
    count: summedCaseTotal(db, viewer, filter) ?? (() => countCapped(db, query)),
    countWithFirstPage: countsWithFirstPage(viewer),
    deferredJoin: { db, table: 'intervention_cases' },
  });
}

export async function visibleCasesById(db: Kysely<Database>, viewer: Viewer, keys: readonly SchoolKey[]) {
  return db
    .selectFrom('intervention_cases')
    .selectAll()
    .where(bySchoolKeys('intervention_cases', keys))
    .where(visibleStudentRecordsPerRow('intervention_cases', viewer))
    .execute();
}

/** Timeline entries by key, of cases the viewer sees; each with its case's student, whose record it is part of. */
export async function visibleCaseEventsById(db: Kysely<Database>, viewer: Viewer, keys: readonly SchoolKey[]) {
  return db
    .selectFrom('case_events')
    .innerJoin('intervention_cases', (join) =>
      join
        .onRef('intervention_cases.school_id', '=', 'case_events.school_id')
        .onRef('intervention_cases.id', '=', 'case_events.case_id'),
    )
    .selectAll('case_events')
    .select('intervention_cases.student_id')
    .where(bySchoolKeys('case_events', keys))
    .where(visibleCases(viewer))
    .execute();
}

/** Some cases' timelines, by the cases' keys, for their nested connections. */
export function timelinesOf(db: Kysely<Database>, cases: readonly SchoolKey[]) {
  return db
    .selectFrom('case_events')
    .selectAll()
    .where(bySchoolKeys('case_events', cases, 'case_id'));
}

/** The length of some cases' timelines, by case id, for nested totalCount. */
export async function countTimelines(db: Kysely<Database>, cases: readonly SchoolKey[]): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('case_events')
    .select(['case_id', (eb) => eb.fn.countAll<number>().as('count')])
    .where(bySchoolKeys('case_events', cases, 'case_id'))
    .groupBy('case_id')
    .execute();
  return new Map(rows.map((row) => [row.case_id, Number(row.count)]));
}

// ---- What the case mutations read and write, inside the transaction the mutation holds ----------------------

/** A case the viewer sees, by key; locked for the change to come where the engine locks rows. */
export function findVisibleCase(
  trx: Kysely<Database>,
  viewer: Viewer,
  key: SchoolKey,
  lock: { rowLocks: boolean } | null,
) {
  return trx
    .selectFrom('intervention_cases')
    .selectAll()
    .where(bySchoolKeys('intervention_cases', [key]))
    .where(visibleCases(viewer))
    .$if(lock?.rowLocks === true, (query) => query.forUpdate())
    .executeTakeFirst();
}

/** A case as it stands now, inside the transaction that changed it. */
export function rereadCase(trx: Kysely<Database>, key: SchoolKey): Promise<InterventionCase> {
  return trx
    .selectFrom('intervention_cases')
    .selectAll()
    .where(bySchoolKeys('intervention_cases', [key]))
    .executeTakeFirstOrThrow();
}

/** A student the viewer sees, by key: whom a new case may be about. */
export function findVisibleStudent(trx: Kysely<Database>, viewer: Viewer, key: SchoolKey) {
  return trx
    .selectFrom('students')
    .select(['id', 'school_id'])
    .where(bySchoolKeys('students', [key]))
    .where(visibleStudents(viewer))
    .executeTakeFirst();
}

/** A would-be owner of a case: their school and whether their account is active. */
export function findAssignee(trx: Kysely<Database>, userId: number) {
  return trx.selectFrom('users').select(['id', 'school_id', 'is_active']).where('id', '=', userId).executeTakeFirst();
}

/** The student's indicators now, as a case keeps them: the "before" of "did it work". */
export async function baselineOf(trx: Kysely<Database>, student: SchoolKey, now: Date): Promise<string> {
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

/** Inserts a case; returns its id. */
export async function insertCase(trx: Kysely<Database>, values: Insertable<InterventionCaseTable>): Promise<number> {
  const inserted = await trx.insertInto('intervention_cases').values(values).executeTakeFirstOrThrow();
  return Number(inserted.insertId);
}

/** Applies a change only if the case is still at the version the client read: no update is ever lost. */
export async function bumpCaseVersion(
  trx: Kysely<Database>,
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

/** Marks a case changed without a new version: a note changes its timeline, not its fields. */
export async function touchCase(trx: Kysely<Database>, key: SchoolKey, timestamp: string): Promise<void> {
  await trx
    .updateTable('intervention_cases')
    .set({ updated_at: timestamp })
    .where(bySchoolKeys('intervention_cases', [key]))
    .execute();
}

type CaseEventOptionalColumn = 'body' | 'restricted' | 'from_status' | 'to_status' | 'from_user_id' | 'to_user_id';

/** Appends one entry to a case's timeline; the columns its kind does not use stay null. Returns its id. */
export async function recordCaseEvent(
  trx: Kysely<Database>,
  event: Omit<Insertable<CaseEventTable>, CaseEventOptionalColumn> &
    Partial<Pick<Insertable<CaseEventTable>, CaseEventOptionalColumn>>,
): Promise<number> {
  const inserted = await trx
    .insertInto('case_events')
    .values({ body: null, from_status: null, to_status: null, from_user_id: null, to_user_id: null, ...event })
    .executeTakeFirstOrThrow();
  return Number(inserted.insertId);
}

/** One timeline entry, by key. */
export function caseEventByKey(trx: Kysely<Database>, key: SchoolKey): Promise<CaseEvent> {
  return trx
    .selectFrom('case_events')
    .selectAll()
    .where(bySchoolKeys('case_events', [key]))
    .executeTakeFirstOrThrow();
}
