/**
 * Read replicas (issue #9, item 1), on the replication lab: the API's reads reach the replica (counted by the
 * replica itself), a viewer who writes reads the write at once while the replica lags, a replica too far behind
 * or stopped leaves the rotation with no error to anyone, and one that catches up or comes back rejoins it.
 */
import { createDb, type DatabaseHandle } from '@pastoral/db';
import { mysqlTestEngine } from '@pastoral/db/testing';
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { buildServer } from '../../server.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';
import { type ReplicationLab, startReplicationLab } from '../../testing/replication-lab.ts';

const MAX_LAG_S = 2;
const READ_CASE = 'query ($id: ID!) { node(id: $id) { ... on InterventionCase { title version } } }';
const UPDATE_CASE = `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { title version } userErrors { message } } }`;

describe('the API on a primary and a read replica', () => {
  let lab: ReplicationLab;
  let api: ApiHarness;
  let handle: DatabaseHandle;
  let app: Awaited<ReturnType<typeof buildServer>>;
  let replicaAdmin: Connection;
  let lead: string;
  let admin: string;
  let caseId: string;

  beforeAll(async () => {
    lab = await startReplicationLab();
    // Seeded on the primary through the harness (which reads only the primary); the replica copies it.
    api = await startApiHarness(mysqlTestEngine(lab.primary.url('mysql')));
    await lab.waitForReplica(60_000);
    const replicaUrl = new URL(api.database.url);
    replicaUrl.port = String(lab.replica.port);
    handle = createDb(api.database.url, { replicaUrls: [replicaUrl.toString()], replicaMaxLagMs: MAX_LAG_S * 1000 });
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: api.database.url,
      DATABASE_REPLICA_URLS: replicaUrl.toString(),
      REPLICA_MAX_LAG_S: String(MAX_LAG_S),
    });
    app = await buildServer({ config, database: handle, logger: createLogger(config) });
    replicaAdmin = await lab.replica.connect();
    lead = await api.signIn('pastoral.lead@s01.pastoral.example');
    admin = await api.signIn('school.admin@s01.pastoral.example');
    await lab.waitForReplica();
    await untilReplica('in rotation');
    const cases = await ask<{ cases: { nodes: { id: string }[] } }>(
      '{ cases(first: 1, filter: { status: [OPEN] }) { nodes { id } } }',
      {},
      lead,
    );
    caseId = cases.body.data.cases.nodes[0]!.id;
  }, 180_000);
  afterAll(async () => {
    await replicaAdmin?.end();
    await app?.close();
    await handle?.destroy();
    await api?.close();
    await lab?.close();
  });

  async function ask<Data>(query: string, variables: object, cookie: string) {
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', cookie },
      payload: JSON.stringify({ query, variables }),
    });
    return {
      status: response.statusCode,
      body: response.json() as { data: Data; errors?: unknown[] },
      setCookies: ([] as string[]).concat(response.headers['set-cookie'] ?? []),
    };
  }

  /** SELECTs the replica has run, by its own count. */
  async function replicaSelects(): Promise<number> {
    const [rows] = await replicaAdmin.query("SHOW GLOBAL STATUS LIKE 'Com_select'");
    return Number((rows as { Value: string }[])[0]!.Value);
  }

  async function untilReplica(health: string, timeoutMs = 15_000): Promise<number> {
    const started = Date.now();
    while (handle.replicas()[0]?.health !== health) {
      if (Date.now() - started > timeoutMs) {
        throw new Error(`the replica stayed ${handle.replicas()[0]?.health} for ${timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return Date.now() - started;
  }

  const titleAs = async (cookie: string) =>
    (await ask<{ node: { title: string; version: number } }>(READ_CASE, { id: caseId }, cookie)).body.data.node;

  it('sends reads to the replica, as the replica counts them', async () => {
    const before = await replicaSelects();
    for (let i = 0; i < 20; i++) expect((await ask(READ_CASE, { id: caseId }, lead)).status).toBe(200);
    // The replica's own monitor look adds a few; 20 requests of one statement each at least 20.
    expect((await replicaSelects()) - before).toBeGreaterThanOrEqual(20);
    expect(handle.replicas()[0]!.reads).toBeGreaterThanOrEqual(20);
    const ready = (await app.inject({ url: '/readyz' })).json() as { replicas: { health: string }[] };
    expect(ready.replicas).toEqual([expect.objectContaining({ health: 'in rotation' })]);
  });

  it('copies the summary rows, as the seed counted them and as the triggers keep them', async () => {
    const alerts = await ask<{ alerts: { nodes: { id: string }[] } }>(
      '{ alerts(first: 2, filter: { status: [NEW] }) { nodes { id } } }',
      {},
      lead,
    );
    const alertIds = alerts.body.data.alerts.nodes.map((node) => node.id);
    expect(alertIds).toHaveLength(2);
    const acknowledged = await ask<{ acknowledgeAlert: { userErrors: unknown[] } }>(
      'mutation ($input: AcknowledgeAlertInput!) { acknowledgeAlert(input: $input) { userErrors { message } } }',
      { input: { alertId: alertIds[0] } },
      lead,
    );
    expect(acknowledged.body.data.acknowledgeAlert.userErrors).toEqual([]);
    await lab.waitForReplica();
    const database = new URL(api.database.url).pathname.slice(1);
    const rowsOf = async (connection: Connection) =>
      (await connection.query(`SELECT * FROM \`${database}\`.summary_counts ORDER BY 1, 2, 3, 4, 5`))[0];
    const primary = await lab.primary.connect();
    try {
      const onPrimary = await rowsOf(primary);
      expect((onPrimary as unknown[]).length).toBeGreaterThan(0);
      expect(await rowsOf(replicaAdmin)).toEqual(onPrimary);
    } finally {
      await primary.end();
    }
  });

  it("shows a viewer their own write at once while the replica lags, and the others the replica's copy", async () => {
    // The replica receives the primary's changes but applies none of them.
    await replicaAdmin.query('STOP SLAVE SQL_THREAD');
    try {
      const current = await titleAs(lead);
      const updated = await ask<{ updateCase: { case: { title: string } } }>(
        UPDATE_CASE,
        { input: { id: caseId, expectedVersion: current.version, title: 'Read your own writes' } },
        lead,
      );
      expect(updated.body.data.updateCase.case.title).toBe('Read your own writes');
      const wroteAt = updated.setCookies.find((cookie) => cookie.startsWith('pastoral_wrote_at='));
      expect(wroteAt).toBeDefined();
      const writer = `${lead}; ${wroteAt!.split(';')[0]}`;
      // The writer reads the primary; another viewer still reads the replica, which has not applied it yet.
      expect((await titleAs(writer)).title).toBe('Read your own writes');
      expect((await titleAs(admin)).title).toBe(current.title);
    } finally {
      await replicaAdmin.query('START SLAVE SQL_THREAD');
    }
    await lab.waitForReplica();
    await handle.checkReplicas();
    await handle.checkReplicas();
    expect((await titleAs(admin)).title).toBe('Read your own writes');
  });

  it('takes a replica further behind than REPLICA_MAX_LAG_S out of the rotation, and back once it catches up', async () => {
    await replicaAdmin.query('STOP SLAVE SQL_THREAD');
    try {
      const current = await titleAs(lead);
      await ask(UPDATE_CASE, { input: { id: caseId, expectedVersion: current.version, title: 'Behind' } }, lead);
      const outAfterMs = await untilReplica('lagging');
      console.info(`a replica ${MAX_LAG_S} s behind left the rotation ${outAfterMs} ms after the write`);
      // Everyone now reads the primary: no stale answer, no error.
      const before = await replicaSelects();
      expect((await titleAs(admin)).title).toBe('Behind');
      expect((await replicaSelects()) - before).toBeLessThanOrEqual(2);
    } finally {
      await replicaAdmin.query('START SLAVE SQL_THREAD');
    }
    const backAfterMs = await untilReplica('in rotation');
    console.info(`caught up, it rejoined the rotation after ${backAfterMs} ms`);
  });

  it('moves reads to the primary without an error while the replica is down, and back when it returns', async () => {
    await lab.stopReplica();
    await replicaAdmin.end().catch(() => undefined);
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push((await ask(READ_CASE, { id: caseId }, lead)).status);
    expect(answers.every((status) => status === 200)).toBe(true);
    expect(handle.replicas()[0]!.health).toBe('unreachable');
    const ready = await app.inject({ url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toMatchObject({ status: 'ready', replicas: [{ health: 'unreachable' }] });

    await lab.startReplica();
    replicaAdmin = await lab.replica.connect();
    const backAfterMs = await untilReplica('in rotation');
    console.info(`restarted, the replica rejoined the rotation after ${backAfterMs} ms`);
    const before = await replicaSelects();
    for (let i = 0; i < 10; i++) expect((await ask(READ_CASE, { id: caseId }, lead)).status).toBe(200);
    expect((await replicaSelects()) - before).toBeGreaterThanOrEqual(10);
  });
});
