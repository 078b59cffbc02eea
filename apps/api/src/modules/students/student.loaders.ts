/** A student's loaders: the student, their risk profile, and the nested connections of their record. */
import type { AttendanceRecord, BehaviourIncident, Database } from '@pastoral/db';
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { bySchoolKey, type LoaderOptions, visibleBySchoolKey } from '../../keyed-loaders.ts';
import type { SortKey } from '../../paging/cursor.ts';
import { nestedConnectionLoader } from '../../paging/nested.ts';
import { type Principal, readerOf } from '../../principal.ts';
import { schoolKeyOf } from '../../school-scope.ts';
import {
  countByStudent,
  countStudentRecords,
  historyOf,
  riskProfilesByStudentId,
  type StudentRecordScope,
  type StudentRecordTable,
  studentRecordsOf,
  studentsById,
  visibleStudentsById,
} from './student.repository.ts';

/**
 * A student's alerts or cases, newest first, through the scope of whoever reads them (null: nobody, and none
 * are read): the nested connections Student.alerts and Student.cases.
 */
export function studentRecordsLoader<Table extends StudentRecordTable>(
  db: Kysely<Database>,
  table: Table,
  dateColumn: 'alert_date' | 'created_at',
  scope: StudentRecordScope<Table>,
  { batch }: LoaderOptions,
) {
  type Row = { id: number; student_id: number } & Record<string, string | number | null>;
  return nestedConnectionLoader({
    db,
    batch,
    rowsOf: (students) =>
      studentRecordsOf(db, table, students, scope).selectAll() as unknown as SelectQueryBuilder<Database, Table, Row>,
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
    countsOf: (students) => countStudentRecords(db, table, students, scope),
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
    rowsOf: (students) => historyOf(db, table, students) as unknown as SelectQueryBuilder<Database, Table, Row>,
    parentColumn: `${table}.student_id`,
    parentOf,
    keys,
    countsOf: (students) => countByStudent(db, table, students),
  });
}

export function studentLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'student');
  return {
    visibleStudent: () => visibleBySchoolKey(reader, (v, keys) => visibleStudentsById(db, v, keys), options),
    studentById: () => bySchoolKey((keys) => studentsById(db, keys), schoolKeyOf, options),
    riskProfileByStudentId: () =>
      bySchoolKey(
        (students) => riskProfilesByStudentId(db, students),
        (row) => ({ schoolId: row.school_id, id: row.student_id }),
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
  };
}
