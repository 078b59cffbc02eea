/**
 * The main operations through the real HTTP API, one request at a time, on the district seed: each beside the
 * ceiling (a hand-written node:http + mysql2 endpoint sending the very statements the API sent, servers/ceiling.ts)
 * and the naive baseline (the same API with every loader reading key by key: the N+1 shape the source document
 * starts from). The API, the baseline and the ceiling each run in a process of their own; this process only
 * sends requests and reads MariaDB's counters.
 *
 * Per operation: p50, p95 and p99 over TIMED runs after WARM_UP runs; SQL statements and rows examined per
 * request, from MariaDB's global counters (Questions; Handler_read_*) over the timed runs, less what reading
 * the counters itself costs. Nothing else uses the server meanwhile.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, toDateOnly } from '@pastoral/db';
import type { Connection, RowDataPacket } from 'mysql2';
import { loadConfig } from '../src/config.ts';
import { createLogger } from '../src/logger.ts';
import { rebuildSchoolSummaries } from '../src/modules/summaries/summary.repository.ts';
import { buildServer } from '../src/server.ts';
import { webOperation as web } from '../src/testing/web-operations.ts';
import {
  BENCH_RATE_LIMITS,
  type Child,
  type LatencySummary,
  signIn,
  startChild,
  postOrThrow as post,
  stopChild,
} from './measure.ts';
import { measure } from './counters.ts';
import { benchSummaryWrites, type SummaryWriteTiming } from './summary-writes.ts';
import type { CapturedStatement } from './servers/ceiling.ts';

export const WARM_UP = 20;
export const TIMED = 200;
const INGEST_WARM_UP = 2;
const INGEST_TIMED = 20;
const INGEST_RECORDS = 1_000;
const DEEP_PAGE = 40;

/** Targets of issue #7, on this machine, one request at a time. */
export const TARGETS = { p95Ms: 15, ceilingFactor: 2, ingestMs: 500 };

const NODE_LOOKUP = 'query NodeLookup($id: ID!) { node(id: $id) { id ... on Student { fullName yearGroup } } }';
/** A page of 100 students, read by a school admin and by an integrator's token (whose reads are disclosures). */
const STUDENTS_100 = `query Students100 {
  students(first: 100, orderBy: { field: NAME, direction: ASC }) { nodes { id fullName yearGroup riskProfile { level } } }
}`;
/** The account name the benchmark's students:read token goes by: its requests carry it as a bearer token. */
const TOKEN_READER = 'API token with students:read';
const RECORD_ATTENDANCE = `mutation RecordAttendance($input: RecordAttendanceInput!) {
  recordAttendance(input: $input) { recorded studentsRecomputed alertsRaised alertsResolved userErrors { message } }
}`;

interface Operation {
  name: string;
  account: string;
  query: string;
  variables: Record<string, unknown>;
  /** The dashboard's figures from the cache (the measured API keeps them), or counted afresh every time. */
  dashboard?: 'cached' | 'cold';
}

export interface OperationTiming {
  name: string;
  account: string;
  measured: LatencySummary;
  statements: number;
  rowsExamined: number;
  ceiling: LatencySummary | null;
  naive: LatencySummary | null;
  naiveStatements: number | null;
  naiveRowsExamined: number | null;
}

export interface IngestTiming {
  records: number;
  measured: LatencySummary;
  statements: number;
  /** One multi-row INSERT … ON DUPLICATE KEY UPDATE of the same records on a bare connection. */
  ceiling: LatencySummary;
}

export interface OperationsResult {
  operations: OperationTiming[];
  ingest: IngestTiming;
  summaryWrites: SummaryWriteTiming[];
}

