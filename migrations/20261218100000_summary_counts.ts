import { type Kysely, sql } from 'kysely';
import { columnTypes, createTable, isMysql } from './support/ddl.ts';

/**
 * `summary_counts`: what the dashboards count, kept as counts per school, per assignee (within a school) and per
 * classroom, so that a dashboard reads a few rows instead of examining 220,000 (issue 21).
 *
 * Rows, keyed (school_id, scope_kind, scope_id, metric, bucket):
 * - `alerts` / `cases` by status, for scope `school` (scope_id 0) and `assignee` (the user's id);
 * - open cases' review dates, for the same scopes, at three grains: `review_year` ('2026'), `review_month`
 *   ('2026-12') and `review_day` ('2026-12-07'). Overdue on a day is the years before it, the months of its year
 *   before it and the days of its month before it: at most a few past years + 11 + 30 rows a school, where
 *   one bucket a day would have been one row for every past day with an open case;
 * - `students`: active students by risk level ('0'..'3', 0 without a profile), scope `school` and `classroom`.
 * The district's figures are the sum of its schools' rows: no district-wide row for every write to wait on.
 *
 * They are kept by triggers, inside the statement (and so the transaction) that changes a counted row: every
 * write path keeps them, including bulk loads, raw SQL and the test factories, and a write that rolls back or
 * whose process dies takes its counts with it. Each trigger runs one statement: the row's contributions before
 * (-1) and after (+1), summed per key, the zero sums dropped (so a write that changes nothing counted touches
 * no summary row), applied in key order (so two writes lock the rows they share in the same order). On MySQL,
 * INSERT … SELECT reads the students and profiles it joins with shared locks, so a student's move and their
 * profile's change at the same time wait for each other instead of each counting the other's old state.
 *
 * Cascading foreign-key deletes do not fire triggers on MySQL: deleting a student (which the application
 * never does) leaves their alerts and cases counted until `pastoral summaries rebuild`; `pastoral doctor` says so.
 */
const KEY = 'school_id, scope_kind, scope_id, metric, bucket';

/**
 * MySQL: a trusted bulk load (the seed's, `EngineDialect.bulkInsert` with `trusted`) sets this session variable
 * and counts the summaries afresh once it has loaded, instead of running a trigger statement for each of its
 * 400,000 rows (with them the district seed took 27 minutes on 2026-12-07, on a machine busy with other work: a
 * figure with no quiet baseline beside it). It must: the load runs with foreign-key and unique
 * checks off, under which InnoDB buffers inserts into an empty table, and a replica applying the load's summary
 * rows (inserted, then updated in the same transaction) cannot find the row it updates and stops with error
 * 1032 (replicas.faults.test.ts). Every other session leaves the variable NULL, so its writes are counted.
 */
const BULK_LOAD_OFF = '@pastoral_bulk_load is null';

interface Dialect {
  mysql: boolean;
  /**
   * A string of the table's collation. On MySQL a trigger's literals and DATE_FORMAT results take the collation
   * of whichever session fires it; one unlike the columns' (the mysql client's default) made the UNION of
   * contributions fail with "Illegal mix of collations".
   */
  str: (expression: string) => string;
  text: (expression: string) => string;
  year: (date: string) => string;
  month: (date: string) => string;
}

function dialectOf(db: Kysely<any>): Dialect {
  const mysql = isMysql(db);
  return {
    mysql,
    str: (expression) => (mysql ? `convert(${expression} using utf8mb4) collate utf8mb4_unicode_520_ci` : expression),
    text: (expression) => (mysql ? `cast(${expression} as char)` : `cast(${expression} as text)`),
    year: (date) => (mysql ? `date_format(${date}, '%Y')` : `substr(${date}, 1, 4)`),
    month: (date) => (mysql ? `date_format(${date}, '%Y-%m')` : `substr(${date}, 1, 7)`),
  };
}

/** One contribution: a select of (school_id, scope_kind, scope_id, metric, bucket, delta); NULLs count nowhere. */
const row = (
  d: Dialect,
  school: string,
  kind: string,
  id: string,
  metric: string,
  bucket: string,
  delta: number,
  from = '',
) =>
  `select ${school} as school_id, ${d.str(`'${kind}'`)} as scope_kind, ${id} as scope_id, ${d.str(`'${metric}'`)} as metric, ${d.str(bucket)} as bucket, ${delta} as delta${from}`;

