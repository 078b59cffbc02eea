/**
 * Pages of the audit log read through the real HTTP API, as the admin page asks for them, beside the same
 * page's rows read by one hand-written SELECT on a bare driver connection: the ceiling for any API.
 */
import type { AddressInfo } from 'node:net';
import { toTimestamp } from '@pastoral/db';
import type { Connection, RowDataPacket } from 'mysql2';
import type { Logger } from 'pino';
import type { Config } from '../src/config.ts';
import { openDatabase } from '../src/database.ts';
import { toGlobalId } from '../src/graphql/relay.ts';
import { buildServer } from '../src/server.ts';
import { ENTRY_COLUMNS } from './audit-tables.ts';
import { type LatencySummary, signIn, timeEach } from './measure.ts';

const DAY_MS = 86_400_000;
const WARM_UP_REQUESTS = 20;
export const TIMED_REQUESTS = 200;
/** What the API's default page covers: the last 30 days of the live log. */
const DEFAULT_WINDOW_MS = 30 * DAY_MS;
const PAGE_SIZE = 25;

/** The admin page's audit log query (apps/web AdminPageQuery), without the API tokens it also lists. */
const AUDIT_PAGE_QUERY = `query AuditLogPage($after: String, $filter: AuditLogFilter) {
  auditLog(first: ${PAGE_SIZE}, after: $after, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { id action occurredAt actorType actor { fullName } school { code } entityType entityId } }
  }
}`;

interface AuditPage {
  auditLog: { pageInfo: { endCursor: string | null }; edges: { node: { id: string } }[] };
}

/** The readers: the district admin sees every school's entries, a school admin only their school's. */
const READERS = [
  { viewer: 'district admin', email: 'district.admin@pastoral.example' },
  { viewer: 'school admin (school 1)', email: 'school.admin@s01.pastoral.example' },
] as const;

export interface PageTiming {
  viewer: string;
  page: string;
  /** Through HTTP, GraphQL, the session, the page, its count and the names of actors and schools. */
  measured: LatencySummary;
  /** The page's rows alone, by one SELECT with the same WHERE, ORDER BY and LIMIT; null for the API's floor. */
  baseline: LatencySummary | null;
  /** What EXPLAIN says of the baseline's SELECT: the index each table is read by, and whether rows are sorted. */
  baselinePlan: string | null;
}

/** The cheapest request a signed-in reader can make: what any page costs before it reads the audit log. */
const VIEWER_QUERY = 'query Floor { viewer { user { id } } }';

/** A page of the API and the statement that reads the same rows. */
interface PageCase {
  page: string;
  variables: { after?: string; filter?: Record<string, unknown> };
  baseline: { sql: string; values: unknown[] };
}

