import type { Kysely } from 'kysely';
import { addIndexesTogether, dropIndexesTogether } from './support/ddl.ts';

/**
 * The district's "newly at risk" list (dashboard.repository.ts) pages the week's worsened profiles of every school
 * by (worsened_at, student_id), newest first. Through `(school_id, worsened_at)` it read the whole week of the
 * district seed (3,373 profiles, fifty ranges) and sorted it for its first 11 rows; in this index's order it reads
 * from the newest until the page is full, the school's id at hand for the district's list of schools.
 */
const INDEX = { name: 'risk_profiles_worsened_idx', columns: ['worsened_at', 'student_id', 'school_id'] };

export async function up(db: Kysely<any>): Promise<void> {
  await addIndexesTogether(db, 'risk_profiles', [INDEX]);
}

export async function down(db: Kysely<any>): Promise<void> {
  await dropIndexesTogether(db, 'risk_profiles', [INDEX.name]);
}