function alertRows(d: Dialect, r: string, delta: number): string[] {
  return [
    row(d, `${r}.school_id`, 'school', '0', 'alerts', `${r}.status`, delta),
    row(d, `${r}.school_id`, 'assignee', `${r}.assigned_to`, 'alerts', `${r}.status`, delta),
  ];
}

function caseRows(d: Dialect, r: string, delta: number): string[] {
  const due = (bucket: string) =>
    `case when ${r}.status <> 'CLOSED' and ${r}.next_review_at is not null then ${bucket} end`;
  const rows: string[] = [];
  for (const [kind, id] of [
    ['school', '0'],
    ['assignee', `${r}.assigned_to`],
  ] as const) {
    rows.push(
      row(d, `${r}.school_id`, kind, id, 'cases', `${r}.status`, delta),
      row(d, `${r}.school_id`, kind, id, 'review_year', due(d.year(`${r}.next_review_at`)), delta),
      row(d, `${r}.school_id`, kind, id, 'review_month', due(d.month(`${r}.next_review_at`)), delta),
      row(d, `${r}.school_id`, kind, id, 'review_day', due(d.text(`${r}.next_review_at`)), delta),
    );
  }
  return rows;
}

/** A student as counted: at their profile's level (0 without one) if active. */
function studentRows(d: Dialect, r: string, delta: number): string[] {
  const level = `case when ${r}.is_active = 1 then ${d.text(`coalesce((select p.level from risk_profiles p where p.student_id = ${r}.id), 0)`)} end`;
  return [
    row(d, `${r}.school_id`, 'school', '0', 'students', level, delta),
    row(d, `${r}.school_id`, 'classroom', `${r}.classroom_id`, 'students', level, delta),
  ];
}

/** A profile at `level` moves its student (if active) from level 0 to it: `delta` +1 on insert, -1 on delete. */
function profileRows(d: Dialect, level: string, studentId: string, delta: number): string[] {
  const student = ` from students s where s.id = ${studentId} and s.is_active = 1`;
  return ['school', 'classroom'].map((kind) =>
    row(d, 's.school_id', kind, kind === 'school' ? '0' : 's.classroom_id', 'students', d.text(level), delta, student),
  );
}

/** The one statement a trigger runs: its contributions summed per key, applied in key order. */
function applyRows(d: Dialect, rows: string[]): string {
  const summed = `select d.school_id, d.scope_kind, d.scope_id, d.metric, d.bucket, sum(d.delta) as delta
    from (${rows.join(' union all ')}) as d
    where d.scope_id is not null and d.bucket is not null
    group by d.school_id, d.scope_kind, d.scope_id, d.metric, d.bucket
    having sum(d.delta) <> 0
    order by d.school_id, d.scope_kind, d.scope_id, d.metric, d.bucket`;
  return d.mysql
    ? `insert into summary_counts (${KEY}, count) ${summed} on duplicate key update count = summary_counts.count + values(count)`
    : `insert into summary_counts (${KEY}, count) ${summed} on conflict (${KEY}) do update set count = summary_counts.count + excluded.count`;
}

/**
 * The columns each table's counts depend on. An update that changes none of them (a case's note or version, a
 * profile's score, a student's copied risk level, most of a risk recompute's writes) skips the trigger's
 * statement: without the guard every such update still ran it, doubling the cost of a plain write.
 */
const COUNTED_COLUMNS = {
  alerts: ['school_id', 'assigned_to', 'status'],
  intervention_cases: ['school_id', 'assigned_to', 'status', 'next_review_at'],
  students: ['school_id', 'classroom_id', 'is_active'],
  risk_profiles: ['student_id', 'level'],
} as const;

/** True when a counted column changed; NULL-safe on both engines. */
function countedColumnChanged(d: Dialect, table: keyof typeof COUNTED_COLUMNS): string {
  return COUNTED_COLUMNS[table]
    .map((column) => (d.mysql ? `not (old.${column} <=> new.${column})` : `old.${column} is not new.${column}`))
    .join(' or ');
}

