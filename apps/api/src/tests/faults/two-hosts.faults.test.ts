/**
 * Several API hosts (issue #9, item 3): two `pastoral serve` processes on different ports, sharing one MySQL
 * database and one Redis, as two machines behind a load balancer would. A session made on one works on the
 * other; a change made through one is on the other's next dashboard; a sign-out through one ends the session
 * the other had cached; failed sign-ins count across both; the audit chain stays one chain; and a scheduled
 * archival run is run by one of them, once.
 */
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testing/free-port.ts';
import { type ServeCommand, startServeCommand, waitFor } from '../../testing/processes.ts';
import { runCommand } from '../../testing/run-command.ts';
import { createSeededDatabase, DEMO_PASSWORD } from '../../testing/seeded-database.ts';

const mysql = testEngines().find((engine) => engine.name === 'mysql');
const redisUrl = process.env.TEST_REDIS_URL;
const SIGN_IN = 'mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }';

describe.runIf(mysql && redisUrl)('two API hosts sharing MySQL and Redis', () => {
  let database: TestDatabase;
  const hosts: { serve: ServeCommand; url: string }[] = [];

  beforeAll(async () => {
    database = await createSeededDatabase(mysql!, 1);
    for (let host = 0; host < 2; host++) {
      const port = await freePort();
      const serve = await startServeCommand(database.url, {
        PORT: String(port),
        METRICS_PORT: '',
        WEB_CONCURRENCY: '1',
        REDIS_URL: redisUrl!,
        // Every second, so that the test sees several scheduled runs.
        AUDIT_ARCHIVE_SCHEDULE: '* * * * * *',
      });
      hosts.push({ serve, url: `http://127.0.0.1:${port}/graphql` });
    }
  }, 120_000);
  afterAll(async () => {
    for (const { serve } of hosts) if (serve.process.exitCode === null) serve.process.kill('SIGTERM');
    await Promise.all(
      hosts.map(
        ({ serve }) =>
          new Promise((resolve) =>
            serve.process.exitCode === null ? serve.process.once('exit', resolve) : resolve(null),
          ),
      ),
    );
    await database?.drop();
  });

  async function post<Data>(host: number, query: string, variables: object = {}, cookie?: string) {
    const response = await fetch(hosts[host]!.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { response, body: (await response.json()) as { data: Data; errors?: unknown[] } };
  }

  async function signIn(host: number, email: string, password = DEMO_PASSWORD) {
    const { response, body } = await post<{ signIn: { userErrors: { message: string }[] } }>(host, SIGN_IN, {
      input: { email, password },
    });
    return { cookie: response.headers.get('set-cookie')?.split(';')[0], userErrors: body.data.signIn.userErrors };
  }

  const role = async (host: number, cookie: string) =>
    (await post<{ viewer: { role: string } | null }>(host, '{ viewer { role } }', {}, cookie)).body.data.viewer;

  it('serves a session made on one host from the other', async () => {
    const { cookie } = await signIn(0, 'form.master@s01.pastoral.example');
    expect(await role(1, cookie!)).toEqual({ role: 'FORM_MASTER' });
  });

  it("shows a change made through one host on the other's next dashboard", async () => {
    const { cookie } = await signIn(0, 'pastoral.lead@s01.pastoral.example');
    const newAlerts = async (host: number) =>
      (await post<{ dashboard: { newAlerts: number } }>(host, '{ dashboard { newAlerts } }', {}, cookie)).body.data
        .dashboard.newAlerts;
    const before = await newAlerts(1);
    expect(await newAlerts(1)).toBe(before); // now cached
    const alerts = await post<{ alerts: { nodes: { id: string }[] } }>(
      0,
      '{ alerts(first: 1, filter: { status: [NEW] }) { nodes { id } } }',
      {},
      cookie,
    );
    await post(
      0,
      'mutation ($ids: [ID!]!) { acknowledgeAlerts(input: { alertIds: $ids }) { userErrors { message } } }',
      { ids: [alerts.body.data.alerts.nodes[0]!.id] },
      cookie,
    );
    expect(await newAlerts(1)).toBe(before - 1);
  });

  it('ends a session on the other host, which had it cached, as soon as it signs out through one', async () => {
    const { cookie } = await signIn(0, 'school.admin@s01.pastoral.example');
    expect(await role(1, cookie!)).toEqual({ role: 'SCHOOL_ADMIN' });
    await post(0, 'mutation { signOut { signedOut } }', {}, cookie);
    const started = Date.now();
    while ((await role(1, cookie!)) !== null && Date.now() - started < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await role(1, cookie!)).toBeNull();
    console.info(`signed out on one host: the other refused the session after ${Date.now() - started} ms`);
  });

  it('counts failed sign-ins for one account across both hosts', async () => {
    const email = 'form.master@s02.pastoral.example';
    for (let attempt = 0; attempt < 5; attempt++) await signIn(attempt % 2, email, `wrong-${attempt}`);
    for (const host of [0, 1]) {
      const { cookie, userErrors } = await signIn(host, email);
      expect(cookie).toBeUndefined();
      expect(userErrors[0]?.message).toMatch(/^Too many failed sign-ins/);
    }
  });

  it('keeps one audit chain, written by both hosts', async () => {
    const { cookie } = await signIn(1, 'pastoral.lead@s01.pastoral.example');
    const cases = await post<{ cases: { nodes: { id: string; version: number }[] } }>(
      0,
      '{ cases(first: 4, filter: { status: [OPEN] }) { nodes { id version } } }',
      {},
      cookie,
    );
    // Changes through both hosts at once, so that their appends to the chain interleave.
    await Promise.all(
      cases.body.data.cases.nodes.map((node, index) =>
        post(
          index % 2,
          'mutation ($input: AddCaseNoteInput!) { addCaseNote(input: $input) { userErrors { message } } }',
          { input: { caseId: node.id, body: `Note from host ${index % 2}.` } },
          cookie,
        ),
      ),
    );
    const { stdout } = await runCommand(['audit', 'verify'], { DATABASE_URL: database.url, LOG_LEVEL: 'warn' });
    expect(stdout).toMatch(/^The audit chain verifies: [\d,]+ entries/);
  });

  it('runs each scheduled archival once, on one host or the other', async () => {
    const runs = () =>
      hosts.flatMap(({ serve }, host) =>
        serve
          .output()
          .split('\n')
          .filter((line) => line.includes('"audit archival finished"'))
          .map((line) => ({ host, scheduledFor: (JSON.parse(line) as { scheduledFor: string }).scheduledFor })),
      );
    const skips = () =>
      hosts.reduce((sum, { serve }) => sum + (serve.output().match(/audit archival skipped/g) ?? []).length, 0);
    await waitFor(() => runs().length >= 5 && skips() >= 5, 30_000);
    const scheduled = runs().map((run) => run.scheduledFor);
    expect(new Set(scheduled).size).toBe(scheduled.length);
    console.info(
      `archival: ${scheduled.length} scheduled runs, each run once (by host ${runs()
        .map((run) => run.host)
        .join(', ')}), ${skips()} skipped by the other`,
    );
  });
});
