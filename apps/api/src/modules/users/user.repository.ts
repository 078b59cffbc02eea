import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { visibleUsers } from './user.policy.ts';

export async function visibleUsersById(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db.selectFrom('users').selectAll().where('id', 'in', ids).where(visibleUsers(viewer)).execute();
}

/** Staff by id, for the people on records the viewer can already see (a visible case's owner). */
export async function usersById(db: Kysely<Database>, ids: readonly number[]) {
  return db.selectFrom('users').selectAll().where('id', 'in', ids).execute();
}