function triggers(d: Dialect): { name: string; table: keyof typeof COUNTED_COLUMNS; event: string; rows: string[] }[] {
  const both = (rowsOf: (r: string, delta: number) => string[]) => ({
    insert: rowsOf('new', 1),
    update: [...rowsOf('old', -1), ...rowsOf('new', 1)],
    delete: rowsOf('old', -1),
  });
  const alerts = both((r, delta) => alertRows(d, r, delta));
  const cases = both((r, delta) => caseRows(d, r, delta));
  const students = both((r, delta) => studentRows(d, r, delta));
  const profiles = {
    insert: [...profileRows(d, 'new.level', 'new.student_id', 1), ...profileRows(d, '0', 'new.student_id', -1)],
    update: [...profileRows(d, 'old.level', 'old.student_id', -1), ...profileRows(d, 'new.level', 'new.student_id', 1)],
    delete: [...profileRows(d, 'old.level', 'old.student_id', -1), ...profileRows(d, '0', 'old.student_id', 1)],
  };
  const list = [];
  for (const [table, byEvent] of [
    ['alerts', alerts],
    ['intervention_cases', cases],
    ['students', students],
    ['risk_profiles', profiles],
  ] as const) {
    for (const event of ['insert', 'update', 'delete'] as const) {
      list.push({ name: `summary_${table}_${event}`, table, event, rows: byEvent[event] });
    }
  }
  return list;
}

/** Every summary row, counted from the tables themselves (for the rows that exist when this runs). */
function fullCounts(d: Dialect): string {
  const level = d.text('coalesce(p.level, 0)');
  const parts: string[] = [];
  for (const [kind, id, group, where] of [
    ['school', '0', '', 'true'],
    ['assignee', 'r.assigned_to', ', r.assigned_to', 'r.assigned_to is not null'],
  ] as const) {
    for (const table of ['alerts', 'intervention_cases']) {
      const metric = table === 'alerts' ? 'alerts' : 'cases';
      parts.push(
        `select r.school_id, '${kind}', ${id}, '${metric}', r.status, count(*) from ${table} r where ${where} group by r.school_id${group}, r.status`,
      );
    }
    for (const [metric, bucket] of [
      ['review_year', d.year('r.next_review_at')],
      ['review_month', d.month('r.next_review_at')],
      ['review_day', d.text('r.next_review_at')],
    ] as const) {
      parts.push(
        `select r.school_id, '${kind}', ${id}, '${metric}', ${bucket}, count(*) from intervention_cases r where ${where} and r.status <> 'CLOSED' and r.next_review_at is not null group by r.school_id${group}, ${bucket}`,
      );
    }
  }
  for (const [kind, id, group] of [
    ['school', '0', ''],
    ['classroom', 's.classroom_id', ', s.classroom_id'],
  ] as const) {
    parts.push(
      `select s.school_id, '${kind}', ${id}, 'students', ${level}, count(*) from students s left join risk_profiles p on p.student_id = s.id where s.is_active = 1 group by s.school_id${group}, ${level}`,
    );
  }
  return `insert into summary_counts (${KEY}, count) ${parts.join(' union all ')}`;
}

export async function up(db: Kysely<any>): Promise<void> {
  const t = columnTypes(db);
  const d = dialectOf(db);
  await createTable(db, 'summary_counts', (table) =>
    table
      .addColumn('school_id', t.ref, (c) => c.notNull())
      .addColumn('scope_kind', sql`varchar(10)`, (c) => c.notNull())
      .addColumn('scope_id', t.ref, (c) => c.notNull())
      .addColumn('metric', sql`varchar(16)`, (c) => c.notNull())
      .addColumn('bucket', sql`varchar(16)`, (c) => c.notNull())
      .addColumn('count', sql`integer`, (c) => c.notNull())
      .addPrimaryKeyConstraint('summary_counts_pkey', ['school_id', 'scope_kind', 'scope_id', 'metric', 'bucket']),
  );
  for (const trigger of triggers(d)) {
    await sql.raw(`drop trigger if exists ${trigger.name}`).execute(db);
    const body = applyRows(d, trigger.rows);
    const guard = trigger.event === 'update' ? countedColumnChanged(d, trigger.table) : null;
    const head = `create trigger ${trigger.name} after ${trigger.event} on ${trigger.table} for each row`;
    const mysqlCondition = guard === null ? BULK_LOAD_OFF : `${BULK_LOAD_OFF} and (${guard})`;
    await sql
      .raw(
        d.mysql
          ? `${head} if ${mysqlCondition} then ${body}; end if`
          : `${head}${guard === null ? '' : ` when ${guard}`} begin ${body}; end`,
      )
      .execute(db);
  }
  // After the triggers exist, so that nothing written meanwhile is lost; a write between the two is counted
  // twice, which is why the rows are counted afresh here (a migration runs before the API starts).
  await sql`delete from summary_counts`.execute(db);
  await sql.raw(fullCounts(d)).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const trigger of triggers(dialectOf(db))) await sql.raw(`drop trigger if exists ${trigger.name}`).execute(db);
  await db.schema.dropTable('summary_counts').ifExists().execute();
}
