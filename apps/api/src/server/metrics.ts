/**
 * Prometheus metrics: latency per GraphQL operation, SQL statements and their durations, the database pool,
 * the dashboard cache, compiled documents, and Node's own (event-loop lag, memory, GC). Served at /metrics to
 * holders of METRICS_TOKEN, or on METRICS_PORT, a port of its own that is never exposed to the public.
 */
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Operation names are chosen by clients: past this many distinct names, the rest count as "other". */
export const MAX_OPERATION_LABELS = 100;
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Latency buckets in seconds, from a cached page (~1 ms) to the request deadline. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const STATEMENT_BUCKETS = [0.0002, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5];

export interface CounterSource {
  /** A running total (hits, misses): read at each scrape. */
  (): number;
}

export interface Metrics {
  registry: Registry;
  /** A GraphQL request finished: its operation name (null when anonymous or unparsable), duration and outcome. */
  observeOperation(name: string | null, seconds: number, outcome: 'ok' | 'error'): void;
  /** A SQL statement finished. */
  observeStatement(sql: string, milliseconds: number, failed: boolean): void;
  /** Gauges read at each scrape, such as the pool's connections in use. */
  gauge(name: string, help: string, read: () => number): void;
  /** A counter whose running total lives elsewhere (the cache's hits), read at each scrape. */
  counterFrom(name: string, help: string, read: CounterSource): void;
  render(): Promise<string>;
  contentType: string;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'pastoral_' });
  const operations = new Histogram({
    name: 'pastoral_graphql_operation_duration_seconds',
    help: 'GraphQL requests by operation name and outcome, from the request arriving to the response being ready.',
    labelNames: ['operation', 'outcome'],
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const statements = new Histogram({
    name: 'pastoral_sql_statement_duration_seconds',
    help: 'SQL statements sent by the API, by kind (select, insert, update, delete, other) and outcome.',
    labelNames: ['kind', 'outcome'],
    buckets: STATEMENT_BUCKETS,
    registers: [registry],
  });
  const seenOperations = new Set<string>();

  function operationLabel(name: string | null): string {
    if (name === null) return 'anonymous';
    if (!OPERATION_NAME.test(name)) return 'other';
    if (seenOperations.has(name)) return name;
    if (seenOperations.size >= MAX_OPERATION_LABELS) return 'other';
    seenOperations.add(name);
    return name;
  }

  return {
    registry,
    observeOperation(name, seconds, outcome) {
      operations.observe({ operation: operationLabel(name), outcome }, seconds);
    },
    observeStatement(sql, milliseconds, failed) {
      const verb = /^\s*(\w+)/.exec(sql)?.[1]?.toLowerCase() ?? 'other';
      const kind = ['select', 'insert', 'update', 'delete'].includes(verb) ? verb : 'other';
      statements.observe({ kind, outcome: failed ? 'error' : 'ok' }, milliseconds / 1000);
    },
    gauge(name, help, read) {
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    },
    counterFrom(name, help, read) {
      let reported = 0;
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          const total = read();
          // A source that restarted from zero (a cache replaced) starts its count again.
          this.inc(total >= reported ? total - reported : total);
          reported = total;
        },
      });
    },
    render: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

/** The listener of METRICS_PORT: GET /metrics and nothing else, with no token (the port is kept private). */
export function metricsListener(
  render: () => Promise<string>,
  contentType: string,
  onError: (error: unknown) => void,
): Server {
  return createServer((request, response) => {
    if (request.method !== 'GET' || request.url !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('Only GET /metrics is served here.\n');
      return;
    }
    render().then(
      (body) => response.writeHead(200, { 'content-type': contentType }).end(body),
      (error: unknown) => {
        onError(error);
        response.writeHead(500).end();
      },
    );
  });
}
