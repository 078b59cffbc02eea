/**
 * The summary rows (`summary_counts`, kept by triggers: migrations/20261218100000_summary_counts.ts) against the
 * tables they summarise: counted afresh here, for `pastoral summaries rebuild` and `pastoral doctor`; and the
 * lists' totals read from them.
 */
import type { Database, SummaryCount } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import { districtWide } from '../../school-scope.ts';
import type { Viewer } from '../auth/viewer.ts';
import { seesWholeSchool } from '../students/student.policy.ts';

type Row = Omit<SummaryCount, 'count'>;

const keyOf = (row: Row) => `${row.scope_kind}:${row.scope_id}:${row.metric}:${row.bucket}`;

/** Adds `count` to a row of the map, creating it. */
function add(rows: Map<string, SummaryCount>, row: Row, count: number) {
  const key = keyOf(row);
  const existing = rows.get(key);
  if (existing) existing.count += count;
  else rows.set(key, { ...row, count });
}

/**
 * Every summary row of a school, counted from its alerts, cases, students and risk profiles (four GROUP BYs
 * over the school's rows); rows that would be 0 are left out.
 */
export async function countSchoolSummaries(db: Kysely<Database>, schoolId: number): Promise<SummaryCount[]> {
  const [alerts, cases, reviews, students] = await Promise.all([
    db
      .selectFrom('alerts')
      .select(['assigned_to', 'status', (eb) => eb.fn.countAll<number>().as('count')])
      .where('school_id', '=', schoolId)
      .groupBy(['assigned_to', 'status'])
      .execute(),
    db
      .selectFrom('intervention_cases')
      .select(['assigned_to', 'status', (eb) => eb.fn.countAll<number>().as('count')])
      .where('school_id', '=', schoolId)
      .groupBy(['assigned_to', 'status'])
      .execute(),
    db
      .selectFrom('intervention_cases')
      .select(['assigned_to', 'next_review_at', (eb) => eb.fn.countAll<number>().as('count')])
      .where('school_id', '=', schoolId)
      .where('status', '<>', 'CLOSED')
      .where('next_review_at', 'is not', null)
      .groupBy(['assigned_to', 'next_review_at'])
      .execute(),
    db
      .selectFrom('students')
      .leftJoin('risk_profiles', 'risk_profiles.student_id', 'students.id')
      .select([
        'students.classroom_id',
        (eb) => eb.fn.coalesce('risk_profiles.level', eb.lit(0)).as('level'),
        (eb) => eb.fn.countAll<number>().as('count'),
      ])
      .where('students.school_id', '=', schoolId)
      .where('students.is_active', '=', 1)
      .groupBy(['students.classroom_id', 'risk_profiles.level'])
      .execute(),
  ]);
  const rows = new Map<string, SummaryCount>();
  const school = { school_id: schoolId, scope_kind: 'school', scope_id: 0 } as const;
  const assignee = (id: number) => ({ school_id: schoolId, scope_kind: 'assignee', scope_id: id }) as const;
  for (const [metric, groups] of [
    ['alerts', alerts],
    ['cases', cases],
  ] as const) {
    for (const group of groups) {
      add(rows, { ...school, metric, bucket: group.status }, Number(group.count));
      if (group.assigned_to !== null) {
        add(rows, { ...assignee(group.assigned_to), metric, bucket: group.status }, Number(group.count));
      }
    }
  }
  for (const group of reviews) {
    const day = String(group.next_review_at).slice(0, 10);
    const scopes = group.assigned_to === null ? [school] : [school, assignee(group.assigned_to)];
    for (const scope of scopes) {
      add(rows, { ...scope, metric: 'review_year', bucket: day.slice(0, 4) }, Number(group.count));
      add(rows, { ...scope, metric: 'review_month', bucket: day.slice(0, 7) }, Number(group.count));
      add(rows, { ...scope, metric: 'review_day', bucket: day }, Number(group.count));
    }
  }
  for (const group of students) {
    const bucket = String(group.level);
    add(rows, { ...school, metric: 'students', bucket }, Number(group.count));
    add(
      rows,
      { school_id: schoolId, scope_kind: 'classroom', scope_id: group.classroom_id, metric: 'students', bucket },
      Number(group.count),
    );
  }
  return [...rows.values()].filter((row) => row.count !== 0);
}

/** A school's summary rows as stored, the zero ones left out. */
export async function storedSchoolSummaries(db: Kysely<Database>, schoolId: number): Promise<SummaryCount[]> {
  return db
    .selectFrom('summary_counts')
    .selectAll()
    .where('school_id', '=', schoolId)
    .where('count', '<>', 0)
    .execute();
}

