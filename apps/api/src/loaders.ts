/**
 * The per-request DataLoaders: one SQL statement per batch of keys, values in key order, null for misses.
 * Loaders named `visible…` apply the viewer's visibility scope (for `node`, `nodes` and id arguments); the
 * others load the relations of records the viewer can already see (a visible case's student and owner).
 */
import type { Database, EngineDialect } from '@pastoral/db';
import DataLoader from 'dataloader';
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import { MAX_BATCH_SIZE, nestedConnectionLoader } from './graphql/nested-connections.ts';
import { visibleAlertsById } from './modules/alerts/alert.repository.ts';
import { visibleApiTokens } from './modules/api-tokens/api-token.policy.ts';
import { disclosuresOf, visibleAuditEntriesById } from './modules/audit-log/audit-log.repository.ts';
import { readsAuditLog } from './modules/audit-log/audit-log.policy.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import { visibleStudentRecordsPerRow } from './modules/students/student.policy.ts';
import { visibleCaseEventsById, visibleCasesById } from './modules/cases/case.repository.ts';
import {
  classroomsById,
  formMastersOf,
  schoolsById,
  visibleClassroomsById,
  visibleSchoolsById,
} from './modules/schools/school.repository.ts';
import {
  countByStudent,
  riskProfilesByStudentId,
  studentsById,
  visibleStudentsById,
} from './modules/students/student.repository.ts';
import { usersById, visibleUsersById } from './modules/users/user.repository.ts';
import type { ReferenceCache } from './reference-cache.ts';

/** How loaders batch: `batch: false` is the N+1 shape, kept only as the benchmark's naive baseline. */
export interface LoaderOptions {
  batch: boolean;
  /** The process's classrooms and terms; without one, every read goes to the database. */
  reference?: ReferenceCache;
}

function byKey<Row>(
  fetch: (keys: readonly number[]) => Promise<Row[]>,
  keyOf: (row: Row) => number,
  { batch }: LoaderOptions,
) {
  return new DataLoader<number, Row | null>(
    async (keys) => {
      const rows = new Map((await fetch(keys)).map((row) => [keyOf(row), row]));
      return keys.map((key) => rows.get(key) ?? null);
    },
    { maxBatchSize: MAX_BATCH_SIZE, batch },
  );
}

function groupedByKey<Row>(
  fetch: (keys: readonly number[]) => Promise<Row[]>,
  keyOf: (row: Row) => number,
  { batch }: LoaderOptions,
) {
  return new DataLoader<number, Row[]>(
    async (keys) => {
      const groups = new Map<number, Row[]>();
      for (const row of await fetch(keys)) {
        const group = groups.get(keyOf(row));
        if (group) group.push(row);
        else groups.set(keyOf(row), [row]);
      }
      return keys.map((key) => groups.get(key) ?? []);
    },
    { maxBatchSize: MAX_BATCH_SIZE, batch },
  );
}

const id = (row: { id: number }) => row.id;

/**
 * An object whose properties are made on first use and kept: a request uses a few of the two dozen loaders,
 * and making all of them was 4% of the API's CPU profile for a cached dashboard.
 */
