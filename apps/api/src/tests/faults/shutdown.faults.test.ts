/**
 * Shutdown and worker loss under load (issue #8, item 3), on `pastoral serve` with two workers, run as a real
 * command. A worker killed mid-load is replaced, and only requests it was serving fail; SIGTERM under load
 * answers every request that reached a worker (the server's log names each by its request id), including one
 * held up in the database past the signal, refuses the rest at the door, then closes the connection pools and
 * exits with 0 within 10 s.
 */
import type { ChildProcess } from 'node:child_process';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../testing/free-port.ts';
import { type ServeCommand, startServeCommand, waitFor, workerPidsOf } from '../../testing/processes.ts';
import { connectAsAnotherSession } from '../../testing/other-session.ts';
import { createSeededDatabase, DEMO_PASSWORD } from '../../testing/seeded-database.ts';

const mysql = testEngines().find((engine) => engine.name === 'mysql');
const CLIENTS = 12;
const QUERY = '{ students(first: 20) { totalCount nodes { fullName riskProfile { level } } } }';

interface Outcome {
  /** Sent as X-Request-Id, so that the server's log says whether the request reached it. */
  requestId: string;
  startedAt: number;
  endedAt: number;
  status: number | null;
  /** The network error's code when there was no response. */
  error: string | null;
  /** The body of an answer other than 200, to say what went wrong. */
  detail?: string;
}

