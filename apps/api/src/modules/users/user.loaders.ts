/** A member of staff's loaders: through the staff's scope, and as the relation of a row already visible. */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { byKey, type LoaderOptions, rowId, visibleById } from '../../keyed-loaders.ts';
import { type Principal, readerOf } from '../../principal.ts';
import { usersById, visibleUsersById } from './user.repository.ts';

export function userLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'reference');
  return {
    visibleUser: () => visibleById(reader, (v, ids) => visibleUsersById(db, v, ids), options),
    userById: () => byKey((ids) => usersById(db, ids), rowId, options),
    // The people on a case's timeline are read one level deeper than a case's owner; a loader of their own
    // keeps the statement count of a page the same however the two levels' timing falls.
    timelineUserById: () => byKey((ids) => usersById(db, ids), rowId, options),
  };
}
