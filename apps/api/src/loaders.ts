/**
 * The per-request DataLoaders: one SQL statement per batch of keys, values in key order, null for misses.
 * Loaders named `visible…` apply the visibility scope of the kind of record they load, for whoever reads that
 * kind in the request (readerOf: the member of staff, or a token holding the kind's scope); the others load
 * the relations of records the reader can already see and that are visible whenever their parent is (a
 * visible case's student and owner). authorization-paths.test.ts holds every path to the same answer as `node`.
 */
import type { ApiToken, AttendanceRecord, BehaviourIncident, Classroom, Database, EngineDialect } from '@pastoral/db';
import DataLoader from 'dataloader';
import {
  type Expression,
  type ExpressionBuilder,
  type Kysely,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import { MAX_BATCH_SIZE, nestedConnectionLoader } from './paging/nested.ts';
import { bySchoolKeys, NOTHING, type SchoolKey, schoolKeyOf, schoolKeyString } from './school-scope.ts';
import type { SortKey } from './paging/cursor.ts';
import { visibleAlertsById } from './modules/alerts/alert.repository.ts';
import { visibleApiTokens } from './modules/api-tokens/api-token.policy.ts';
import { disclosuresOf, recordViewsOf, visibleAuditEntriesById } from './modules/audit-log/audit-log.repository.ts';
import { readsAuditLog } from './modules/audit-log/audit-log.policy.ts';
import { ownSessions } from './modules/auth/session.policy.ts';
import { liveSessions } from './modules/auth/session.repository.ts';
import { liveAt } from './modules/auth/session.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import { visibleStudentRecordsPerRow } from './modules/students/student.policy.ts';
import { type Principal, readerOf } from './principal.ts';
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
  /** The request's clock, for rows that end by time (sessions); the wall clock without one. */
  now?: Date;
}

/** One row per key, null for a miss; `name` tells two keys of the same row alike (a SchoolKey is an object). */
function byKey<Key, Row>(
  fetch: (keys: readonly Key[]) => Promise<Row[]>,
  keyOf: (row: Row) => Key,
  { batch }: LoaderOptions,
  name: (key: Key) => unknown = (key) => key,
) {
  return new DataLoader<Key, Row | null, unknown>(
    async (keys) => {
      const rows = new Map((await fetch(keys)).map((row) => [name(keyOf(row)), row]));
      return keys.map((key) => rows.get(name(key)) ?? null);
    },
    { maxBatchSize: MAX_BATCH_SIZE, batch, cacheKeyFn: name },
  );
}

/**
 * byKey for a school's rows: keyed by school and id, so that the statement names the schools it reads. Ids are
 * unique across schools; a key whose school is not its row's finds nothing, as a missing row.
 */
const bySchoolKey = <Row>(
  fetch: (keys: readonly SchoolKey[]) => Promise<Row[]>,
  keyOf: (row: Row) => SchoolKey,
  options: LoaderOptions,
) => byKey(fetch, keyOf, options, schoolKeyString);