describe.runIf(mysql)('stopping and losing workers under load', () => {
  let database: TestDatabase;
  let server: ChildProcess;
  let port: number;
  let serve: ServeCommand;
  let cookie: string;

  beforeAll(async () => {
    database = await createSeededDatabase(mysql!, 1);
    port = await freePort();
    serve = await startServeCommand(database.url, { PORT: String(port), METRICS_PORT: '', REQUEST_TIMEOUT_MS: '5000' });
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

  const lastDetail = new WeakMap<Response, string>();

  /** One request on a connection of its own, so that the cluster spreads them over the workers. */
  async function post(query: string, variables: object = {}, requestId?: string): Promise<Response | string> {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          connection: 'close',
          ...(cookie ? { cookie } : {}),
          ...(requestId ? { 'x-request-id': requestId } : {}),
        },
        body: JSON.stringify({ query, variables }),
        // A request its worker took to the grave is never answered: it counts as lost, not as a hang.
        signal: AbortSignal.timeout(10_000),
      });
      // A body cut off half way is a lost request too (this throws).
      const body = await response.text();
      if (response.status !== 200) lastDetail.set(response, body.slice(0, 300));
      return response;
    } catch (error) {
      const cause = (error as { cause?: { code?: string }; name?: string }).cause;
      return cause?.code ?? (error as { name?: string }).name ?? String(error);
    }
  }

  let sent = 0;
  async function timed(query: string): Promise<Outcome> {
    const requestId = `shutdown-test-${++sent}`;
    const startedAt = performance.now();
    const result = await post(query, {}, requestId);
    return {
      requestId,
      startedAt,
      endedAt: performance.now(),
      status: typeof result === 'string' ? null : result.status,
      error: typeof result === 'string' ? result : null,
      ...(typeof result !== 'string' && lastDetail.has(result) ? { detail: lastDetail.get(result)! } : {}),
    };
  }

  /** CLIENTS clients asking back to back while `during` runs; a client stops once the server refuses it. */
  async function underLoad(during: () => Promise<void>): Promise<Outcome[]> {
    const outcomes: Outcome[] = [];
    let running = true;
    const clients = Array.from({ length: CLIENTS }, async () => {
      while (running) {
        const outcome = await timed(QUERY);
        outcomes.push(outcome);
        if (outcome.error === 'ECONNREFUSED') return;
      }
    });
    try {
      await during();
    } finally {
      running = false;
      await Promise.all(clients);
    }
    return outcomes;
  }

  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('replaces a worker killed under load, losing only the requests it was serving', async () => {
    const [victim] = workerPidsOf(server.pid!);
    let killedAt = 0;
    let replacedAt = 0;
    const outcomes = await underLoad(async () => {
      await sleep(500);
      killedAt = performance.now();
      process.kill(victim!, 'SIGKILL');
      await waitFor(() => serve.listening() >= 3, 30_000);
      replacedAt = performance.now();
      await sleep(500);
    });
    const failed = outcomes.filter((outcome) => outcome.status !== 200);
    // Only requests in flight when the worker died: begun before, ended (refused or cut) just after.
    expect(failed.every((outcome) => outcome.startedAt <= killedAt + 20 && outcome.endedAt >= killedAt)).toBe(true);
    expect(failed.length).toBeLessThanOrEqual(CLIENTS);
    const afterwards = outcomes.filter((outcome) => outcome.startedAt > killedAt + 20);
    expect(afterwards.length).toBeGreaterThan(CLIENTS * 2);
    expect(afterwards.every((outcome) => outcome.status === 200)).toBe(true);
    console.info(
      `worker killed: ${failed.length} of ${outcomes.length} requests lost (${[...new Set(failed.map((o) => o.error ?? o.status))].join(', ')}), ` +
        `replacement listening after ${Math.round(replacedAt - killedAt)} ms`,
    );
  });

  it('on SIGTERM answers every request that reached a worker, closes the pool and exits with 0 within 10 s', async () => {
    const locker = await connectAsAnotherSession(database.url);
    const databaseName = new URL(database.url).pathname.slice(1);
    try {
      let signalledAt = 0;
      let held: Promise<Outcome> | null = null;
      const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
      const outcomes = await underLoad(async () => {
        await sleep(500);
        // A request held up in the database across the signal: it must still be answered.
        await locker.query('lock tables schools write');
        held = timed('{ schools { totalCount } }');
        await sleep(300);
        signalledAt = performance.now();
        server.kill('SIGTERM');
        await sleep(1_000);
        await locker.query('unlock tables');
        await exited;
      });
      const exitCode = await exited;
      const stoppedMs = performance.now() - signalledAt;
      const heldOutcome = await held!;

      // Every request that reached a worker was answered, before the signal or after it; the others were
      // refused at the door (the listening socket closed), never read, so nothing of them was done.
      const reached = requestsReceived(serve.output());
      const answered = outcomes.filter((outcome) => outcome.status === 200);
      const lost = outcomes.filter((outcome) => reached.has(outcome.requestId) && outcome.status !== 200);
      expect(lost).toEqual([]);
      const refused = outcomes.filter((outcome) => !reached.has(outcome.requestId));
      expect(refused.every((outcome) => outcome.status === null)).toBe(true);
      const servedAfterSignal = answered.filter((outcome) => outcome.endedAt > signalledAt);
      expect(heldOutcome).toMatchObject({ status: 200, error: null });
      expect(heldOutcome.endedAt).toBeGreaterThan(signalledAt + 900);
      expect(exitCode).toBe(0);
      expect(stoppedMs).toBeLessThan(10_000);
      expect(workerPidsOf(server.pid!)).toEqual([]);
      // Every connection of the server's pools was closed, not left for the database to time out: what is left on
      // this database is this test's own.
      const [rows] = await locker.query(
        'select count(*) as open from information_schema.processlist where db = ? and id <> connection_id()',
        [databaseName],
      );
      expect(Number((rows as { open: number }[])[0]!.open)).toBe(database.handle.poolStats()!.open);
      console.info(
        `SIGTERM: ${outcomes.length - refused.length} requests reached the workers, all answered (${servedAfterSignal.length} after ` +
          `the signal, the held one after ${Math.round(heldOutcome.endedAt - signalledAt)} ms); ` +
          `${refused.length} refused at the door (${[...new Set(refused.map((o) => o.error))].join(', ')}); ` +
          `exited with 0 after ${Math.round(stoppedMs)} ms`,
      );
    } finally {
      await locker.query('unlock tables').catch(() => undefined);
      await locker.end();
    }
  });
});

/** The ids of the requests the server logged as received (Fastify's "incoming request" lines). */
function requestsReceived(log: string): Set<string> {
  const ids = new Set<string>();
  for (const line of log.split('\n')) {
    if (!line.includes('"incoming request"')) continue;
    const { reqId } = JSON.parse(line) as { reqId?: string };
    if (reqId) ids.add(reqId);
  }
  return ids;
}
