import type { Database, School } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import type { ConnectionModel } from '../../paging/connection.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import type { Viewer } from '../auth/viewer.ts';
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

/** Whether a school of this id exists. */
export async function schoolExists(db: Kysely<Database>, id: number): Promise<boolean> {
  return (await db.selectFrom('schools').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;
}

/** A school's id by its code (how an integrator names a school). */
export async function schoolByCode(db: Kysely<Database>, code: string) {
  return db.selectFrom('schools').select('id').where('code', '=', code).executeTakeFirst();
}

/** A school's code by its id. */
export async function schoolCodeOf(db: Kysely<Database>, id: number) {
  return db.selectFrom('schools').select('code').where('id', '=', id).executeTakeFirst();
}

/** Every school in the database, whoever may see them: an empty database has none. */
export async function countSchools(db: Kysely<Database>): Promise<number> {
  const { count } = await db
    .selectFrom('schools')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}
