/**
 * A worker killed mid-write leaves the summary counts equal to their full counts (issue 21, item 1): on
 * `pastoral serve` with two workers, clients triage alerts and open cases back to back, one worker is killed
 * with SIGKILL among them, and every school's summary rows are then compared with counts over the tables. The
 * triggers write in the writes' own transactions, so a transaction the kill cut off takes its counts with it.
 */
import type { ChildProcess } from 'node:child_process';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { schoolSummaryMismatches, summarisedSchoolIds } from '../../modules/summaries/summary.repository.ts';
import { freePort } from '../../testing/free-port.ts';
import { type ServeCommand, startServeCommand, workerPidsOf } from '../../testing/processes.ts';
import { createSeededDatabase, DEMO_PASSWORD } from '../../testing/seeded-database.ts';

const mysql = testEngines().find((engine) => engine.name === 'mysql');
const CLIENTS = 8;

describe.runIf(mysql)('summary counts when a worker dies mid-write', () => {
  let database: TestDatabase;
  let server: ChildProcess;
  let serve: ServeCommand;
  let port: number;
  let cookie = '';

  beforeAll(async () => {
    database = await createSeededDatabase(mysql!, 1);
    port = await freePort();
    serve = await startServeCommand(database.url, { PORT: String(port), METRICS_PORT: '' });
    server = serve.process;
    const signIn = await post('mutation ($input: SignInInput!) { signIn(input: $input) { userErrors { message } } }', {
      input: { email: 'pastoral.lead@s01.pastoral.example', password: DEMO_PASSWORD },
    });
    cookie = (signIn as Response).headers.get('set-cookie')!.split(';')[0]!;
  });
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await database?.drop();
  });

  async function post(query: string, variables: object = {}): Promise<Response | string> {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      await response.text();
      return response;
    } catch (error) {
      return String((error as { cause?: { code?: string } }).cause?.code ?? error);
    }
  }

  it('leaves every summary row equal to its full count', async () => {
    const { db } = database.handle;
    const alerts = await db
      .selectFrom('alerts')
      .select(['id', 'school_id', 'student_id'])
      .where('status', '=', 'NEW')
      .execute();
    let next = 0;
    let running = true;
    let answered = 0;
    let lost = 0;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (running && next < alerts.length) {
        const alert = alerts[next++]!;
        const id = toGlobalId('Alert', { schoolId: alert.school_id, id: alert.id });
        const result =
          next % 2 === 0
            ? await post(
                'mutation ($input: AcknowledgeAlertInput!) { acknowledgeAlert(input: $input) { userErrors { message } } }',
                {
                  input: { alertId: id },
                },
              )
            : await post(
                'mutation ($input: EscalateAlertInput!) { escalateAlert(input: $input) { userErrors { message } } }',
                {
                  input: { alertIds: [id] },
                },
              );
        if (typeof result === 'string') lost += 1;
        else answered += 1;
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const [victim] = workerPidsOf(server.pid!);
    process.kill(victim!, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    running = false;
    await Promise.all(clients);
    // The load wrote, and the kill cut some of it off.
    expect(answered).toBeGreaterThan(20);
    expect(lost).toBeGreaterThan(0);
    const mismatches = [];
    for (const schoolId of await summarisedSchoolIds(db))
      mismatches.push(...(await schoolSummaryMismatches(db, schoolId)));
    expect(mismatches).toEqual([]);
  }, 120_000);
});