/** Ids and cursors the operations need, read through the API as a user would reach them. */
async function prepareOperations(graphqlUrl: string, cookies: Map<string, string>): Promise<Operation[]> {
  const as = (email: string) => ({ cookie: cookies.get(email)! });
  type Page = { pageInfo: { endCursor: string }; edges: { node: { id: string } }[] };
  const roster = (await post(graphqlUrl, { query: web('StudentsPageQuery'), variables: {} }, as(FORM_MASTER))) as {
    data: { students: Page };
  };
  const studentId = roster.data.students.edges[0]!.node.id;
  let after: string | undefined;
  for (let page = 1; page < DEEP_PAGE; page++) {
    const cases = (await post(
      graphqlUrl,
      { query: web('CasesPageQuery'), variables: { filter: {}, after } },
      as(PASTORAL_LEAD),
    )) as { data: { cases: Page } };
    after = cases.data.cases.pageInfo.endCursor;
  }
  return [
    {
      name: 'dashboard, district admin (cold)',
      account: DISTRICT_ADMIN,
      query: web('DashboardPageQuery'),
      variables: {},
      dashboard: 'cold',
    },
    {
      name: 'dashboard, district admin (cached)',
      account: DISTRICT_ADMIN,
      query: web('DashboardPageQuery'),
      variables: {},
      dashboard: 'cached',
    },
    {
      name: 'dashboard, form master (cold)',
      account: FORM_MASTER,
      query: web('DashboardPageQuery'),
      variables: {},
      dashboard: 'cold',
    },
    { name: 'case list, first page', account: PASTORAL_LEAD, query: web('CasesPageQuery'), variables: { filter: {} } },
    {
      name: `case list, page ${DEEP_PAGE}`,
      account: PASTORAL_LEAD,
      query: web('CasesPageQuery'),
      variables: { filter: {}, after },
    },
    {
      name: 'alert list',
      account: PASTORAL_LEAD,
      query: web('AlertsPageQuery'),
      variables: { filter: { status: ['NEW'] } },
    },
    { name: 'roster (form master)', account: FORM_MASTER, query: web('StudentsPageQuery'), variables: {} },
    { name: 'student profile', account: FORM_MASTER, query: web('StudentPageQuery'), variables: { id: studentId } },
    { name: 'audit log, district admin', account: DISTRICT_ADMIN, query: web('AdminPageQuery'), variables: {} },
    { name: 'node lookup', account: FORM_MASTER, query: NODE_LOOKUP, variables: { id: studentId } },
    { name: STUDENTS_BY_ADMIN, account: SCHOOL_ADMIN, query: STUDENTS_100, variables: {} },
    { name: STUDENTS_BY_TOKEN, account: TOKEN_READER, query: STUDENTS_100, variables: {} },
  ];
}

export const STUDENTS_BY_ADMIN = 'students, 100, school admin';
export const STUDENTS_BY_TOKEN = 'students, 100, API token (100 disclosures)';

const DISTRICT_ADMIN = 'district.admin@pastoral.example';
const PASTORAL_LEAD = 'pastoral.lead@s01.pastoral.example';
const FORM_MASTER = 'form.master@s01.pastoral.example';
const SCHOOL_ADMIN = 'school.admin@s01.pastoral.example';

/**
 * Captures, in this process, the statements the API sends for one request of each operation (after one
 * unrecorded request, as the timed runs are), with their parameters: what the ceiling replays.
 */
async function captureStatements(url: string, operations: Operation[], credentials: Credentials) {
  let recording: CapturedStatement[] | null = null;
  const database = createDb(url, {
    log: (event) => {
      if (recording && event.level === 'query') {
        recording.push({ sql: event.query.sql, parameters: [...event.query.parameters] });
      }
    },
  });
  const captured: Record<string, CapturedStatement[]> = {};
  const servers = new Map<string, Awaited<ReturnType<typeof buildServer>>>();
  try {
    for (const ttl of ['300', '0']) {
      const config = loadConfig({
        NODE_ENV: 'production',
        LOG_LEVEL: 'silent',
        ...BENCH_RATE_LIMITS,
        DATABASE_URL: url,
        DASHBOARD_CACHE_TTL_S: ttl,
      });
      servers.set(ttl, await buildServer({ config, database, logger: createLogger(config) }));
    }
    for (const operation of operations) {
      const server = servers.get(operation.dashboard === 'cold' ? '0' : '300')!;
      const send = () =>
        server.inject({
          method: 'POST',
          url: '/graphql',
          headers: { 'content-type': 'application/json', ...credentials.get(operation.account)! },
          payload: JSON.stringify({ query: operation.query, variables: operation.variables }),
        });
      await send();
      const statements: CapturedStatement[] = [];
      recording = statements;
      const response = await send();
      recording = null;
      if (response.json<{ errors?: unknown }>().errors) throw new Error(`${operation.name}: ${response.body}`);
      captured[operation.name] = statements;
    }
  } finally {
    for (const server of servers.values()) await server.close();
    await database.destroy();
  }
  return captured;
}