export async function benchAuditReads({
  config,
  logger,
  raw,
  cutoff,
}: {
  config: Config;
  logger: Logger;
  raw: Connection;
  /** The archival cut-off: one page reads across it. */
  cutoff: Date;
}): Promise<PageTiming[]> {
  const database = openDatabase(config, logger);
  const app = await buildServer({ config, database, logger });
  try {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const endpoint = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/graphql`;
    const timings: PageTiming[] = [];
    for (const reader of READERS) {
      const cookie = await signIn(endpoint, reader.email);
      const schoolId = await schoolOf(raw, reader.email);
      const read = (variables: PageCase['variables']) => readPage(endpoint, cookie, variables);
      timings.push({
        viewer: reader.viewer,
        page: 'the floor: an authenticated request for the viewer only',
        measured: await timeEach(() => post(endpoint, cookie, VIEWER_QUERY, {}), {
          warmUp: WARM_UP_REQUESTS,
          runs: TIMED_REQUESTS,
        }),
        baseline: null,
        baselinePlan: null,
      });
      for (const pageCase of await pageCases(raw, read, schoolId, cutoff)) {
        process.stderr.write(`audit reads: ${reader.viewer}, ${pageCase.page}…\n`);
        await checkSamePage(raw, read, pageCase);
        timings.push({
          viewer: reader.viewer,
          page: pageCase.page,
          measured: await timeEach(() => read(pageCase.variables), { warmUp: WARM_UP_REQUESTS, runs: TIMED_REQUESTS }),
          baseline: await timeEach(() => raw.promise().query(pageCase.baseline.sql, pageCase.baseline.values), {
            warmUp: WARM_UP_REQUESTS,
            runs: TIMED_REQUESTS,
          }),
          baselinePlan: await explain(raw, pageCase.baseline),
        });
      }
    }
    return timings;
  } finally {
    await app.close();
    await database.destroy();
  }
}

/** The four pages each reader is timed on, with the statement each baseline sends. */
async function pageCases(
  raw: Connection,
  read: (variables: PageCase['variables']) => Promise<AuditPage>,
  schoolId: number | null,
  cutoff: Date,
): Promise<PageCase[]> {
  const now = Date.now();
  const scope = schoolId === null ? null : { sql: 'school_id = ?', values: [schoolId] };
  const lastMonth = and(during(toTimestamp(new Date(now - DEFAULT_WINDOW_MS)), toTimestamp(new Date(now))), scope);

  const firstPage = await read({});
  const [firstRows] = await raw.promise().query<RowDataPacket[]>(...pageStatement(lastMonth, false));
  const lastOfFirst = firstRows[PAGE_SIZE - 1];
  if (!lastOfFirst || !firstPage.auditLog.pageInfo.endCursor) throw new Error('fewer than two pages to read');
  // The row comparison the API itself sends (graphql/relay.ts keysetCondition): the OR form makes MariaDB sort.
  const afterFirst = {
    sql: '(occurred_at, id) < (?, ?)',
    values: [lastOfFirst.occurred_at, lastOfFirst.id],
  };

  const actorId = await busiestActor(raw, lastMonth);
  const acrossCutoff = await windowAcrossCutoff(raw, schoolId, cutoff);

  return [
    {
      page: 'default (last 30 days, live only)',
      variables: {},
      baseline: toStatement(pageStatement(lastMonth, false)),
    },
    {
      page: 'second page (after cursor)',
      variables: { after: firstPage.auditLog.pageInfo.endCursor },
      baseline: toStatement(pageStatement(and(lastMonth, afterFirst), false)),
    },
    {
      page: "one user's last 30 days (actorId)",
      variables: { filter: { actorId: toGlobalId('User', actorId) } },
      baseline: toStatement(pageStatement(and(lastMonth, { sql: 'user_id = ?', values: [actorId] }), false)),
    },
    {
      page: 'across the archive cut-off (includeArchived)',
      variables: { filter: { includeArchived: true, from: isoOf(acrossCutoff.from), to: isoOf(acrossCutoff.to) } },
      baseline: toStatement(pageStatement(and(during(acrossCutoff.from, acrossCutoff.to), scope), true)),
    },
  ];
}

interface Condition {
  sql: string;
  values: unknown[];
}

/** Entries from `from` (inclusive) to `to` (exclusive), as the API's filter reads them. */
function during(from: string, to: string): Condition {
  return { sql: 'occurred_at >= ? and occurred_at < ?', values: [from, to] };
}

/** Conditions joined with AND; null ones (no school scope for the district) are left out. */
function and(...conditions: (Condition | null)[]): Condition {
  const present = conditions.filter((condition): condition is Condition => condition !== null);
  return {
    sql: present.map((condition) => condition.sql).join(' and '),
    values: present.flatMap((condition) => condition.values),
  };
}

/**
 * One SELECT for a page, read a row deeper as the API reads it (to know whether there is a next page); with the
 * archive, one UNION ALL of both tables' pages in the same order.
 */
function pageStatement(where: Condition, includeArchived: boolean): [string, unknown[]] {
  const order = `order by occurred_at desc, id desc limit ${PAGE_SIZE + 1}`;
  const pageOf = (table: string) => `select ${ENTRY_COLUMNS} from ${table} where ${where.sql} ${order}`;
  if (!includeArchived) return [pageOf('audit_log'), where.values];
  return [
    `(${pageOf('audit_log')}) union all (${pageOf('audit_log_archive')}) ${order}`,
    [...where.values, ...where.values],
  ];
}

const toStatement = ([sql, values]: [string, unknown[]]) => ({ sql, values });

/** The staff member with the most entries in the window: the longest list an actorId filter can give. */
async function busiestActor(raw: Connection, window: Condition): Promise<number> {
  const [rows] = await raw.promise().query<RowDataPacket[]>(
    `select user_id, count(*) as n from audit_log where ${window.sql} and user_id is not null
     group by user_id order by n desc limit 1`,
    window.values,
  );
  const userId = rows[0]?.user_id as number | undefined;
  if (userId === undefined) throw new Error('no staff member has audit entries in the last 30 days');
  return userId;
}

/**
 * A 30-day window that ends just after the cut-off: its first page holds the live log's 12 oldest entries and
 * the archive's 13 newest, so the API must read and merge both tables.
 */
async function windowAcrossCutoff(raw: Connection, schoolId: number | null, cutoff: Date) {
  const [rows] = await raw.promise().query<RowDataPacket[]>(
    `select occurred_at from audit_log where occurred_at >= ? ${schoolId === null ? '' : 'and school_id = ?'}
     order by occurred_at, id limit 1 offset 12`,
    schoolId === null ? [toTimestamp(cutoff)] : [toTimestamp(cutoff), schoolId],
  );
  const to = rows[0]?.occurred_at as string | undefined;
  if (to === undefined) throw new Error('the live log is empty after the cut-off');
  return { from: toTimestamp(new Date(new Date(isoOf(to)).getTime() - DEFAULT_WINDOW_MS)), to };
}

/** A stored timestamp (`2026-11-30 09:15:00.000`) as the API's DateTime. */
const isoOf = (timestamp: string) => `${timestamp.replace(' ', 'T')}Z`;

/** Fails the benchmark if the API and the baseline read different entries: then they would not compare. */
async function checkSamePage(
  raw: Connection,
  read: (variables: PageCase['variables']) => Promise<AuditPage>,
  pageCase: PageCase,
) {
  const page = await read(pageCase.variables);
  const [rows] = await raw.promise().query<RowDataPacket[]>(pageCase.baseline.sql, pageCase.baseline.values);
  const fromApi = page.auditLog.edges.map((edge) => edge.node.id);
  const fromBaseline = rows.slice(0, PAGE_SIZE).map((row) =>
    toGlobalId('AuditLogEntry', {
      schoolId: row.school_id === null ? null : Number(row.school_id),
      id: Number(row.id),
    }),
  );
  if (fromApi.join() !== fromBaseline.join()) {
    throw new Error(`the API and the baseline read different entries for "${pageCase.page}"`);
  }
}

async function schoolOf(raw: Connection, email: string): Promise<number | null> {
  const [rows] = await raw.promise().query<RowDataPacket[]>('select school_id from users where email = ?', [email]);
  if (!rows[0]) throw new Error(`no user ${email}: is the district profile seeded?`);
  return rows[0].school_id as number | null;
}

function readPage(endpoint: string, cookie: string, variables: PageCase['variables']): Promise<AuditPage> {
  return post<AuditPage>(endpoint, cookie, AUDIT_PAGE_QUERY, variables);
}

/** Posts a GraphQL operation as the cookie's holder; any error fails the benchmark rather than timing it. */
async function post<Data>(endpoint: string, cookie: string, query: string, variables: object): Promise<Data> {
  const response = await fetch(endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: Data; errors?: { message: string }[] };
  if (response.status !== 200 || !body.data || body.errors) {
    throw new Error(`the API answered ${response.status}: ${JSON.stringify(body.errors ?? body)}`);
  }
  return body.data;
}

/** EXPLAIN in a line: each table read, by which index, and whether its rows are sorted after reading. */
async function explain(raw: Connection, statement: PageCase['baseline']): Promise<string> {
  const [rows] = await raw.promise().query<RowDataPacket[]>(`explain ${statement.sql}`, statement.values);
  return rows
    .filter((row) => !String(row.table).startsWith('<'))
    .map((row) => {
      const sorted = String(row.Extra ?? '').includes('filesort') ? ', filesort' : '';
      return `${String(row.table)}: ${row.key === null ? `${String(row.type)} scan` : String(row.key)}${sorted}`;
    })
    .join('; ');
}
