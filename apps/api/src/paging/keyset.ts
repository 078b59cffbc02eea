/**
 * Keyset paging: a page is read by its sort keys (ending with the id) from the last row the client saw, never
 * by OFFSET, so that walking a list returns every row exactly once even while rows are inserted.
 */
import type { Database } from '@pastoral/db';
import {
  type AliasedRawBuilder,
  type Expression,
  type Kysely,
  type RawBuilder,
  type SelectQueryBuilder,
  type SqlBool,
  sql,
} from 'kysely';
import { COUNT_CAP, type ConnectionModel, connectionFromRows } from './connection.ts';
import { type Page, type PageArgs, readPageArgs, type SortKey } from './cursor.ts';

/**
 * `(k1, k2, ...) > (v1, v2, ...)` in the ordering's own directions, spelled out so that each engine can use the
 * index: k1 > v1 OR (k1 = v1 AND k2 > v2) OR ...
 */
export function keysetCondition<Row>(
  keys: SortKey<Row>[],
  values: (string | number)[],
  backward: boolean,
): RawBuilder<SqlBool> {
  const ascending = keys.map((key) => (key.direction === 'asc') !== backward);
  if (keys.length > 1 && ascending.every((direction) => direction === ascending[0])) {
    // One direction throughout: a row comparison, which MariaDB reads as one range along the index. The OR form
    // below made it merge two indexes and sort (EXPLAIN on the district seed); a school admin's second audit
    // page went from 21.7 to 13.6 ms p95 through the API between two `pnpm bench` runs.
    const row = (items: unknown[]) => sql.join(items.map((item) => sql`${item}`));
    return sql<SqlBool>`(${row(keys.map((key) => key.expression))}) ${sql.raw(ascending[0] ? '>' : '<')} (${row(values)})`;
  }
  const alternatives = keys.map((key, i) => {
    const ascending = (key.direction === 'asc') !== backward;
    const equalities = keys.slice(0, i).map((earlier, j) => sql`${earlier.expression} = ${values[j]}`);
    const comparison = ascending ? sql`${key.expression} > ${values[i]}` : sql`${key.expression} < ${values[i]}`;
    return sql.join([...equalities, comparison], sql` and `);
  });
  return sql<SqlBool>`(${sql.join(
    alternatives.map((alternative) => sql`(${alternative})`),
    sql` or `,
  )})`;
}

/** The column a first page counted with its page carries the whole list's count in. */
const PAGE_TOTAL = 'page_total';

/** What paginate needs of a query: Kysely's SelectQueryBuilder has all of it. */
interface PageableQuery<Row> extends Expression<unknown> {
  select(selections: readonly AliasedRawBuilder<unknown, string>[]): PageableQuery<Row>;
  clearSelect(): { select(selections: readonly AliasedRawBuilder<unknown, string>[]): PageableQuery<Row> };
  where(expression: Expression<SqlBool>): PageableQuery<Row>;
  orderBy(expression: Expression<unknown>, direction: 'asc' | 'desc'): PageableQuery<Row>;
  limit(limit: number): PageableQuery<Row>;
  execute(): Promise<Row[]>;
}

/**
 * Tables whose rows carry TEXT columns. MariaDB cannot keep such rows in an in-memory temporary table, so a
 * page of them that must be sorted (a form master's scope, a school's list in an order no index gives) sorts
 * whole rows on disk-format temporaries. Sorting the page's ids and keys alone and then joining the rows by
 * primary key costs a fraction: on the district seed, MariaDB's CPU for a form master's case list fell from
 * 1.12 to 0.63 ms, for a school's from 3.6 to 0.8 ms, and for an inbox of new alerts from 0.54 to 0.31 ms.
 */
export type WideRowTable = 'alerts' | 'intervention_cases';

/** Joins the page's rows after sorting it, for a table of wide rows (see WideRowTable). */
export interface DeferredJoin {
  db: Kysely<Database>;
  table: WideRowTable;
}

/**
 * Reads one page of a scoped, filtered query. `keys` must end with a unique key (the id) so that the order is
 * total and every row has exactly one place in it.
 */
export async function paginate<Row>(options: {
  query: PageableQuery<Row>;
  keys: SortKey<Row>[];
  args: PageArgs;
  count: () => Promise<number>;
  /**
   * Counts the list in the first page's own statement (COUNT(*) OVER ()) instead of with `count`: for a scope
   * the database reads whole to sort anyway (a form master's few classrooms), where the count is then free.
   * Never for a large list, whose page stops reading at its LIMIT along an index.
   */
  countWithFirstPage?: boolean;
  /** Sorts the page as ids and keys, then joins its rows: `query` must select the table's columns alone. */
  deferredJoin?: DeferredJoin;
}): Promise<ConnectionModel> {
  const { query, ...rest } = options;
  return paginateMerged({ queries: [query], ...rest });
}

