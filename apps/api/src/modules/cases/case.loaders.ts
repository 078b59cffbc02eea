/** A case's loaders: the case and its timeline entries through the cases' scope, a student's cases, a timeline. */
import type { Database } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import { type LoaderOptions, visibleBySchoolKey } from '../../keyed-loaders.ts';
import { nestedConnectionLoader } from '../../paging/nested.ts';
import { type Principal, readerOf } from '../../principal.ts';
import { studentRecordsLoader } from '../students/student.loaders.ts';
import { visibleStudentRecordsPerRow } from '../students/student.policy.ts';
import { countTimelines, timelinesOf, visibleCaseEventsById, visibleCasesById } from './case.repository.ts';

export function caseLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'case');
  return {
    visibleCase: () => visibleBySchoolKey(reader, (v, keys) => visibleCasesById(db, v, keys), options),
    visibleCaseEvent: () => visibleBySchoolKey(reader, (v, keys) => visibleCaseEventsById(db, v, keys), options),
    casesByStudentId: () =>
      studentRecordsLoader(
        db,
        'intervention_cases',
        'created_at',
        reader ? visibleStudentRecordsPerRow('intervention_cases', reader) : null,
        options,
      ),
    /** A case's timeline, by the case's school and id. */
    timelineByCaseId: () =>
      nestedConnectionLoader({
        db,
        batch: options.batch,
        rowsOf: (cases) => timelinesOf(db, cases),
        parentColumn: 'case_events.case_id',
        parentOf: (row) => row.case_id,
        keys: [
          { expression: sql.ref('case_events.created_at'), direction: 'asc', value: (row) => row.created_at },
          { expression: sql.ref('case_events.id'), direction: 'asc', value: (row) => row.id },
        ],
        countsOf: (cases) => countTimelines(db, cases),
      }),
  };
}