/** bySchoolKey for the rows of each key: a list per key, empty for none. */
function groupedBySchoolKey<Row>(
  fetch: (keys: readonly SchoolKey[]) => Promise<Row[]>,
  keyOf: (row: Row) => SchoolKey,
  { batch }: LoaderOptions,
) {
  return new DataLoader<SchoolKey, Row[], string>(
    async (keys) => {
      const groups = new Map<string, Row[]>();
      for (const row of await fetch(keys)) {
        const key = schoolKeyString(keyOf(row));
        const group = groups.get(key);
        if (group) group.push(row);
        else groups.set(key, [row]);
      }
      return keys.map((key) => groups.get(schoolKeyString(key)) ?? []);
    },
    { maxBatchSize: MAX_BATCH_SIZE, batch, cacheKeyFn: schoolKeyString },
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
  const scoped = (students: readonly SchoolKey[]) =>
    (db.selectFrom(table) as unknown as SelectQueryBuilder<Database, Table, object>)
      .where(bySchoolKeys(table, students, 'student_id'))
      .where(scope ?? NOTHING);
  type Row = { id: number; student_id: number } & Record<string, string | number | null>;
  return nestedConnectionLoader({
    db,
    batch,
    rowsOf: (students) => scoped(students).selectAll() as unknown as SelectQueryBuilder<Database, Table, Row>,
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
    countsOf: async (students) =>
      toCountMap(
        (await scoped(students)
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
    rowsOf: (students) => disclosuresOf(db, reader, students),
    parentColumn: 'disclosures.student_id',
    parentOf: (row) => Number(row.student_id),
    keys: [
      { expression: sql.ref('disclosures.occurred_at'), direction: 'desc', value: (row) => row.occurred_at },
      { expression: sql.ref('disclosures.id'), direction: 'desc', value: (row) => Number(row.id) },
    ],
    countsOf: async (students) =>
      toCountMap(
        (await db
          .selectFrom(disclosuresOf(db, reader, students).as('counted'))
          .select([sql<number>`counted.student_id`.as('parent'), sql<number>`count(*)`.as('count')])
          .groupBy(sql.ref('counted.student_id'))
          .execute()) as { parent: number; count: number }[],
      ),
  });
}

/** Who viewed each student's record, newest day first; one statement for a whole page of students. */
function recordViewsLoader(db: Kysely<Database>, reader: Viewer, { batch }: LoaderOptions) {
  return nestedConnectionLoader({
    db,
    batch,
    rowsOf: (students) => recordViewsOf(db, reader, students),
    parentColumn: 'student_record_views.student_id',
    parentOf: (row) => row.student_id,
    keys: [
      { expression: sql.ref('student_record_views.viewed_on'), direction: 'desc', value: (row) => row.viewed_on },
      { expression: sql.ref('student_record_views.user_id'), direction: 'desc', value: (row) => row.user_id },
    ],
    countsOf: async (students) =>
      toCountMap(
        await recordViewsOf(db, reader, students)
          .clearSelect()
          .select(['student_record_views.student_id as parent', (eb) => eb.fn.countAll<number>().as('count')])
          .groupBy('student_record_views.student_id')
          .execute(),
      ),
  });
}

/** A record of a student's (attendance, incidents), newest first, with its per-student counts. */
function studentHistoryLoader<Table extends 'attendance_records' | 'behaviour_incidents', Row extends object>(
  db: Kysely<Database>,
  table: Table,
  keys: SortKey<Row>[],
  parentOf: (row: Row) => number,
  { batch }: LoaderOptions,
) {
  return nestedConnectionLoader({
    db,
    batch,
    rowsOf: (students) =>
      db
        .selectFrom(table as 'attendance_records')
        .selectAll()
        .where(bySchoolKeys(table, students, 'student_id')) as unknown as SelectQueryBuilder<Database, Table, Row>,
    parentColumn: `${table}.student_id`,
    parentOf,
    keys,
    countsOf: (students) => countByStudent(db, table, students),
  });
}

/**
 * The request's loaders, for `principal`: each kind of record is read through its own scope, by whoever reads
 * that kind (readerOf); a kind nobody in the request may read loads nothing.
 *
 * A school's rows are loaded by SchoolKey (their school and id, from a global id or from the row that refers to
 * them), so that every statement names the schools it reads; the district's own rows (staff, schools, tokens)
 * by id.
 */
export function createLoaders(
  db: Kysely<Database>,
  _dialect: EngineDialect,
  principal: Principal,
  options: LoaderOptions = { batch: true },
) {
  const { batch } = options;
  const students = readerOf(principal, 'student');
  const cases = readerOf(principal, 'case');
  const alerts = readerOf(principal, 'alert');
  const auditReader = readerOf(principal, 'audit');
  const reference = readerOf(principal, 'reference');
  const visible = <Row extends { id: number; school_id: number | null }>(
    reader: Viewer | null,
    fetch: (viewer: Viewer, keys: readonly SchoolKey[]) => Promise<Row[]>,
  ) => bySchoolKey<Row>(async (keys) => (reader ? await fetch(reader, keys) : []), schoolKeyOf, options);
  const visibleById = <Row extends { id: number }>(
    reader: Viewer | null,
    fetch: (viewer: Viewer, ids: readonly number[]) => Promise<Row[]>,
  ) => byKey<number, Row>(async (ids) => (reader ? await fetch(reader, ids) : []), id, options);

  return lazily({
    visibleStudent: () => visible(students, (v, keys) => visibleStudentsById(db, v, keys)),
    visibleCase: () => visible(cases, (v, keys) => visibleCasesById(db, v, keys)),
    visibleCaseEvent: () => visible(cases, (v, keys) => visibleCaseEventsById(db, v, keys)),
    visibleAlert: () => visible(alerts, (v, keys) => visibleAlertsById(db, v, keys)),
    visibleAuditEntry: () => visible(auditReader, (v, keys) => visibleAuditEntriesById(db, v, keys)),
    visibleClassroom: () => visible(reference, (v, keys) => visibleClassroomsById(db, v, keys)),
    visibleSchool: () => visibleById(reference, (v, ids) => visibleSchoolsById(db, v, ids)),
    visibleUser: () => visibleById(reference, (v, ids) => visibleUsersById(db, v, ids)),
    // Staff see the tokens they manage; a token sees itself, and no other token, whatever its scopes.
    visibleApiToken: () =>
      byKey<number, ApiToken>(
        async (ids) => {
          if (principal.viewer)
            return db
              .selectFrom('api_tokens')
              .selectAll()
              .where('id', 'in', ids)
              .where(visibleApiTokens(principal.viewer))
              .execute();
          const own = principal.token?.tokenId;
          return own !== undefined && ids.includes(own)
            ? db.selectFrom('api_tokens').selectAll().where('id', '=', own).execute()
            : [];
        },
        id,
        options,
      ),
    // A session is its user's alone: staff see their own; a token none.
    visibleSession: () =>
      visibleById(principal.viewer, (v, ids) =>
        liveSessions(db, ownSessions(v), liveAt(options.now ?? new Date()))
          .where('id', 'in', ids)
          .execute(),
      ),

    studentById: () => bySchoolKey((keys) => studentsById(db, keys), schoolKeyOf, options),
    userById: () => byKey((ids) => usersById(db, ids), id, options),
    // The people on a case's timeline are read one level deeper than a case's owner; a loader of their own
    // keeps the statement count of a page the same however the two levels' timing falls.
    timelineUserById: () => byKey((ids) => usersById(db, ids), id, options),
    schoolById: () => byKey((ids) => schoolsById(db, ids), id, options),
    classroomById: () =>
      bySchoolKey(
        (keys) =>
          options.reference
            ? options.reference.rowsByKey<SchoolKey, Classroom>(
                'classroom',
                keys,
                { keyString: schoolKeyString, rowKey: (row) => schoolKeyString(schoolKeyOf(row)) },
                (missing) => classroomsById(db, missing),
              )
            : classroomsById(db, keys),
        schoolKeyOf,
        options,
      ),
    riskProfileByStudentId: () =>
      bySchoolKey(
        (students) => riskProfilesByStudentId(db, students),
        (row) => ({ schoolId: row.school_id, id: row.student_id }),
        options,
      ),
    /**
     * A case's alerts, by the case's school and id, through the alerts' own scope: a form master sees a case
     * assigned to them whose alerts went to another classroom's form master, and those stay hidden.
     */
    alertsByCaseId: () =>
      groupedBySchoolKey(
        async (keys) =>
          alerts
            ? db
                .selectFrom('case_alerts')
                .innerJoin('alerts', (join) =>
                  join
                    .onRef('alerts.school_id', '=', 'case_alerts.school_id')
                    .onRef('alerts.id', '=', 'case_alerts.alert_id'),
                )
                .selectAll('alerts')
                .select('case_alerts.case_id')
                .where(bySchoolKeys('case_alerts', keys, 'case_id'))
                .where(visibleStudentRecordsPerRow('alerts', alerts))
                .orderBy('alerts.id')
                .execute()
            : [],
        (row) => ({ schoolId: row.school_id, id: row.case_id }),
        options,
      ),
    /** A classroom's form masters, by the classroom's school and id. */
    formMastersByClassroomId: () =>
      groupedBySchoolKey(
        (classrooms) => formMastersOf(db, classrooms),
        (row) => ({ schoolId: row.classroom_school_id, id: row.classroom_id }),
        options,
      ),

    attendanceByStudentId: () =>
      studentHistoryLoader(
        db,
        'attendance_records',
        [
          {
            expression: sql.ref('attendance_records.date'),
            direction: 'desc',
            value: (row: AttendanceRecord) => row.date,
          },
        ],
        (row) => row.student_id,
        options,
      ),
    incidentsByStudentId: () =>
      studentHistoryLoader(
        db,
        'behaviour_incidents',
        [
          {
            expression: sql.ref('behaviour_incidents.occurred_on'),
            direction: 'desc',
            value: (row: BehaviourIncident) => row.occurred_on,
          },
          {
            expression: sql.ref('behaviour_incidents.id'),
            direction: 'desc',
            value: (row: BehaviourIncident) => row.id,
          },
        ],
        (row) => row.student_id,
        options,
      ),
    /** Null for a reader who may not read the audit log: Student.disclosures is then null. */
    disclosuresByStudentId: () =>
      auditReader && readsAuditLog(auditReader) ? disclosuresLoader(db, auditReader, options) : null,
    /** Null for a reader who may not read the audit log: Student.viewedBy is then null. */
    recordViewsByStudentId: () =>
      auditReader && readsAuditLog(auditReader) ? recordViewsLoader(db, auditReader, options) : null,
    alertsByStudentId: () =>
      studentRecordsLoader(
        db,
        'alerts',
        'alert_date',
        alerts ? visibleStudentRecordsPerRow('alerts', alerts) : null,
        options,
      ),
    casesByStudentId: () =>
      studentRecordsLoader(
        db,
        'intervention_cases',
        'created_at',
        cases ? visibleStudentRecordsPerRow('intervention_cases', cases) : null,
        options,
      ),
    /** A case's timeline, by the case's school and id. */
    timelineByCaseId: () =>
      nestedConnectionLoader({
        db,
        batch,
        rowsOf: (cases) =>
          db
            .selectFrom('case_events')
            .selectAll()
            .where(bySchoolKeys('case_events', cases, 'case_id')),
        parentColumn: 'case_events.case_id',
        parentOf: (row) => row.case_id,
        keys: [
          { expression: sql.ref('case_events.created_at'), direction: 'asc', value: (row) => row.created_at },
          { expression: sql.ref('case_events.id'), direction: 'asc', value: (row) => row.id },
        ],
        countsOf: async (cases) =>
          toCountMap(
            await db
              .selectFrom('case_events')
              .select(['case_id as parent', (eb) => eb.fn.countAll<number>().as('count')])
              .where(bySchoolKeys('case_events', cases, 'case_id'))
              .groupBy('case_id')
              .execute(),
          ),
      }),
  });
}

export type Loaders = ReturnType<typeof createLoaders>;
