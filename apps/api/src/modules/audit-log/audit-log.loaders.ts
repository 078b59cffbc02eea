/** The audit log's loaders: an entry through the log's scope, and the two records of each student's reads. */
import type { Database } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import { type LoaderOptions, visibleBySchoolKey } from '../../keyed-loaders.ts';
import { nestedConnectionLoader } from '../../paging/nested.ts';
import { type Principal, readerOf } from '../../principal.ts';
import type { Viewer } from '../auth/viewer.ts';
import { readsAuditLog } from './audit-log.policy.ts';
import {
  countDisclosures,
  countRecordViews,
  disclosuresOf,
  recordViewsOf,
  visibleAuditEntriesById,
} from './audit-log.repository.ts';

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
    countsOf: (students) => countDisclosures(db, reader, students),
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
    countsOf: (students) => countRecordViews(db, reader, students),
  });
}

export function auditLogLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'audit');
  return {
    visibleAuditEntry: () => visibleBySchoolKey(reader, (v, keys) => visibleAuditEntriesById(db, v, keys), options),
    /** Null for a reader who may not read the audit log: Student.disclosures is then null. */
    disclosuresByStudentId: () => (reader && readsAuditLog(reader) ? disclosuresLoader(db, reader, options) : null),
    /** Null for a reader who may not read the audit log: Student.viewedBy is then null. */
    recordViewsByStudentId: () => (reader && readsAuditLog(reader) ? recordViewsLoader(db, reader, options) : null),
  };
}