function lazily<T extends object>(factories: { [K in keyof T]: () => T[K] }): T {
  const made = {} as T;
  for (const key of Object.keys(factories) as (keyof T)[]) {
    Object.defineProperty(made, key, {
      configurable: true,
      enumerable: true,
      get() {
        const value = factories[key]();
        Object.defineProperty(made, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return made;
}

function toCountMap(rows: { parent: number; count: number | string | bigint }[]): Map<number, number> {
  return new Map(rows.map((row) => [row.parent, Number(row.count)]));
}

/**
 * A student's alerts or cases, newest first, through the viewer's scope (an anonymous viewer sees none): the
 * nested connections of Student.
 */
function studentRecordsLoader<Table extends 'alerts' | 'intervention_cases'>(
  db: Kysely<Database>,
  table: Table,
  dateColumn: 'alert_date' | 'created_at',
  scope: ((eb: ExpressionBuilder<Database, Table>) => Expression<SqlBool>) | null,
  { batch }: LoaderOptions,
) {
  const scoped = (ids: readonly number[]) =>
    (db.selectFrom(table) as unknown as SelectQueryBuilder<Database, Table, object>)
      .where(sql.ref(`${table}.student_id`), 'in', ids)
      .where(scope ?? sql<SqlBool>`1 = 0`);
  type Row = { id: number; student_id: number } & Record<string, string | number | null>;
  return nestedConnectionLoader({
    db,
    batch,
    rowsOf: (ids) => scoped(ids).selectAll() as unknown as SelectQueryBuilder<Database, Table, Row>,
    parentColumn: `${table}.student_id`,
    parentOf: (row: Row) => row.student_id,
    keys: [
      {
        expression: sql.ref(`${table}.${dateColumn}`),
        direction: 'desc',
        value: (row: Row) => String(row[dateColumn]),
      },
      { expression: sql.ref(`${table}.id`), direction: 'desc', value: (row: Row) => row.id },
    ],
    countsOf: async (ids) =>
      toCountMap(
        (await scoped(ids)
          .select([sql<number>`${sql.ref(`${table}.student_id`)}`.as('parent'), sql<number>`count(*)`.as('count')])
          .groupBy(sql.ref(`${table}.student_id`))
          .execute()) as { parent: number; count: number }[],
      ),
  });
}

/** Each student's disclosure record, newest first; one statement for a whole page of students. */
function disclosuresLoader(db: Kysely<Database>, reader: Viewer, { batch }: LoaderOptions) {
  return nestedConnectionLoader({
    db,
    batch,
    rowsOf: (ids) => disclosuresOf(db, reader, ids),
    parentColumn: 'disclosures.student_id',
    parentOf: (row) => Number(row.student_id),
    keys: [
      { expression: sql.ref('disclosures.occurred_at'), direction: 'desc', value: (row) => row.occurred_at },
      { expression: sql.ref('disclosures.id'), direction: 'desc', value: (row) => Number(row.id) },
    ],
    countsOf: async (ids) =>
      toCountMap(
        (await db
          .selectFrom(disclosuresOf(db, reader, ids).as('counted'))
          .select([sql<number>`counted.student_id`.as('parent'), sql<number>`count(*)`.as('count')])
          .groupBy(sql.ref('counted.student_id'))
          .execute()) as { parent: number; count: number }[],
      ),
  });
}

/**
 * The request's loaders. `auditReader` is whoever reads the audit log in this request: the signed-in staff
 * member, or an integrator's token with the audit:read scope.
 */
export function createLoaders(
  db: Kysely<Database>,
  _dialect: EngineDialect,
  viewer: Viewer | null,
  auditReader: Viewer | null = viewer,
  options: LoaderOptions = { batch: true },
) {
  const { batch } = options;
  const scoped = <Row>(fetch: (viewer: Viewer, ids: readonly number[]) => Promise<Row[]>) =>
    byKey<Row & { id: number }>(
      async (ids) => (viewer ? ((await fetch(viewer, ids)) as (Row & { id: number })[]) : []),
      id,
      options,
    );

  return lazily({
    visibleStudent: () => scoped((v, ids) => visibleStudentsById(db, v, ids)),
    visibleCase: () => scoped((v, ids) => visibleCasesById(db, v, ids)),
    visibleCaseEvent: () => scoped((v, ids) => visibleCaseEventsById(db, v, ids)),
    visibleAlert: () => scoped((v, ids) => visibleAlertsById(db, v, ids)),
    visibleAuditEntry: () => scoped((v, ids) => visibleAuditEntriesById(db, v, ids)),
    visibleSchool: () => scoped((v, ids) => visibleSchoolsById(db, v, ids)),
    visibleClassroom: () => scoped((v, ids) => visibleClassroomsById(db, v, ids)),
    visibleUser: () => scoped((v, ids) => visibleUsersById(db, v, ids)),
    visibleApiToken: () =>
      scoped((v, ids) =>
        db.selectFrom('api_tokens').selectAll().where('id', 'in', ids).where(visibleApiTokens(v)).execute(),
      ),

    studentById: () => byKey((ids) => studentsById(db, ids), id, options),
    userById: () => byKey((ids) => usersById(db, ids), id, options),
    // The people on a case's timeline are read one level deeper than a case's owner; a loader of their own
    // keeps the statement count of a page the same however the two levels' timing falls.
    timelineUserById: () => byKey((ids) => usersById(db, ids), id, options),
    schoolById: () => byKey((ids) => schoolsById(db, ids), id, options),
    classroomById: () =>
      byKey(
        (ids) =>
          options.reference
            ? options.reference.rowsById('classroom', ids, (missing) => classroomsById(db, missing))
            : classroomsById(db, ids),
        id,
        options,
      ),
    riskProfileByStudentId: () =>
      byKey(
        (ids) => riskProfilesByStudentId(db, ids),
        (row) => row.student_id,
        options,
      ),
    alertsByCaseId: () =>
      groupedByKey(
        (ids) =>
          db
            .selectFrom('case_alerts')
            .innerJoin('alerts', 'alerts.id', 'case_alerts.alert_id')
            .selectAll('alerts')
            .select('case_alerts.case_id')
            .where('case_alerts.case_id', 'in', ids)
            .orderBy('alerts.id')
            .execute(),
        (row) => row.case_id,
        options,
      ),
    formMastersByClassroomId: () =>
      groupedByKey(
        (ids) => formMastersOf(db, ids),
        (row) => row.classroom_id,
        options,
      ),

    attendanceByStudentId: () =>
      nestedConnectionLoader({
        db,
        batch,
        rowsOf: (ids) => db.selectFrom('attendance_records').selectAll().where('student_id', 'in', ids),
        parentColumn: 'attendance_records.student_id',
        parentOf: (row) => row.student_id,
        keys: [{ expression: sql.ref('attendance_records.date'), direction: 'desc', value: (row) => row.date }],
        countsOf: (ids) => countByStudent(db, 'attendance_records', ids),
      }),
    incidentsByStudentId: () =>
      nestedConnectionLoader({
        db,
        batch,
        rowsOf: (ids) => db.selectFrom('behaviour_incidents').selectAll().where('student_id', 'in', ids),
        parentColumn: 'behaviour_incidents.student_id',
        parentOf: (row) => row.student_id,
        keys: [
          {
            expression: sql.ref('behaviour_incidents.occurred_on'),
            direction: 'desc',
            value: (row) => row.occurred_on,
          },
          { expression: sql.ref('behaviour_incidents.id'), direction: 'desc', value: (row) => row.id },
        ],
        countsOf: (ids) => countByStudent(db, 'behaviour_incidents', ids),
      }),
    /** Null for a reader who may not read the audit log: Student.disclosures is then null. */
    disclosuresByStudentId: () =>
      auditReader && readsAuditLog(auditReader) ? disclosuresLoader(db, auditReader, options) : null,
    alertsByStudentId: () =>
      studentRecordsLoader(
        db,
        'alerts',
        'alert_date',
        viewer ? visibleStudentRecordsPerRow('alerts', viewer) : null,
        options,
      ),
    casesByStudentId: () =>
      studentRecordsLoader(
        db,
        'intervention_cases',
        'created_at',
        viewer ? visibleStudentRecordsPerRow('intervention_cases', viewer) : null,
        options,
      ),
    timelineByCaseId: () =>
      nestedConnectionLoader({
        db,
        batch,
        rowsOf: (ids) => db.selectFrom('case_events').selectAll().where('case_id', 'in', ids),
        parentColumn: 'case_events.case_id',
        parentOf: (row) => row.case_id,
        keys: [
          { expression: sql.ref('case_events.created_at'), direction: 'asc', value: (row) => row.created_at },
          { expression: sql.ref('case_events.id'), direction: 'asc', value: (row) => row.id },
        ],
        countsOf: async (ids) =>
          toCountMap(
            await db
              .selectFrom('case_events')
              .select(['case_id as parent', (eb) => eb.fn.countAll<number>().as('count')])
              .where('case_id', 'in', ids)
              .groupBy('case_id')
              .execute(),
          ),
      }),
  });
}

export type Loaders = ReturnType<typeof createLoaders>;