export async function benchOperations({ url, raw }: { url: string; raw: Connection }): Promise<OperationsResult> {
  const api = await startChild('servers/api.ts', [], { NODE_ENV: 'production', LOG_LEVEL: 'warn', DATABASE_URL: url });
  const children: Child[] = [api];
  try {
    const cookies = new Map<string, string>();
    for (const email of [DISTRICT_ADMIN, PASTORAL_LEAD, FORM_MASTER, SCHOOL_ADMIN]) {
      cookies.set(email, await signIn(`${api.url}/graphql`, email));
    }
    const credentials: Credentials = new Map([...cookies].map(([email, cookie]) => [email, { cookie }]));
    const reader = await createToken(api, cookies.get(SCHOOL_ADMIN)!, 'Benchmark reader', ['STUDENTS_READ']);
    credentials.set(TOKEN_READER, { authorization: `Bearer ${reader}` });
    const operations = await prepareOperations(`${api.url}/graphql`, cookies);
    process.stderr.write('operations: capturing the statements each operation sends…\n');
    const captured = await captureStatements(url, operations, credentials);
    const statementsFile = join(mkdtempSync(join(tmpdir(), 'pastoral-bench-')), 'statements.json');
    writeFileSync(statementsFile, JSON.stringify(captured));

    const cold = await startChild('servers/api.ts', [], {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      DASHBOARD_CACHE_TTL_S: '0',
    });
    const naive = await startChild('servers/api.ts', [], {
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DATABASE_URL: url,
      DASHBOARD_CACHE_TTL_S: '0',
      BENCH_LOADERS: 'naive',
    });
    const ceiling = await startChild('servers/ceiling.ts', [statementsFile, url], {});
    children.push(cold, naive, ceiling);

    const timings: OperationTiming[] = [];
    for (const operation of operations) {
      process.stderr.write(`operations: ${operation.name}…\n`);
      const body = { query: operation.query, variables: operation.variables };
      const headers = credentials.get(operation.account)!;
      const target = operation.dashboard === 'cold' ? cold : api;
      const measured = await measure(raw, () => post(`${target.url}/graphql`, body, headers), WARM_UP, TIMED);
      const baseline = await measure(raw, () => post(`${naive.url}/graphql`, body, headers), WARM_UP, TIMED);
      const ceilingRun = await measure(
        raw,
        () => post(`${ceiling.url}/${encodeURIComponent(operation.name)}`, body),
        WARM_UP,
        TIMED,
      );
      timings.push({
        name: operation.name,
        account: operation.account,
        measured: measured.latency,
        statements: measured.statements,
        rowsExamined: measured.rows,
        ceiling: ceilingRun.latency,
        naive: operation.dashboard === 'cached' ? null : baseline.latency,
        naiveStatements: operation.dashboard === 'cached' ? null : baseline.statements,
        naiveRowsExamined: operation.dashboard === 'cached' ? null : baseline.rows,
      });
    }

    process.stderr.write(`operations: ingesting ${INGEST_RECORDS} attendance records…\n`);
    const ingest = await benchIngest(api, raw, cookies.get(SCHOOL_ADMIN)!);
    process.stderr.write('operations: writes with and without the summary triggers…\n');
    const summaryWrites = await benchSummaryWrites({
      graphqlUrl: `${api.url}/graphql`,
      raw,
      leadCookie: cookies.get(PASTORAL_LEAD)!,
      schoolId: 1,
      rebuild: async () => {
        const database = createDb(url);
        try {
          await rebuildSchoolSummaries(database.db, 1);
        } finally {
          await database.destroy();
        }
      },
    });
    return { operations: timings, ingest, summaryWrites };
  } finally {
    for (const child of children) await stopChild(child);
  }
}

