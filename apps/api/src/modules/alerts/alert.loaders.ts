/** An alert's loaders: the alert, a case's alerts and a student's alerts, each through the alerts' own scope. */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { groupedBySchoolKey, type LoaderOptions, visibleBySchoolKey } from '../../keyed-loaders.ts';
import { type Principal, readerOf } from '../../principal.ts';
import { studentRecordsLoader } from '../students/student.loaders.ts';
import { visibleStudentRecordsPerRow } from '../students/student.policy.ts';
import { visibleAlertsById, visibleAlertsOfCases } from './alert.repository.ts';

export function alertLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'alert');
  return {
    visibleAlert: () => visibleBySchoolKey(reader, (v, keys) => visibleAlertsById(db, v, keys), options),
    /** A case's alerts, by the case's school and id (see visibleAlertsOfCases). */
    alertsByCaseId: () =>
      groupedBySchoolKey(
        async (cases) => (reader ? visibleAlertsOfCases(db, reader, cases) : []),
        (row) => ({ schoolId: row.school_id, id: row.case_id }),
        options,
      ),
    alertsByStudentId: () =>
      studentRecordsLoader(
        db,
        'alerts',
        'alert_date',
        reader ? visibleStudentRecordsPerRow('alerts', reader) : null,
        options,
      ),
  };
}
