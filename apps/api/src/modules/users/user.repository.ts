import { type Database, preparedQuery, type Role } from '@pastoral/db';
import type { Kysely } from 'kysely';
import type { Viewer } from '../auth/viewer.ts';
import { visibleUsers } from './user.policy.ts';

export async function visibleUsersById(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db.selectFrom('users').selectAll().where('id', 'in', ids).where(visibleUsers(viewer)).execute();
}

// Prepared: a case's owner and an alert's acknowledger are read on most list pages (prepared-query.ts).
const usersByIdQuery = preparedQuery((db: Kysely<Database>, { ids }: { ids: number[] }) =>
  db.selectFrom('users').selectAll().where('id', 'in', ids),
);

/** Staff by id, for the people on records the viewer can already see (a visible case's owner). */
export async function usersById(db: Kysely<Database>, ids: readonly number[]) {
  return usersByIdQuery(db, { ids: [...ids] });
}

/** A school's active staff the viewer can see, by name (a school has tens of staff: a bounded list). */
export async function staffOfSchool(db: Kysely<Database>, viewer: Viewer, schoolId: number) {
  return db
    .selectFrom('users')
    .selectAll()
    .where('school_id', '=', schoolId)
    .where('is_active', '=', 1)
    .where(visibleUsers(viewer))
    .orderBy('full_name')
    .orderBy('id')
    .limit(500)
    .execute();
}

/** The account an operator changes from the command line, by e-mail address (as stored: trimmed, lower case). */
export async function accountByEmail(db: Kysely<Database>, email: string) {
  return db.selectFrom('users').select(['id', 'school_id', 'role']).where('email', '=', email).executeTakeFirst();
}

export async function setPasswordHash(db: Kysely<Database>, userId: number, passwordHash: string, timestamp: string) {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: timestamp })
    .where('id', '=', userId)
    .execute();
}

export async function setRole(
  db: Kysely<Database>,
  userId: number,
  change: { role: Role; schoolId: number | null },
  timestamp: string,
) {
  await db
    .updateTable('users')
    .set({ role: change.role, school_id: change.schoolId, updated_at: timestamp })
    .where('id', '=', userId)
    .execute();
}