/** Every school with summary rows or rows to summarise: the schools, and any school id left in summary_counts. */
export async function summarisedSchoolIds(db: Kysely<Database>): Promise<number[]> {
  const rows = await db
    .selectFrom('schools')
    .select('id')
    .union(db.selectFrom('summary_counts').select('school_id as id').distinct())
    .orderBy('id')
    .execute();
  return rows.map((row) => row.id);
}

export interface SummaryMismatch {
  row: Row;
  stored: number;
  counted: number;
}

/** Where a school's stored rows differ from its full counts. */
export async function schoolSummaryMismatches(db: Kysely<Database>, schoolId: number): Promise<SummaryMismatch[]> {
  const [stored, counted] = await Promise.all([
    storedSchoolSummaries(db, schoolId),
    countSchoolSummaries(db, schoolId),
  ]);
  const storedByKey = new Map(stored.map((row) => [keyOf(row), row]));
  const mismatches: SummaryMismatch[] = [];
  for (const row of counted) {
    const storedCount = Number(storedByKey.get(keyOf(row))?.count ?? 0);
    storedByKey.delete(keyOf(row));
    if (storedCount !== row.count) mismatches.push({ row, stored: storedCount, counted: row.count });
  }
  for (const row of storedByKey.values()) mismatches.push({ row, stored: Number(row.count), counted: 0 });
  return mismatches;
}

const INSERT_BATCH = 500;

/**
 * Replaces a school's summary rows with its full counts, in one transaction, while the API writes: on MySQL the
 * DELETE comes first and locks the school's rows (and the gaps between them), so a write that reaches its
 * trigger meanwhile waits for the rebuild to commit and then adds its change to the rebuilt counts; the counts
 * read after the DELETE see every write that had touched those rows before it. SQLite has one writer at a time.
 */
export async function rebuildSchoolSummaries(db: Kysely<Database>, schoolId: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('summary_counts').where('school_id', '=', schoolId).execute();
    const rows = await countSchoolSummaries(trx, schoolId);
    for (let start = 0; start < rows.length; start += INSERT_BATCH) {
      await trx
        .insertInto('summary_counts')
        .values(rows.slice(start, start + INSERT_BATCH))
        .execute();
    }
    return rows.length;
  });
}

/** The triggers that keep the summaries: one per table (alerts, cases, students, profiles) and kind of write. */
export const SUMMARY_TRIGGERS = 12;

export async function summaryTriggerCount(db: Kysely<Database>, engine: 'mysql' | 'sqlite'): Promise<number> {
  const { rows } =
    engine === 'mysql'
      ? await sql<{ n: number }>`select count(*) as n from information_schema.triggers
          where trigger_schema = database() and trigger_name like 'summary\\_%'`.execute(db)
      : await sql<{ n: number }>`select count(*) as n from sqlite_master
          where type = 'trigger' and name like 'summary\\_%' escape '\\'`.execute(db);
  return Number(rows[0]?.n ?? 0);
}

/** What a list is filtered by, of the dimensions the summary rows are kept by. */
export interface SummedList {
  metric: 'alerts' | 'cases';
  /** The statuses listed; every status when left out. */
  statuses?: readonly string[];
  /** Only the records assigned to this member of staff. */
  assigneeId?: number;
}

/**
 * A list's total read from the summary rows instead of counted over the list's own rows (a school's cases are
 * 2,000 rows, the district's alerts 200,000): for viewers who see whole schools, the list filtered at most by
 * status and assignee, which the rows are kept by. Null for anyone else (a form master sees their classrooms'
 * records, which no row counts): their list is counted as before. The total is read when asked for, not before.
 */
export function summedTotal(db: Kysely<Database>, viewer: Viewer, list: SummedList): (() => Promise<number>) | null {
  const district = viewer.role === 'DISTRICT_ADMIN';
  if (!district && (viewer.schoolId === null || !seesWholeSchool(viewer))) return null;
  return async () => {
    let query = db
      .selectFrom('summary_counts')
      .select((eb) => eb.fn.sum<number | string>('count').as('total'))
      .where('metric', '=', list.metric);
    query =
      list.assigneeId === undefined
        ? query.where('scope_kind', '=', 'school').where('scope_id', '=', 0)
        : query.where('scope_kind', '=', 'assignee').where('scope_id', '=', list.assigneeId);
    if (list.statuses) query = query.where('bucket', 'in', list.statuses);
    // The district's figures are its schools' rows, read school by school through the primary key.
    query = district
      ? query.where('school_id', 'in', db.selectFrom('schools').select('id')).where(districtWide('district-lists'))
      : query.where('school_id', '=', viewer.schoolId!);
    const row = await query.executeTakeFirst();
    return Number(row?.total ?? 0);
  };
}
