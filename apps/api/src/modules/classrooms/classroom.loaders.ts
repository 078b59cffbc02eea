/** A classroom's loaders: the classroom (from the process's reference cache when there is one), its form masters. */
import type { Classroom, Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { bySchoolKey, groupedBySchoolKey, type LoaderOptions, visibleBySchoolKey } from '../../keyed-loaders.ts';
import { type Principal, readerOf } from '../../principal.ts';
import { type SchoolKey, schoolKeyOf, schoolKeyString } from '../../school-scope.ts';
import { classroomsById, formMastersOf, visibleClassroomsById } from './classroom.repository.ts';

export function classroomLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'reference');
  return {
    visibleClassroom: () => visibleBySchoolKey(reader, (v, keys) => visibleClassroomsById(db, v, keys), options),
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
    /** A classroom's form masters, by the classroom's school and id. */
    formMastersByClassroomId: () =>
      groupedBySchoolKey(
        (classrooms) => formMastersOf(db, classrooms),
        (row) => ({ schoolId: row.classroom_school_id, id: row.classroom_id }),
        options,
      ),
  };
}
