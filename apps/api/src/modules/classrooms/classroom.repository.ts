/** Classrooms (form groups) and who takes them: plain Kysely reads through the classrooms' visibility scope. */
import type { Classroom, Database } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import type { ConnectionModel } from '../../paging/connection.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import { bySchoolKeys, NOTHING, type SchoolKey } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleClassrooms } from './classroom.policy.ts';

export interface ClassroomFilterValues {
  schoolId?: number;
  yearGroup?: number;
  mine?: boolean;
}

export async function listClassrooms(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: ClassroomFilterValues,
  args: PageArgs,
): Promise<ConnectionModel> {
  let query = db.selectFrom('classrooms').where(visibleClassrooms(viewer));
  if (filter.schoolId !== undefined) query = query.where('classrooms.school_id', '=', filter.schoolId);
  if (filter.yearGroup !== undefined) query = query.where('classrooms.year_group', '=', filter.yearGroup);
  if (filter.mine) {
    query =
      viewer.classroomIds.length > 0 ? query.where('classrooms.id', 'in', viewer.classroomIds) : query.where(NOTHING);
  }
  const keys: SortKey<Classroom>[] = [
    { expression: sql.ref('classrooms.school_id'), direction: 'asc', value: (r) => r.school_id },
    { expression: sql.ref('classrooms.year_group'), direction: 'asc', value: (r) => r.year_group },
    { expression: sql.ref('classrooms.name'), direction: 'asc', value: (r) => r.name },
    { expression: sql.ref('classrooms.id'), direction: 'asc', value: (r) => r.id },
  ];
  return paginate({ query: query.selectAll('classrooms'), keys, args, count: () => countCapped(db, query) });
}

export async function visibleClassroomsById(db: Kysely<Database>, viewer: Viewer, keys: readonly SchoolKey[]) {
  return db
    .selectFrom('classrooms')
    .selectAll()
    .where(bySchoolKeys('classrooms', keys))
    .where(visibleClassrooms(viewer))
    .execute();
}

export async function classroomsById(db: Kysely<Database>, keys: readonly SchoolKey[]) {
  return db.selectFrom('classrooms').selectAll().where(bySchoolKeys('classrooms', keys)).execute();
}

/** The form masters (and assistants) of classrooms, by the classrooms' keys. */
export async function formMastersOf(db: Kysely<Database>, classrooms: readonly SchoolKey[]) {
  return db
    .selectFrom('classroom_assignments')
    .innerJoin('users', 'users.id', 'classroom_assignments.user_id')
    .selectAll('users')
    .select(['classroom_assignments.classroom_id', 'classroom_assignments.school_id as classroom_school_id'])
    .where(bySchoolKeys('classroom_assignments', classrooms, 'classroom_id'))
    .orderBy('classroom_assignments.kind', 'desc')
    .orderBy('users.full_name')
    .execute();
}

/** A school's classrooms, for naming them in a roster (a school has tens: a bounded list). */
export async function classroomsOfSchool(db: Kysely<Database>, schoolId: number) {
  return db.selectFrom('classrooms').select(['id', 'name', 'year_group']).where('school_id', '=', schoolId).execute();
}
