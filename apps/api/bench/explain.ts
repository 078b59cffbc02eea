/**
 * `pnpm bench:explain`: every SQL statement of the load test's mix (loadtest.ts), as each kind of staff sends
 * it, ANALYZEd on the district seed: rows examined against rows returned, sorts, temporary tables, indexes.
 *
 * It runs the API in this process on its own database (BENCH_EXPLAIN_DATABASE, default
 * `pastoral_bench_explain`, never the lead's `pastoral_bench`: the mix signs in and writes), seeded with the
 * district profile first if it is empty, with every cache off so that each operation sends all it can. Each
 * read is run again under `ANALYZE FORMAT=JSON`, which executes it and counts what every step really read; a
 * write is only EXPLAINed. The table goes to bench/tmp/explain.md.
 *
 *   BENCH_EXPLAIN_DATABASE=pastoral_bench_explain pnpm bench:explain
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { createDb, migrateToLatest, withDatabase } from '@pastoral/db';
import { format } from 'mysql2';
import { createConnection } from 'mysql2/promise';
import { loadConfig } from '../src/config.ts';
import { migrationsFolder } from '../src/database.ts';
import { createLogger } from '../src/logger.ts';
import { SEED_PROFILES } from '../src/seed/profiles.ts';
import { seedDatabase } from '../src/seed/seed.ts';
import { buildServer } from '../src/server.ts';
import { webOperation } from '../src/testing/web-operations.ts';
import { SEED_PASSWORD } from './measure.ts';
import { type StatementPlan, planOf } from '../src/testing/statement-plan.ts';

const serverUrl = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
const name = process.env.BENCH_EXPLAIN_DATABASE ?? 'pastoral_bench_explain';
if (name === 'pastoral_bench') throw new Error('pastoral_bench is the load test’s: name another database');
const url = withDatabase(serverUrl, name);
const resultsDir = new URL('../../../bench/tmp/', import.meta.url);

interface Captured {
  sql: string;
  parameters: readonly unknown[];
}

let recording: Captured[] | null = null;
const database = createDb(url, {
  pool: { size: 4 },
  log: (event) => {
    if (recording && event.level === 'query') {
      recording.push({ sql: event.query.sql, parameters: event.query.parameters });
    }
  },
});

async function seedIfEmpty() {
  const server = await createConnection(serverUrl.replace(/\/[^/]*$/, '/'));
  await server.query(`create database if not exists \`${name}\` character set utf8mb4 collate utf8mb4_unicode_520_ci`);
  await server.end();
  await migrateToLatest(database.db, migrationsFolder());
  const students = await database.db.selectFrom('students').select('id').limit(1).execute();
  if (students.length > 0) return;
  process.stderr.write(`seeding the district profile into ${name}…\n`);
  await seedDatabase(database, {
    profile: SEED_PROFILES.district,
    seed: 1,
    asOf: new Date(),
    password: SEED_PASSWORD,
  });
}

/** One member of staff of each role the load test signs in (it signs in every active user). */
async function viewers() {
  const formMaster = await database.db
    .selectFrom('users')
    .innerJoin('classroom_assignments', 'classroom_assignments.user_id', 'users.id')
    .select('users.email')
    .where('users.role', '=', 'FORM_MASTER')
    .where('users.is_active', '=', 1)
    .where('classroom_assignments.kind', '=', 'FORM_MASTER')
    .orderBy('users.id')
    .executeTakeFirstOrThrow();
  const first = (role: string) =>
    database.db
      .selectFrom('users')
      .select('email')
      .where('role', '=', role as never)
      .where('is_active', '=', 1)
      .orderBy('id')
      .executeTakeFirstOrThrow();
  return [
    { role: 'FORM_MASTER', email: formMaster.email },
    { role: 'PASTORAL_LEAD', email: (await first('PASTORAL_LEAD')).email },
    { role: 'SCHOOL_ADMIN', email: (await first('SCHOOL_ADMIN')).email },
    { role: 'DISTRICT_ADMIN', email: (await first('DISTRICT_ADMIN')).email },
  ];
}

