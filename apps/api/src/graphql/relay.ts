/**
 * Relay conventions: opaque global ids, and cursor connections paged by keyset (sort key + id), never OFFSET,
 * so that walking a connection returns every row exactly once even while rows are inserted.
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
import { badInput } from './errors.ts';

// ---- Global ids ---------------------------------------------------------------------------------------------

/**
 * The types whose rows live in one school's tables (SCHOOL_COLUMN): their global ids carry the school beside
 * the row's id, so that a lookup by id names the school as every tenant query must.
 */
export const SCHOOL_NODE_TYPES = [
  'Classroom',
  'Student',
  'InterventionCase',
  'CaseEvent',
  'Alert',
  'AuditLogEntry',
] as const;
/** The district's own types (staff, schools, tokens, sessions): their global ids carry their id alone. */
const DISTRICT_NODE_TYPES = ['User', 'School', 'ApiToken', 'Session'] as const;

/** The types that implement Node, as they appear in global ids. */
export const NODE_TYPES = [...DISTRICT_NODE_TYPES, ...SCHOOL_NODE_TYPES] as const;
export type NodeType = (typeof NODE_TYPES)[number];
export type SchoolNodeType = (typeof SCHOOL_NODE_TYPES)[number];
export type DistrictNodeType = (typeof DISTRICT_NODE_TYPES)[number];

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

export const isSchoolNodeType = (type: NodeType): type is SchoolNodeType =>
  (SCHOOL_NODE_TYPES as readonly NodeType[]).includes(type);

/** `Student:3:1204` for a school's row (`-` for a district entry's missing school), `User:17` for the others. */
export function toGlobalId(type: DistrictNodeType, id: number): string;
export function toGlobalId(type: SchoolNodeType, key: SchoolKey): string;
export function toGlobalId(type: NodeType, key: number | SchoolKey): string {
  const text = typeof key === 'number' ? `${type}:${key}` : `${type}:${key.schoolId ?? '-'}:${key.id}`;
  return Buffer.from(text).toString('base64url');
}

export type DecodedGlobalId =
  { type: SchoolNodeType; key: SchoolKey } | { type: DistrictNodeType; key: { schoolId: null; id: number } };

const ID = '([1-9]\\d{0,15})';
const GLOBAL_ID = new RegExp(`^([A-Za-z]+):(?:(-|${ID}):)?${ID}$`);

/** The type and key behind a global id, or null for anything that is not one of ours. */
export function fromGlobalId(globalId: string): DecodedGlobalId | null {
  if (globalId.length > 100 || !/^[A-Za-z0-9_-]+$/.test(globalId)) return null;
  const decoded = Buffer.from(globalId, 'base64url').toString('utf8');
  const match = GLOBAL_ID.exec(decoded);
  if (!match || !NODE_TYPES.includes(match[1] as NodeType)) return null;
  const type = match[1] as NodeType;
  const id = Number(match[4]);
  if (!Number.isSafeInteger(id)) return null;
  if (!isSchoolNodeType(type)) return match[2] === undefined ? { type, key: { schoolId: null, id } } : null;
  // Only the audit log has rows without a school.
  if (match[2] === undefined || (match[2] === '-' && type !== 'AuditLogEntry')) return null;
  const schoolId = match[2] === '-' ? null : Number(match[3]);
  return schoolId !== null && !Number.isSafeInteger(schoolId) ? null : { type, key: { schoolId, id } };
}

function decodeAs(globalId: string, type: NodeType, argument: string): DecodedGlobalId {
  const decoded = fromGlobalId(globalId);
  if (!decoded || decoded.type !== type) {
    throw badInput(
      `${argument} must be the id of ${/^[AEIOU]/.test(type) ? 'an' : 'a'} ${type}, as the API gave it.`,
      argument,
    );
  }
  return decoded;
}

/**
 * The database id of a global id that must name a given type (a filter argument, a mutation input). A
 * malformed id is the caller's mistake and says so; a well-formed id of a missing record is left to the
 * lookup, which answers as for any record the viewer cannot see.
 */
