/** A school's loaders: through the schools' scope, and as the relation of a row already visible. */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { byKey, type LoaderOptions, rowId, visibleById } from '../../keyed-loaders.ts';
import { type Principal, readerOf } from '../../principal.ts';
import { schoolsById, visibleSchoolsById } from './school.repository.ts';

export function schoolLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  const reader = readerOf(principal, 'reference');
  return {
    visibleSchool: () => visibleById(reader, (v, ids) => visibleSchoolsById(db, v, ids), options),
    schoolById: () => byKey((ids) => schoolsById(db, ids), rowId, options),
  };
}