/** The request headers each account's requests carry: a session cookie, or an API token. */
type Credentials = Map<string, Record<string, string>>;

/** A new API token of school 1's, created by its admin; named apart from every earlier run's. */
async function createToken(api: Child, adminCookie: string, name: string, scopes: string[]): Promise<string> {
  const created = (await post(
    `${api.url}/graphql`,
    {
      query: `mutation ($input: CreateApiTokenInput!) { createApiToken(input: $input) { token userErrors { message } } }`,
      variables: { input: { name: `${name} ${Date.now()}`, scopes } },
    },
    { cookie: adminCookie },
  )) as { data: { createApiToken: { token: string } } };
  return created.data.createApiToken.token;
}

/**
 * An integrator's registers for the last two days, 500 students of school 1 (no school has 1,000), sent again
 * and again: each run flips every tenth mark between present and absent, so each run changes records and
 * recomputes risk for real.
 */
async function benchIngest(api: Child, raw: Connection, adminCookie: string): Promise<IngestTiming> {
  const token = await createToken(api, adminCookie, 'Benchmark register', ['ATTENDANCE_WRITE']);
  const [students] = await raw
    .promise()
    .query<RowDataPacket[]>(
      'select id, external_id from students where school_id = 1 and is_active = 1 order by id limit ?',
      [INGEST_RECORDS / 2],
    );
  if (students.length < INGEST_RECORDS / 2) throw new Error(`school 1 has only ${students.length} active students`);
  const days = [toDateOnly(new Date(Date.now() - 86_400_000)), toDateOnly(new Date())];
  const marks = days.flatMap((date) => students.map((student) => ({ student, date })));
  let run = 0;
  const records = () => {
    run += 1;
    return marks.map(({ student, date }, index) => ({
      studentId: Number(student.id),
      studentExternalId: String(student.external_id),
      date,
      status: index % 10 === 0 && run % 2 === 0 ? 'ABSENT_UNAUTHORISED' : 'PRESENT',
    }));
  };
  const send = async () => {
    const result = (await post(
      `${api.url}/graphql`,
      {
        query: RECORD_ATTENDANCE,
        variables: { input: { records: records().map(({ studentId: _id, ...record }) => record) } },
      },
      { authorization: `Bearer ${token}` },
    )) as { data: { recordAttendance: { recorded: number; userErrors: { message: string }[] } } };
    const outcome = result.data.recordAttendance;
    if (outcome.userErrors.length > 0 || outcome.recorded !== INGEST_RECORDS) {
      throw new Error(`ingest: ${JSON.stringify(outcome)}`);
    }
  };
  const measured = await measure(raw, send, INGEST_WARM_UP, INGEST_TIMED);

  const upsert = () => {
    const now = new Date().toISOString().slice(0, 23).replace('T', ' ');
    const rows = records().map((record) => [record.studentId, record.date, 1, record.status, now]);
    return raw
      .promise()
      .query(
        'insert into attendance_records (student_id, date, school_id, status, recorded_at) values ? ' +
          'on duplicate key update status = values(status), recorded_at = values(recorded_at)',
        [rows],
      );
  };
  const ceiling = await measure(raw, upsert, INGEST_WARM_UP, INGEST_TIMED);
  return {
    records: INGEST_RECORDS,
    measured: measured.latency,
    statements: measured.statements,
    ceiling: ceiling.latency,
  };
}