async function main() {
  await seedIfEmpty();
  const config = loadConfig({
    NODE_ENV: 'production',
    LOG_LEVEL: 'silent',
    // One address signs in as four people and sends every operation at once: no limit applies to a replay.
    RATE_LIMIT_STAFF: '100000000',
    RATE_LIMIT_ANONYMOUS: '100000000',
    DASHBOARD_CACHE_TTL_S: '0',
    SESSION_CACHE_TTL_S: '0',
    REFERENCE_CACHE_TTL_S: '0',
  });
  const app = await buildServer({ config, database, logger: createLogger(config) });
  const raw = await createConnection(url);
  const run = async (text: string) => (await raw.query(text))[0] as Record<string, unknown>[];
  const rows: { role: string; operation: string; plan: StatementPlan }[] = [];
  try {
    for (const { role, email } of await viewers()) {
      let cookie = '';
      const send = async (operation: string, query: string, variables: object) => {
        const statements: Captured[] = [];
        recording = statements;
        const response = await app
          .inject({
            method: 'POST',
            url: '/graphql',
            headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
            payload: JSON.stringify({ query, variables }),
          })
          .finally(() => (recording = null));
        const body = response.json() as { data?: any; errors?: { message: string }[] }; // eslint-disable-line @typescript-eslint/no-explicit-any
        if (body.errors) throw new Error(`${operation} as ${email}: ${body.errors[0]?.message}`);
        for (const statement of statements) {
          rows.push({
            role,
            operation,
            plan: await planOf(run, format(statement.sql, [...statement.parameters] as never)),
          });
        }
        return { response, data: body.data };
      };
      const signIn = await send(
        'sign in',
        'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }',
        { input: { email, password: SEED_PASSWORD } },
      );
      cookie = String(signIn.response.headers['set-cookie'] ?? '').split(';')[0]!;
      await send('DashboardPageQuery', webOperation('DashboardPageQuery'), {});
      const alerts = await send('AlertsPageQuery', webOperation('AlertsPageQuery'), { filter: { status: ['NEW'] } });
      const cases = await send('CasesPageQuery', webOperation('CasesPageQuery'), { filter: {} });
      const roster = await send('StudentsPageQuery', webOperation('StudentsPageQuery'), {});
      const student = roster.data.students.edges[0]?.node.id;
      if (student) await send('StudentPageQuery', webOperation('StudentPageQuery'), { id: student });
      const alert = alerts.data.alerts.edges[0]?.node.id;
      if (alert) await send('AcknowledgeAlertsMutation', webOperation('AcknowledgeAlertsMutation'), { ids: [alert] });
      const item = cases.data.cases.edges[0]?.node.id;
      if (item) {
        await send('AddCaseNoteMutation', webOperation('AddCaseNoteMutation'), {
          input: { caseId: item, body: 'Spoke with the student after registration.' },
        });
      }
    }
  } finally {
    await raw.end();
    await app.close();
    await database.destroy();
  }
  const lines = [
    `# Statements of the load test's mix, ANALYZEd on ${name} (${new Date().toISOString()})`,
    '',
    '| role | operation | statement | returned | examined | sorted | temp | indexes |',
    '| --- | --- | --- | ---: | ---: | --- | --- | --- |',
    ...rows
      .map(({ role, operation, plan }) =>
        [
          role,
          operation,
          `\`${plan.sql.replace(/\s+/g, ' ').slice(0, 140).replaceAll('|', '\\|')}\``,
          plan.returned ?? '',
          plan.examined,
          plan.filesort ? plan.sorted : '',
          plan.temporary ? 'temporary' : '',
          plan.indexes.join(', '),
        ].join(' | '),
      )
      .map((line) => `| ${line} |`),
  ];
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(new URL('explain.md', resultsDir), `${lines.join('\n')}\n`);
  writeFileSync(new URL('explain.json', resultsDir), `${JSON.stringify(rows, null, 2)}\n`);
  process.stdout.write(`${lines.join('\n')}\nwrote bench/tmp/explain.md and explain.json\n`);
}

await main();
