import type { Classroom, Database, School } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import {
  type ConnectionModel,
  countCapped,
  type PageArgs,
  paginate,
  type SchoolKey,
  type SortKey,
} from '../../graphql/relay.ts';
import { bySchoolKeys, NOTHING } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleClassrooms } from '../classrooms/classroom.policy.ts';
import { visibleSchools } from './school.policy.ts';

export async function listSchools(db: Kysely<Database>, viewer: Viewer, args: PageArgs): Promise<ConnectionModel> {
  const query = db.selectFrom('schools').where(visibleSchools(viewer));
  const keys: SortKey<School>[] = [
    { expression: sql.ref('schools.code'), direction: 'asc', value: (r) => r.code },
    { expression: sql.ref('schools.id'), direction: 'asc', value: (r) => r.id },
  ];
  return paginate({ query: query.selectAll('schools'), keys, args, count: () => countCapped(db, query) });
}

export async function visibleSchoolsById(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db.selectFrom('schools').selectAll().where('id', 'in', ids).where(visibleSchools(viewer)).execute();
}

export async function schoolsById(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('schools').selectAll().where('id', 'in', ids).execute();
}

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

/** Every school in the database, whoever may see them: an empty database has none. */
export async function countSchools(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('schools')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}