export function idOfType(globalId: string, type: DistrictNodeType, argument: string): number {
  return decodeAs(globalId, type, argument).key.id;
}

/** idOfType for a school's row: its school and id. */
export function schoolKeyOfType(globalId: string, type: SchoolNodeType, argument: string): SchoolKey {
  return decodeAs(globalId, type, argument).key;
}

// ---- Connections --------------------------------------------------------------------------------------------

export const DEFAULT_PAGE_SIZE = 25;
export const MAX_PAGE_SIZE = 100;
/** Counts stop here: a count of a large list reads at most this many index entries. */
export const COUNT_CAP = 10_000;

export interface PageArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface EdgeModel {
  cursor: string;
  node: unknown;
}

export interface ConnectionModel {
  edges: EdgeModel[];
  nodes: unknown[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Resolved only when asked for: counting costs a query. */
  totalCount: () => Promise<number>;
  totalCountIsCapped: () => Promise<boolean>;
}

/** One key of an ordering: an expression, its direction, and how to read its value from a row. */
export interface SortKey<Row> {
  expression: Expression<unknown>;
  direction: 'asc' | 'desc';
  value: (row: Row) => string | number;
}

export interface Page {
  size: number;
  /** Paging backward (last/before) reads in reverse order and flips the result. */
  backward: boolean;
  cursor: (string | number)[] | null;
}

/** Validates first/after/last/before; every mistake is a 400 that says what to send instead. */
export function readPageArgs(args: PageArgs, sortKeys: number): Page {
  const { first, after, last, before } = args;
  if (first != null && last != null) throw badInput('Pass either first or last, not both.', 'first');
  if (after != null && before != null) throw badInput('Pass either after or before, not both.', 'after');
  if (last == null && before != null) throw badInput('before pages backward: pass last with it.', 'before');
  if (first == null && last == null && after == null && before == null) {
    return { size: DEFAULT_PAGE_SIZE, backward: false, cursor: null };
  }
  const backward = last != null;
  const size = (backward ? last : first) ?? DEFAULT_PAGE_SIZE;
  const argument = backward ? 'last' : 'first';
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw badInput(
      `${argument} must be between 1 and ${MAX_PAGE_SIZE}; page through longer lists with ${backward ? 'before' : 'after'}.`,
      argument,
    );
  }
  const rawCursor = backward ? before : after;
  return {
    size,
    backward,
    cursor: rawCursor == null ? null : decodeCursor(rawCursor, sortKeys, backward ? 'before' : 'after'),
  };
}

function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

function decodeCursor(cursor: string, length: number, argument: string): (string | number)[] {
  try {
    const values: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(values) &&
      values.length === length &&
      // JSON reads 1e400 as Infinity, which no engine compares with a column.
      values.every((value) => typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)))
    ) {
      return values as (string | number)[];
    }
  } catch {
    // Falls through to the error below.
  }
  throw badInput(`${argument} is not a cursor of this list; pass an endCursor or startCursor it returned.`, argument);
}

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

/** A connection from the rows a page query read: up to `size + 1` rows, in the page's reading order. */
export function connectionFromRows<Row>(
  rows: Row[],
  page: Page,
  keys: SortKey<Row>[],
  count: () => Promise<number>,
): ConnectionModel {
  const hasMore = rows.length > page.size;
  const pageRows = rows.slice(0, page.size);
  if (page.backward) pageRows.reverse();
  const edges = pageRows.map((row) => ({ cursor: encodeCursor(keys.map((key) => key.value(row))), node: row }));
  let counted: Promise<number> | undefined;
  const total = () => (counted ??= count());
  return {
    edges,
    nodes: pageRows,
    pageInfo: {
      hasNextPage: page.backward ? page.cursor !== null : hasMore,
      hasPreviousPage: page.backward ? hasMore : page.cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: async () => Math.min(await total(), COUNT_CAP),
    totalCountIsCapped: async () => (await total()) > COUNT_CAP,
  };
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
