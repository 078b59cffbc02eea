/**
 * How a statement names the school of the rows it reads: every query on a tenant table carries its school
 * (SCHOOL_COLUMN), so that a deployment sharded by school (Vitess, docs/SCALING.md) sends it to one shard. The
 * few reads that must span the district say so, with a reason from the reviewed list below, in a comment the
 * database's logs and the query-capture check (school-predicates.ts) both see.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';

/**
 * The reviewed district-wide reads. Each is a read a district must make across its schools, and goes to every
 * shard on purpose; adding one is a design decision to review, not a way to silence the check.
 */
export const DISTRICT_WIDE_REASONS = {
  /** A district admin's (or a district token's) lists and counts across schools, with no school filter. */
  'district-lists': 'a district admin lists or counts across every school',
  /** A district admin's audit log: every school's entries and the district's own, by time. */
  'district-audit-log': 'a district admin reads the whole audit log',
  /**
   * The audit log's maintenance across its chains (one a school, one the district's): archival by age, listing
   * the chains that `audit verify` and retention walk, the legacy chain of entries written before per-school
   * chains, the district-wide `seq`, and a district-wide export. One school's chain is read by its school.
   */
  'audit-chain': "the district's audit chain is walked as a whole",
} as const;
export type DistrictWideReason = keyof typeof DISTRICT_WIDE_REASONS;

/** A where-clause that keeps every row, marked as a district-wide read for `reason`. */
export function districtWide(reason: DistrictWideReason): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.raw(`/* district-wide: ${reason} */`)} 1 = 1`;
}

/** A where-clause that keeps no row: a viewer who may see none of a table. */
export const NOTHING = sql<SqlBool>`1 = 0`;

/**
 * A where-clause that keeps every row, for the district's own tables (staff, tokens, schools). A school's table
 * read across the district is districtWide(reason) instead.
 */
export const EVERYTHING = sql<SqlBool>`1 = 1`;

/**
 * Rows of `table` by key: `school_id in (…) and id in (…)`. Keys pair a school with an id; the pairs themselves
 * are matched by the loader that reads the rows (rowsByKey), since ids are unique across schools.
 */
export function bySchoolKeys(table: string, keys: readonly SchoolKey[], idColumn = 'id'): RawBuilder<SqlBool> {
  const { schools, ids } = schoolKeyLists(table, keys);
  return bySchoolLists(table, schools, ids, idColumn);
}

/** The distinct schools and ids of keys, as bySchoolLists (and a prepared query's list arguments) take them. */
export function schoolKeyLists(table: string, keys: readonly SchoolKey[]): { schools: number[]; ids: number[] } {
  const schools = [...new Set(keys.map((key) => key.schoolId))];
  if (schools.includes(null)) throw new Error(`bySchoolKeys(${table}): a key without a school`);
  return { schools: schools as number[], ids: [...new Set(keys.map((key) => key.id))] };
}

/** bySchoolKeys from distinct lists (schoolKeyLists), each item a statement parameter. */
export function bySchoolLists(
  table: string,
  schools: readonly number[],
  ids: readonly number[],
  idColumn = 'id',
): RawBuilder<SqlBool> {
  return sql<SqlBool>`(${sql.ref(`${table}.school_id`)} in (${sql.join(schools)}) and ${sql.ref(`${table}.${idColumn}`)} in (${sql.join(ids)}))`;
}

/**
 * A row of a school's table by its school and id: how loaders and mutations name the rows they read. The
 * school is null only for the audit log's district entries.
 */
export interface SchoolKey {
  schoolId: number | null;
  id: number;
}

/** The key of a row that carries its school. */
export function schoolKeyOf(row: { id: number; school_id: number | null }): SchoolKey {
  return { schoolId: row.school_id, id: row.id };
}

/** The string a key is cached and matched by: two keys of the same row are the same string. */
export function schoolKeyString(key: SchoolKey): string {
  return `${key.schoolId ?? '-'}:${key.id}`;
}
