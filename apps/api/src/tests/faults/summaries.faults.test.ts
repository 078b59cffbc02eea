/**
 * A worker killed mid-write leaves the summary counts equal to their full counts (issue 21, item 1): on
 * `pastoral serve` with two workers, clients triage alerts and open cases back to back, one worker is killed
 * with SIGKILL among them, and every school's summary rows are then compared with counts over the tables. The
 * triggers write in the writes' own transactions, so a transaction the kill cut off takes its counts with it.
 */
import type { ChildProcess } from 'node:child_process';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { schoolSummaryMismatches, summarisedSchoolIds } from '../../modules/summaries/summary.repository.ts';
import { freePort } from '../../testing/free-port.ts';
import { type ServeCommand, startServeCommand, workerPidsOf } from '../../testing/processes.ts';
import { createSeededDatabase, DEMO_PASSWORD } from '../../testing/seeded-database.ts';

const mysql = testEngines().find((engine) => engine.name === 'mysql');
const CLIENTS = 8;
const UPDATE_CASE = `mutation ($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { version } userErrors { message } } }`;
type Answer = { headers: Headers; body: unknown };
type CasesAnswer = { data: { cases: { nodes: { id: string; version: number }[] } } };
type NodeAnswer = { data: { node: { version: number } } };
type UpdateAnswer = { data: { updateCase: { case: { version: number } | null; userErrors: unknown[] } } };

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
    cookie = (signIn as Answer).headers.get('set-cookie')!.split(';')[0]!;
  });
  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    await database?.drop();
  });

  /** The answer's headers and parsed body, or the network error's code when there was no answer. */
  async function post(query: string, variables: object = {}): Promise<Answer | string> {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close', ...(cookie ? { cookie } : {}) },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      return { headers: response.headers, body: JSON.parse(await response.text()) as unknown };
    } catch (error) {
      return String((error as { cause?: { code?: string } }).cause?.code ?? error);
    }
  }

  it('leaves every summary row equal to its full count', async () => {
    const { db } = database.handle;
    const listed = await post(`{ cases(first: ${CLIENTS}, filter: { status: [OPEN] }) { nodes { id version } } }`);
    const cases = ((listed as Answer).body as CasesAnswer).data.cases.nodes;
    expect(cases).toHaveLength(CLIENTS);
    let running = true;
    let inFlight = 0;
    let answered = 0;
    let lost = 0;
    const refused: unknown[] = [];
    // Each client moves its own case's review date back and forth (a counted column: review_day, month and year
    // rows change on every write) until told to stop, so the writes cannot run out before the kill.
    const clients = cases.map(async (kase, client) => {
      let version = kase.version;
      for (let write = 0; running; write++) {
        const day = String(10 + ((write + client) % 18)).padStart(2, '0');
        inFlight += 1;
        const result = await post(UPDATE_CASE, {
          input: { id: kase.id, expectedVersion: version, nextReviewAt: `2027-0${1 + (write % 9)}-${day}` },
        });
        inFlight -= 1;
        if (typeof result === 'string') {
          lost += 1;
          // The cut-off write may or may not have committed: read the version afresh.
          const read = await post(`query ($id: ID!) { node(id: $id) { ... on InterventionCase { version } } }`, {
            id: kase.id,
          });
          if (typeof read !== 'string') version = (read.body as NodeAnswer).data.node.version;
        } else {
          answered += 1;
          const updated = (result.body as UpdateAnswer).data.updateCase;
          if (updated.case) version = updated.case.version;
          else refused.push(updated.userErrors);
        }
      }
    });
    // Killed once the writes are flowing, at a moment when some are in flight (both workers take connections in
    // turn, so the victim holds about half of them).
    while (answered < 40 || inFlight < CLIENTS / 2) await new Promise((resolve) => setTimeout(resolve, 2));
    const [victim] = workerPidsOf(server.pid!);
    process.kill(victim!, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    running = false;
    await Promise.all(clients);
    console.info(`${answered} writes answered, ${lost} cut off by the kill, ${refused.length} refused`);
    // The load wrote, and the kill cut some of it off.
    expect(answered).toBeGreaterThan(40);
    // Only a write the kill cut off after it committed leaves its client a stale version, refused once.
    expect(refused.length).toBeLessThanOrEqual(lost);
    expect(lost).toBeGreaterThan(0);
    const mismatches = [];
    for (const schoolId of await summarisedSchoolIds(db))
      mismatches.push(...(await schoolSummaryMismatches(db, schoolId)));
    expect(mismatches).toEqual([]);
  }, 120_000);
});
