import { type AuditEntry, type Database, TABLE_COLUMNS } from '@pastoral/db';
import { type Kysely, type SelectQueryBuilder, sql } from 'kysely';
import { type ConnectionModel, COUNT_CAP } from '../../paging/connection.ts';
import { countCapped, paginateMerged } from '../../paging/keyset.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { bySchoolKeys, type SchoolKey } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleAuditEntries, visibleRecordViews } from './audit-log.policy.ts';

export interface AuditFilterValues {
  actorId?: number;
  actorType?: string;
  action?: string;
  entityType?: string;
  entityId?: number;
  schoolId?: number;
  /** Read the archive too (entries moved there by `pastoral audit archive`). */
  includeArchived: boolean;
  /** Timestamps as stored; `from` defaults to 30 days before `to`. */
  from: string;
  to: string;
}

export async function listAuditEntries(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: AuditFilterValues,
  args: PageArgs,
): Promise<ConnectionModel> {
  const tables = [filteredEntries(db.selectFrom('audit_log'), viewer, filter)];
  if (filter.includeArchived) {
    tables.push(filteredEntries(archiveAsLiveLog(db), viewer, filter));
  }
  const keys: SortKey<AuditEntry>[] = [
    { expression: sql.ref('audit_log.occurred_at'), direction: 'desc', value: (r) => r.occurred_at },
    { expression: sql.ref('audit_log.id'), direction: 'desc', value: (r) => Number(r.id) },
  ];
  return paginateMerged({
    queries: tables.map((query) => query.selectAll('audit_log')),
    keys,
    args,
    count: async () => {
      let total = 0;
      // Stops early: past the cap the exact figure is not reported anyway.
      for (const query of tables) if (total <= COUNT_CAP) total += await countCapped(db, query);
      return total;
    },
  });
}

function filteredEntries(
  query: SelectQueryBuilder<Database, 'audit_log', object>,
  viewer: Viewer,
  filter: AuditFilterValues,
): SelectQueryBuilder<Database, 'audit_log', object> {
  let filtered = query
    .where(visibleAuditEntries(viewer))
    .where('audit_log.occurred_at', '>=', filter.from)
    .where('audit_log.occurred_at', '<', filter.to);
  if (filter.actorId !== undefined) filtered = filtered.where('audit_log.user_id', '=', filter.actorId);
  if (filter.actorType !== undefined) filtered = filtered.where('audit_log.actor_type', '=', filter.actorType);
  if (filter.action !== undefined) filtered = filtered.where('audit_log.action', '=', filter.action);
  if (filter.entityType !== undefined) filtered = filtered.where('audit_log.entity_type', '=', filter.entityType);
  if (filter.entityId !== undefined) filtered = filtered.where('audit_log.entity_id', '=', filter.entityId);
  if (filter.schoolId !== undefined) filtered = filtered.where('audit_log.school_id', '=', filter.schoolId);
  return filtered;
}

/** Entries by key, live or archived: an id stays valid after its entry moves to the archive. */
export async function visibleAuditEntriesById(db: Kysely<Database>, viewer: Viewer, keys: readonly SchoolKey[]) {
  const live = await entriesByKey(() => db.selectFrom('audit_log'), viewer, keys);
  const found = new Set(live.map((entry) => Number(entry.id)));
  const missing = keys.filter((key) => !found.has(key.id));
  // Only ids the live log lacks (archived, invisible or unknown) cost the second lookup.
  if (missing.length === 0) return live;
  return [...live, ...(await entriesByKey(() => archiveAsLiveLog(db), viewer, missing))];
}

/**
 * Entries of the live log or the archive by key, through the viewer's scope: those of schools in one statement,
 * the district's own (no school) in another, each naming where its entries live.
 */
