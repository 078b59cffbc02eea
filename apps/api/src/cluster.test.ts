/**
 * `pastoral serve` with WEB_CONCURRENCY workers, run as a real command: the connection cap holds across the
 * workers, no worker serves a dashboard from before a change made on another, nor a session that signed out
 * on another, a dead worker is replaced, and SIGTERM stops them all.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { planWorkers, workerExecArgv } from './cluster.ts';
import { freePort } from './testing/free-port.ts';
import { type ServeCommand, startServeCommand, waitFor, workerPidsOf } from './testing/processes.ts';
import { createSeededDatabase, DEMO_PASSWORD } from './testing/seeded-database.ts';

const mysql = testEngines().find((engine) => engine.name === 'mysql');

describe('planWorkers', () => {
  it("gives each worker its share of the pool, so all of them together stay within one process's cap", () => {
    const config = loadConfig({
      DATABASE_URL: 'mysql://root@127.0.0.1:3306/x',
      DB_POOL_SIZE: '20',
      DB_POOL_OVERFLOW: '10',
    });
    expect(planWorkers(config, 2)).toEqual({ workers: 2, pool: { size: 10, overflow: 5, maxWaiting: 250 } });
    const three = planWorkers({ ...config, webConcurrency: 3 }, 2);
    expect(three.workers).toBe(3);
    expect(three.workers * (three.pool.size + three.pool.overflow)).toBeLessThanOrEqual(30);
    // No more workers than connections: 40 asked for, with a pool of 20, is 20 workers of one connection each.
    const many = planWorkers({ ...config, webConcurrency: 40 }, 2);
    expect(many).toEqual({ workers: 20, pool: { size: 1, overflow: 0, maxWaiting: 25 } });
    // SQLite is one file with one writer: one process.
    expect(planWorkers(loadConfig({ DATABASE_URL: 'file:./x.sqlite', WEB_CONCURRENCY: '4' }), 8).workers).toBe(1);
  });
});

describe('workerExecArgv', () => {
  it('gives the workers a larger young generation, unless the operator chose one', () => {
    expect(workerExecArgv(['--import', 'tsx'])).toEqual(['--import', 'tsx', '--max-semi-space-size=64']);
    expect(workerExecArgv(['--max-semi-space-size=16'])).toEqual(['--max-semi-space-size=16']);
    expect(workerExecArgv([], '--enable-source-maps --max-semi-space-size=32')).toEqual([]);
  });
});

describe.runIf(mysql)('serving with two workers', () => {
  let database: TestDatabase;
  let server: ChildProcess;
  let port: number;
  let metricsPort: number;
  let serve: ServeCommand;

  beforeAll(async () => {
    database = await createSeededDatabase(mysql!, 1);
    [port, metricsPort] = [await freePort(), await freePort()];
    serve = await startServeCommand(database.url, {
      PORT: String(port),
      METRICS_PORT: String(metricsPort),
      DB_POOL_SIZE: '6',
      DB_POOL_OVERFLOW: '4',
    });
    server = serve.process;
  });
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await database?.drop();
  });

  /** Each request on a connection of its own, so the cluster spreads them over the workers. */
  async function post(query: string, variables: object, cookie?: string) {
    const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close', ...(cookie ? { cookie } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return { response, body: (await response.json()) as { data: any } }; // eslint-disable-line @typescript-eslint/no-explicit-any
  }

  it('keeps the connection cap across the workers, as the metrics add them up', async () => {
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    // Two workers of (3 + 2): the 6 + 4 of one process, no more.
    expect(text).toMatch(/^pastoral_db_pool_connections_max 10$/m);
  });

  it('shows a change made through one worker on the next dashboard from any worker', async () => {
    const signIn = await post('mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }', {
      input: { email: 'pastoral.lead@s01.pastoral.example', password: DEMO_PASSWORD },
    });
    const cookie = signIn.response.headers.get('set-cookie')!.split(';')[0]!;
    const dashboard = async () =>
      (await post('{ dashboard { newAlerts computedAt } }', {}, cookie)).body.data.dashboard as {
        newAlerts: number;
        computedAt: string;
      };
    const before = [];
    for (let i = 0; i < 6; i++) before.push(await dashboard());
    // Both workers counted and cached their own figures.
    expect(new Set(before.map((figures) => figures.computedAt)).size).toBe(2);

    const alerts = await post('{ alerts(first: 1, filter: { status: [NEW] }) { nodes { id } } }', {}, cookie);
    const acknowledged = await post(
      'mutation ($ids: [ID!]!) { acknowledgeAlerts(input: { alertIds: $ids }) { userErrors { message } } }',
      { ids: [alerts.body.data.alerts.nodes[0].id] },
      cookie,
    );
    expect(acknowledged.body.data.acknowledgeAlerts.userErrors).toEqual([]);
    for (let i = 0; i < 6; i++) expect((await dashboard()).newAlerts).toBe(before[0]!.newAlerts - 1);
  });

  it('ends a session on every worker at once when it signs out through one, though each had it cached', async () => {
    const signIn = await post('mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }', {
      input: { email: 'form.master@s01.pastoral.example', password: DEMO_PASSWORD },
    });
    const cookie = signIn.response.headers.get('set-cookie')!.split(';')[0]!;
    const whoAmI = async () => (await post('{ viewer { role } }', {}, cookie)).body.data.viewer as unknown;
    // Both workers read the session and keep it for SESSION_CACHE_TTL_S (10 s by default).
    for (let i = 0; i < 4; i++) expect(await whoAmI()).toEqual({ role: 'FORM_MASTER' });
    const signedOut = await post('mutation { signOut { signedOut } }', {}, cookie);
    expect(signedOut.body.data.signOut).toEqual({ signedOut: true });
    for (let i = 0; i < 4; i++) expect(await whoAmI()).toBeNull();
  });

  it('replaces a worker that dies, and stops every worker on SIGTERM', async () => {
    const workerPids = workerPidsOf(server.pid!);
    expect(workerPids).toHaveLength(2);
    for (const pid of workerPids) {
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=64');
    }
    process.kill(workerPids[0]!, 'SIGKILL');
    await waitFor(() => serve.output().includes('a worker died; starting another'), 10_000);
    await waitFor(() => serve.listening() >= 3, 30_000);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`, { headers: { connection: 'close' } })).status).toBe(200);

    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    const started = Date.now();
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(workerPidsOf(server.pid!)).toEqual([]);
  });
});