/**
 * One page over several tables that share the sort keys (the live audit log and its archive): each is read a
 * page deep with the same keyset, and the two sorted pages are merged, so the cursor works across both.
 */
export async function paginateMerged<Row>(options: {
  queries: PageableQuery<Row>[];
  keys: SortKey<Row>[];
  args: PageArgs;
  count: () => Promise<number>;
  /** As for paginate; used only with one query. */
  countWithFirstPage?: boolean;
  deferredJoin?: DeferredJoin;
}): Promise<ConnectionModel> {
  const { keys, args, deferredJoin } = options;
  const page = readPageArgs(args, keys.length);
  // Without a cursor the page's statement sees the whole list, so its window count is the list's count.
  const withTotal = options.countWithFirstPage === true && page.cursor === null && options.queries.length === 1;
  const pages = await Promise.all(
    options.queries.map((query) =>
      deferredJoin
        ? readPageThenRows(query, keys, page, withTotal, deferredJoin)
        : readPage(query, keys, page, withTotal),
    ),
  );
  let count = options.count;
  if (withTotal) {
    const rows = pages[0]! as Record<string, unknown>[];
    const total = rows.length === 0 ? 0 : Number(rows[0]!.page_total);
    for (const row of rows) delete row.page_total;
    count = async () => total;
  }
  // One table's page is already in order; two are merged (at most 2 × 101 rows).
  const rows =
    pages.length === 1 ? pages[0]! : pages.flat().sort((a, b) => compareInReadingOrder(a, b, keys, page.backward));
  return connectionFromRows(rows.slice(0, page.size + 1), page, keys, count);
}

async function readPage<Row>(
  query: PageableQuery<Row>,
  keys: SortKey<Row>[],
  page: Page,
  withTotal = false,
): Promise<Row[]> {
  let ordered = withTotal ? query.select([sql<number>`count(*) over ()`.as(PAGE_TOTAL)]) : query;
  if (page.cursor) ordered = ordered.where(keysetCondition(keys, page.cursor, page.backward));
  for (const key of keys) ordered = ordered.orderBy(key.expression, readingDirection(key, page));
  return ordered.limit(page.size + 1).execute();
}

/**
 * readPage for wide rows: one statement that sorts ids and keys in a derived table, then joins the rows, by
 * school and id as every read of a school's table names its school.
 */
async function readPageThenRows<Row>(
  query: PageableQuery<Row>,
  keys: SortKey<Row>[],
  page: Page,
  withTotal: boolean,
  { db, table }: DeferredJoin,
): Promise<Row[]> {
  const keyColumn = (index: number) => `page_key_${index}`;
  let ordered = query
    .clearSelect()
    .select([
      sql`${sql.ref(`${table}.school_id`)}`.as('page_school_id'),
      sql`${sql.ref(`${table}.id`)}`.as('page_id'),
      ...keys.map((key, index) => sql`${key.expression}`.as(keyColumn(index))),
      ...(withTotal ? [sql<number>`count(*) over ()`.as(PAGE_TOTAL)] : []),
    ]);
  if (page.cursor) ordered = ordered.where(keysetCondition(keys, page.cursor, page.backward));
  for (const key of keys) ordered = ordered.orderBy(key.expression, readingDirection(key, page));
  const rows = sql.table(table);
  const order = keys.map((key, index) =>
    readingDirection(key, page) === 'asc'
      ? sql`page.${sql.ref(keyColumn(index))} asc`
      : sql`page.${sql.ref(keyColumn(index))} desc`,
  );
  const result = await sql<Row>`select ${rows}.*${withTotal ? sql`, page.${sql.ref(PAGE_TOTAL)}` : sql``}
    from (${ordered.limit(page.size + 1)}) as page
    inner join ${rows} on ${sql.ref(`${table}.school_id`)} = page.page_school_id and ${sql.ref(`${table}.id`)} = page.page_id
    order by ${sql.join(order)}`.execute(db);
  return result.rows;
}

function readingDirection(key: { direction: 'asc' | 'desc' }, page: Page): 'asc' | 'desc' {
  return (key.direction === 'asc') !== page.backward ? 'asc' : 'desc';
}

function compareInReadingOrder<Row>(a: Row, b: Row, keys: SortKey<Row>[], backward: boolean): number {
  for (const key of keys) {
    const left = key.value(a);
    const right = key.value(b);
    if (left === right) continue;
    const ascending = (key.direction === 'asc') !== backward;
    return left < right === ascending ? -1 : 1;
  }
  return 0;
}

/** Counts the rows of a query, stopping after COUNT_CAP + 1 so a count never reads a whole large table. */
export async function countCapped<TB extends keyof Database, O>(
  db: Kysely<Database>,
  query: SelectQueryBuilder<Database, TB, O>,
): Promise<number> {
  const limited = query
    .clearSelect()
    .clearOrderBy()
    .select(sql<number>`1`.as('one'))
    .limit(COUNT_CAP + 1)
    .as('limited');
  const row = await db
    .selectFrom(limited)
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}
