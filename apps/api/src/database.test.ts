import { Writable } from 'node:stream';
import { pino } from 'pino';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { openDatabase } from './database.ts';

function capturingLogger() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

describe('the slow-query log', () => {
  it('logs statements slower than SLOW_QUERY_MS with their SQL and duration, and only those', async () => {
    const { logger, lines } = capturingLogger();
    const slow = openDatabase(loadConfig({ DATABASE_URL: 'file::memory:', SLOW_QUERY_MS: '0' }), logger);
    await sql`select 42 as answer`.execute(slow.db);
    await slow.destroy();
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'slow query',
        sql: 'select 42 as answer',
        durationMs: expect.any(Number),
      }),
    );

    const quiet = capturingLogger();
    const fast = openDatabase(loadConfig({ DATABASE_URL: 'file::memory:', SLOW_QUERY_MS: '60000' }), quiet.logger);
    await sql`select 42 as answer`.execute(fast.db);
    await fast.destroy();
    expect(quiet.lines).toEqual([]);
  });
});