async function entriesByKey(
  table: () => SelectQueryBuilder<Database, 'audit_log', object>,
  viewer: Viewer,
  keys: readonly SchoolKey[],
): Promise<AuditEntry[]> {
  const ofSchools = keys.filter((key) => key.schoolId !== null);
  const ofDistrict = keys.filter((key) => key.schoolId === null).map((key) => key.id);
  const reads: SelectQueryBuilder<Database, 'audit_log', object>[] = [];
  if (ofSchools.length > 0) reads.push(table().where(bySchoolKeys('audit_log', ofSchools)));
  if (ofDistrict.length > 0) {
    reads.push(table().where('audit_log.school_id', 'is', null).where('audit_log.id', 'in', ofDistrict));
  }
  const rows = await Promise.all(
    reads.map((query) => query.selectAll('audit_log').where(visibleAuditEntries(viewer)).execute()),
  );
  return rows.flat();
}

/**
 * The disclosure records of some students: every read of their data by an API token, from the live log and
 * the archive in one statement (UNION ALL, each side on its (student_id, occurred_at) index), through the
 * viewer's scope. Returned as a table named `disclosures`, ready for ordering and paging per student.
 */
export function disclosuresOf(
  db: Kysely<Database>,
  viewer: Viewer,
  students: readonly SchoolKey[],
): SelectQueryBuilder<Database, 'audit_log', AuditEntry> {
  const side = (query: SelectQueryBuilder<Database, 'audit_log', object>) =>
    query
      // The same columns in the same order on both sides: the archive's archived_at is left out.
      .select(TABLE_COLUMNS.audit_log.map((column) => `audit_log.${column}` as const))
      .where(bySchoolKeys('audit_log', students, 'student_id'))
      .where('audit_log.action', '=', 'student.disclosed')
      .where(visibleAuditEntries(viewer));
  const bothTables = side(db.selectFrom('audit_log')).unionAll(side(archiveAsLiveLog(db)));
  return db.selectFrom(bothTables.as('disclosures')).selectAll() as unknown as SelectQueryBuilder<
    Database,
    'audit_log',
    AuditEntry
  >;
}

/** The staff views of some students' records that the viewer may read (visibleRecordViews). */
export function recordViewsOf(db: Kysely<Database>, viewer: Viewer, students: readonly SchoolKey[]) {
  return db
    .selectFrom('student_record_views')
    .selectAll()
    .where(bySchoolKeys('student_record_views', students, 'student_id'))
    .where(visibleRecordViews(viewer));
}

/** disclosuresOf counted per student, for nested totalCount. */
export async function countDisclosures(
  db: Kysely<Database>,
  viewer: Viewer,
  students: readonly SchoolKey[],
): Promise<Map<number, number>> {
  const rows = (await db
    .selectFrom(disclosuresOf(db, viewer, students).as('counted'))
    .select([sql<number>`counted.student_id`.as('parent'), sql<number>`count(*)`.as('count')])
    .groupBy(sql.ref('counted.student_id'))
    .execute()) as { parent: number; count: number | string }[];
  return new Map(rows.map((row) => [row.parent, Number(row.count)]));
}

/** recordViewsOf counted per student, for nested totalCount. */
export async function countRecordViews(
  db: Kysely<Database>,
  viewer: Viewer,
  students: readonly SchoolKey[],
): Promise<Map<number, number>> {
  const rows = await recordViewsOf(db, viewer, students)
    .clearSelect()
    .select(['student_record_views.student_id as parent', (eb) => eb.fn.countAll<number>().as('count')])
    .groupBy('student_record_views.student_id')
    .execute();
  return new Map(rows.map((row) => [row.parent, Number(row.count)]));
}

/**
 * The archive under the live log's name: it has every column of the live log (and archived_at), so the same
 * scope, filters and sort keys apply to it unchanged.
 */
function archiveAsLiveLog(db: Kysely<Database>): SelectQueryBuilder<Database, 'audit_log', object> {
  return db.selectFrom('audit_log_archive as audit_log') as unknown as SelectQueryBuilder<
    Database,
    'audit_log',
    object
  >;
}
