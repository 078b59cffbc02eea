/**
 * When the database cannot serve: 503 with Retry-After on a busy pool, and the request deadline, which stops a
 * statement on the server and sends none once it has passed.
 */
import { createDb } from '@pastoral/db';
import { testEngines } from '@pastoral/db/testing';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { usersById } from '../../modules/users/user.repository.ts';
import {
  DeadlinePlugin,
  RequestDeadlineError,
  StatementBudget,
  StatementBudgetError,
} from '../../server/request-deadline.ts';
import { buildServer } from '../../server.ts';
import { startApiHarness } from '../../testing/api-harness.ts';
import { connectAsAnotherSession } from '../../testing/other-session.ts';

const engine = testEngines()[0]!;

const mysql = testEngines().find((candidate) => candidate.name === 'mysql');

describe.runIf(mysql)('when the database cannot serve', () => {
  it('answers 503 with Retry-After, fast, whether the session lookup or a resolver meets the busy pool', async () => {
    const database = await mysql!.createDatabase();
    const busy = createDb(database.url, { pool: { size: 1, overflow: 0, maxWaiting: 0, acquireTimeoutMs: 200 } });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
    const app = await buildServer({ config, database: busy, logger: createLogger(config) });
    try {
      const holding = sql`select sleep(1)`.execute(busy.db);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const started = Date.now();
      for (const cookie of [undefined, `pastoral_session=${'a'.repeat(43)}`]) {
        const response = await app.inject({
          method: 'POST',
          url: '/graphql',
          headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
          payload: JSON.stringify({ query: '{ schools { totalCount } viewer { role } }' }),
        });
        if (!cookie) {
          // Anonymous: the resolver needs no database, so the session-free request still works.
          expect(response.statusCode).toBe(401);
          continue;
        }
        expect(response.statusCode).toBe(503);
        expect(response.headers['retry-after']).toBeDefined();
        expect(response.json().errors[0]).toMatchObject({
          message: 'All 1 database connections are busy and 0 requests are already waiting.',
          extensions: { code: 'DATABASE_UNAVAILABLE' },
        });
      }
      expect(Date.now() - started).toBeLessThan(500);
      await holding;
    } finally {
      await app.close();
      await busy.destroy();
      await database.drop();
    }
  });
});

describe.runIf(mysql)('the request deadline', () => {
  it('stops a statement that runs past it on the server, and answers 503', async () => {
    const api = await startApiHarness(mysql!);
    const handle = createDb(api.database.url, { statementTimeoutMs: 300 });
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', REQUEST_TIMEOUT_MS: '300' });
    const app = await buildServer({ config, database: handle, logger: createLogger(config) });
    const locker = await connectAsAnotherSession(api.database.url);
    try {
      const cookie = await api.signIn('district.admin@pastoral.example');
      // Another session holds the table: our read waits, as it would behind a long migration or a stuck writer.
      await locker.query('lock tables schools write');
      const started = Date.now();
      const response = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { 'content-type': 'application/json', cookie },
        payload: JSON.stringify({ query: '{ schools { totalCount } }' }),
      });
      const elapsed = Date.now() - started;
      expect(response.statusCode).toBe(503);
      expect(response.json().errors[0]).toMatchObject({
        message:
          'A database statement ran past the 300 ms request deadline and was stopped; ask for less at once, or retry.',
        extensions: { code: 'REQUEST_TIMEOUT' },
      });
      expect(elapsed).toBeLessThan(1500);
    } finally {
      await locker.query('unlock tables');
      await locker.end();
      await app.close();
      await handle.destroy();
      await api.close();
    }
  });
});

describe('the deadline plugin', () => {
  it('sends no statement once the deadline has passed', async () => {
    const database = await engine.createDatabase();
    try {
      const late = database.handle.db.withPlugin(new DeadlinePlugin(Date.now() - 1, 250));
      await expect(late.selectFrom('schools').selectAll().execute()).rejects.toThrow(
        new RequestDeadlineError(
          'The request ran past its 250 ms deadline and was stopped; ask for less at once, or retry.',
        ),
      );
      // A prepared repository query (compiled once per shape) is stopped alike, its shape already compiled.
      await usersById(database.handle.db, [1]);
      await expect(usersById(late, [1])).rejects.toThrow(RequestDeadlineError);
      const inTime = database.handle.db.withPlugin(new DeadlinePlugin(Date.now() + 10_000, 10_000));
      expect(await inTime.selectFrom('schools').selectAll().execute()).toEqual([]);
    } finally {
      await database.drop();
    }
  });

  it('counts every statement in the budget, a prepared query run as much as a built one', async () => {
    const database = await engine.createDatabase();
    try {
      const budget = new StatementBudget();
      budget.limit = 3;
      const db = database.handle.db.withPlugin(new DeadlinePlugin(Date.now() + 10_000, 10_000, budget));
      await usersById(db, [1]);
      await usersById(db, [2]);
      await db.selectFrom('schools').selectAll().execute();
      expect(budget.used).toBe(3);
      await expect(usersById(db, [3])).rejects.toThrow(StatementBudgetError);
    } finally {
      await database.drop();
    }
  });
});
