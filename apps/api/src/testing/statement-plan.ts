/**
 * What a statement really costs on MariaDB: run under `ANALYZE FORMAT=JSON`, which executes it and counts the rows
 * each step read, then summed. A read is analyzed; a write is only EXPLAINed (ANALYZE would change the data), so
 * its figures are the optimizer's estimates.
 */
export interface StatementPlan {
  sql: string;
  /** Rows the statement returned; null for a write. */
  returned: number | null;
  /** Rows read by every step, summed over its loops (r_rows × r_loops; estimated `rows` for a write). */
  examined: number;
  /** Whether a step sorts rows instead of reading them in an index's order. */
  filesort: boolean;
  /**
   * The most rows any sort reads: those of the steps under it (a derived table's own reads not counted), 0 when
   * nothing is sorted. A page sorted again after an index gave it (a deferred join's) sorts the page alone.
   */
  sorted: number;
  /** Whether a step builds a temporary table (a sort's, a GROUP BY's, a materialised subquery's, a UNION's). */
  temporary: boolean;
  /** The index each step read (its key), `table:ALL` for a scan of a whole table. */
  indexes: string[];
  /** Each table step: table, access type, index, whether the index alone answered it, rows read. */
  steps: { table: string; access: string; index: string | null; indexOnly: boolean; rows: number }[];
}

type Node = Record<string, unknown>;

/** Rows read by a plan's table steps under `node`, summed; a materialised derived table's reads left out. */
function rowsUnder(node: unknown): number {
  if (Array.isArray(node)) return node.reduce((sum: number, item) => sum + rowsUnder(item), 0);
  if (node === null || typeof node !== 'object') return 0;
  let sum = 0;
  for (const [key, value] of Object.entries(node as Node)) {
    if (key === 'materialized') continue;
    if (key === 'table' && value && typeof value === 'object' && 'table_name' in value) sum += rowsOf(value as Node);
    sum += rowsUnder(value);
  }
  return sum;
}

/** A table step's rows: actual (r_rows per loop, times r_loops) under ANALYZE, estimated under EXPLAIN. */
function rowsOf(step: Node): number {
  return Math.round(Number(step.r_rows ?? step.rows ?? 0) * Number(step.r_loops ?? 1));
}

/** Reads a plan of `ANALYZE FORMAT=JSON` (or of `EXPLAIN FORMAT=JSON`, whose rows are estimates). */
export function summarizePlan(sql: string, json: string, returned: number | null): StatementPlan {
  const steps: StatementPlan['steps'] = [];
  let sorted = 0;
  let temporary = false;
  const visit = (node: unknown, key: string) => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item, key);
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const value = node as Node;
    if (key === 'filesort') sorted = Math.max(sorted, Math.max(1, rowsUnder(value)));
    if (key === 'temporary_table' || value.using_temporary_table === true) temporary = true;
    if (key === 'table' && typeof value.table_name === 'string') {
      steps.push({
        table: value.table_name,
        access: String(value.access_type ?? ''),
        index: typeof value.key === 'string' ? value.key : null,
        indexOnly: value.using_index === true,
        rows: rowsOf(value),
      });
    }
    for (const [child, item] of Object.entries(value)) visit(item, child);
  };
  visit(JSON.parse(json), '');
  return {
    sql,
    returned,
    examined: steps.reduce((sum, step) => sum + step.rows, 0),
    filesort: sorted > 0,
    sorted,
    temporary,
    indexes: steps.map((step) => step.index ?? `${step.table}:${step.access}`),
    steps,
  };
}

/** Runs one statement and returns its rows: a mysql2 connection's or a Kysely executor's. */
export type RunStatement = (sql: string) => Promise<Record<string, unknown>[]>;

/** ANALYZEs a read, or EXPLAINs a write, given as SQL with its values inlined (mysql2's `format`). */
export async function planOf(run: RunStatement, sql: string): Promise<StatementPlan> {
  const isRead = /^\s*(\(?\s*select|with)\b/i.test(sql) && !/\bfor update\b/i.test(sql);
  if (!/^\s*(\(?\s*select|with|insert|update|delete|replace)\b/i.test(sql)) {
    return { sql, returned: null, examined: 0, filesort: false, sorted: 0, temporary: false, indexes: [], steps: [] };
  }
  if (!isRead) {
    const [plan] = await run(`explain format=json ${sql}`);
    return summarizePlan(sql, String(plan?.EXPLAIN ?? '{}'), null);
  }
  const result = await run(sql);
  const [plan] = await run(`analyze format=json ${sql}`);
  return summarizePlan(sql, String(plan?.ANALYZE ?? '{}'), result.length);
}
