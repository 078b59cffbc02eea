/** The bounded pool against a real MySQL/MariaDB: the connection cap, the wait queue and its timeout, pings. */
import { sql } from 'kysely';
import { createConnection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type DatabaseHandle } from './create-db.ts';
import { DatabaseUnavailableError } from './mysql-pool.ts';
import { type TestDatabase, testEngines } from './testing.ts';

const mysql = testEngines().find((engine) => engine.name === 'mysql');

describe.runIf(mysql)('the bounded MySQL pool', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;
  beforeAll(async () => {
    database = await mysql!.createDatabase({ migrate: false });
    handle = createDb(database.url, {
      pool: { size: 2, overflow: 1, maxWaiting: 2, acquireTimeoutMs: 300, pingAfterIdleMs: 0 },
    });
  });
  afterAll(async () => {
    await handle.destroy();
    await database.drop();
  });

  async function connectionsToThisDatabase(): Promise<number> {
    const [rows] = await admin().then(async (connection) => {
      const result = await connection.query('select count(*) as n from information_schema.processlist where db = ?', [
        new URL(database.url).pathname.slice(1),
      ]);
      await connection.end();
      return result;
    });
    return Number((rows as { n: number }[])[0]?.n);
  }

  function admin() {
    const url = new URL(database.url);
    return createConnection({
      host: url.hostname,
      port: Number(url.port || 3306),
      user: decodeURIComponent(url.username) || 'root',
      password: decodeURIComponent(url.password),
    });
  }

  it('never opens more than size + overflow, times out waiters, and refuses past the queue at once', async () => {
    const sleep = (seconds: number) => sql`select sleep(${seconds}) as slept`.execute(handle.db);
    const busy = [sleep(1.5), sleep(1.5), sleep(1.5)];
    await new Promise((resolve) => setTimeout(resolve, 100));
    const started = Date.now();
    const waiters = [sleep(0), sleep(0)].map((query) =>
      query.then(
        () => 'ran',
        (error: unknown) => error,
      ),
    );
    const refused = await sleep(0).then(
      () => 'ran',
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(DatabaseUnavailableError);
    expect((refused as Error).message).toBe('All 3 database connections are busy and 2 requests are already waiting.');
    expect(Date.now() - started).toBeLessThan(100);

    expect(await connectionsToThisDatabase()).toBe(3);
    const waited = await Promise.all(waiters);
    for (const outcome of waited) {
      expect(outcome).toBeInstanceOf(DatabaseUnavailableError);
      expect((outcome as Error).message).toBe('No database connection became free within 300 ms.');
    }
    expect(Date.now() - started).toBeLessThan(1000);
    await Promise.all(busy);
    expect(handle.poolStats()).toMatchObject({ open: 3, waiting: 0 });
    // Once the burst is over, the pool serves again.
    expect((await sleep(0)).rows).toEqual([{ slept: 0 }]);
  });

  it('replaces a connection that died while idle, without the caller noticing', async () => {
    const { rows } = await sql<{ id: number }>`select connection_id() as id`.execute(handle.db);
    const connection = await admin();
    // Every idle connection of the pool is killed, as a database restart would.
    const [threads] = await connection.query('select id from information_schema.processlist where db = ?', [
      new URL(database.url).pathname.slice(1),
    ]);
    for (const { id } of threads as { id: number }[]) await connection.query(`kill ${Number(id)}`);
    await connection.end();
    expect(rows[0]?.id).toBeGreaterThan(0);
    const after = await sql<{ one: number }>`select 1 as one`.execute(handle.db);
    expect(after.rows).toEqual([{ one: 1 }]);
  });

  it('reports an unreachable server as unavailable, fast', async () => {
    const unreachable = createDb('mysql://root@127.0.0.1:1/nothing', { connectTimeoutMs: 500 });
    const error = await sql`select 1`.execute(unreachable.db).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DatabaseUnavailableError);
    expect((error as Error).message).toBe('No database connection: the database is unreachable (ECONNREFUSED).');
    await unreachable.destroy();
  });
});
