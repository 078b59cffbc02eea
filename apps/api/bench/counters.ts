/**
 * Statements and rows examined per request, from MariaDB's server-wide counters around a timed run: what
 * `pnpm bench`'s operation tables and its write costs report beside their latencies.
 */
import type { Connection, RowDataPacket } from 'mysql2';
import { summarize } from './measure.ts';

const COUNTERS = [
  'Questions',
  'Handler_read_first',
  'Handler_read_key',
  'Handler_read_last',
  'Handler_read_next',
  'Handler_read_prev',
  'Handler_read_rnd',
  'Handler_read_rnd_next',
];

/** MariaDB's server-wide counters: statements received, and rows read through the storage engine's handler. */
async function readCounters(raw: Connection): Promise<{ statements: number; rows: number }> {
  const [rows] = await raw
    .promise()
    .query<RowDataPacket[]>(
      `show global status where Variable_name in (${COUNTERS.map((name) => `'${name}'`).join(', ')})`,
    );
  const value = (name: string) => Number(rows.find((row) => row.Variable_name === name)?.Value ?? 0);
  return {
    statements: value('Questions'),
    rows: COUNTERS.filter((name) => name.startsWith('Handler')).reduce((sum, name) => sum + value(name), 0),
  };
}

/**
 * Times `send` over `runs` after `warmUp`, and counts the statements and rows per call from the counters,
 * less the cost of reading them (measured right before, with nothing in between).
 */
export async function measure(raw: Connection, send: () => Promise<unknown>, warmUp: number, runs: number) {
  for (let i = 0; i < warmUp; i++) await send();
  const idle0 = await readCounters(raw);
  const before = await readCounters(raw);
  const overhead = { statements: before.statements - idle0.statements, rows: before.rows - idle0.rows };
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    await send();
    latencies.push(performance.now() - started);
  }
  const after = await readCounters(raw);
  return {
    latency: summarize(latencies),
    statements: (after.statements - before.statements - overhead.statements) / runs,
    rows: Math.max(0, after.rows - before.rows - overhead.rows) / runs,
  };
}
