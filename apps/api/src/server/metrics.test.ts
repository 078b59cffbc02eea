/** /metrics: Prometheus text for the operator, behind a token or on a port of its own, and nothing for anyone else. */
import { testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.ts';
import { openDatabase } from '../database.ts';
import { createLogger } from '../logger.ts';
import { createMetrics, MAX_OPERATION_LABELS } from './metrics.ts';
import { buildServer } from '../server.ts';
import { type ApiHarness, startApiHarness } from '../testing/api-harness.ts';
import { freePort } from '../testing/free-port.ts';

const TOKEN = 'metrics-secret-0123456789';

/** The value of one sample line of the Prometheus text, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe.each(testEngines())('/metrics on $name', (engine) => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness(engine, { environment: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => api?.close());

  const scrape = (authorization?: string) =>
    api.app.inject({ method: 'GET', url: '/metrics', headers: authorization ? { authorization } : {} });

  it('answers 401 without the token or with a wrong one, and says what to send', async () => {
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, TOKEN]) {
      const response = await scrape(authorization);
      expect(response.statusCode).toBe(401);
      expect(response.json()).toEqual({ error: 'Unauthorized', message: expect.stringContaining('METRICS_TOKEN') });
      expect(response.body).not.toContain('pastoral_');
      // RFC 6750's challenge; with invalid_token only when a bearer token was sent and refused.
      expect(response.headers['www-authenticate']).toBe(
        authorization?.startsWith('Bearer ')
          ? 'Bearer error="invalid_token", error_description="The metrics token is not the one set."'
          : 'Bearer',
      );
    }
  });

  it('reads the Bearer scheme in any case, as RFC 9110 has it', async () => {
    for (const scheme of ['bearer', 'BEARER', 'Bearer ']) {
      expect((await scrape(`${scheme} ${TOKEN}`)).statusCode).toBe(200);
    }
  });

  it("counts operations by name, the dashboard cache's hits and the event loop's lag", async () => {
    const cookie = await api.signIn('school.admin@s01.pastoral.example');
    for (let i = 0; i < 3; i++) await api.graphql('query DashboardNow { dashboard { newAlerts } }', {}, cookie);
    await api.graphql('query Broken { nope }', {}, cookie);

    const response = await scrape(`Bearer ${TOKEN}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.body;
    expect(
      sample(text, 'pastoral_graphql_operation_duration_seconds_count{operation="DashboardNow",outcome="ok"}'),
    ).toBe(3);
    expect(sample(text, 'pastoral_graphql_operation_duration_seconds_count{operation="Broken",outcome="error"}')).toBe(
      1,
    );
    // The first look counted the figures; the two after it were served from the cache.
    expect(sample(text, 'pastoral_dashboard_cache_hits_total')).toBe(2);
    expect(sample(text, 'pastoral_dashboard_cache_misses_total')).toBe(1);
    expect(text).toMatch(/^pastoral_nodejs_eventloop_lag_seconds \d/m);
    expect(sample(text, 'pastoral_db_pool_connections_max')).toBeGreaterThanOrEqual(1);
  });
});

describe('metrics of a served API', () => {
  let app: Awaited<ReturnType<typeof buildServer>>;
  let metricsPort: number;
  let test: Awaited<ReturnType<ReturnType<typeof testEngines>[number]['createDatabase']>>;
  beforeAll(async () => {
    metricsPort = await freePort();
    test = await testEngines().at(-1)!.createDatabase();
    const config = loadConfig({
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      DATABASE_URL: test.url,
      METRICS_PORT: String(metricsPort),
    });
    const logger = createLogger(config);
    const metrics = createMetrics();
    app = await buildServer({ config, database: openDatabase(config, logger, 'serve', metrics), logger, metrics });
    await app.listen({ host: '127.0.0.1', port: 0 });
  });
  afterAll(async () => {
    await app?.close();
    await test?.drop();
  });

  it('serves /metrics on METRICS_PORT only, with every SQL statement counted, and not on the public port', async () => {
    await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json' },
      payload: '{"query":"{ __typename }"}',
    });
    await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(200);
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    // /readyz sent one statement: a select.
    expect(
      sample(text, 'pastoral_sql_statement_duration_seconds_count{kind="select",outcome="ok"}'),
    ).toBeGreaterThanOrEqual(1);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/other`)).status).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(404);
  });
});

describe('operation labels', () => {
  it(`keep at most ${MAX_OPERATION_LABELS} client-chosen names; the rest, and odd ones, count as "other"`, async () => {
    const metrics = createMetrics();
    for (let i = 0; i < MAX_OPERATION_LABELS + 50; i++) metrics.observeOperation(`Operation${i}`, 0.001, 'ok');
    metrics.observeOperation('not a name; drop table', 0.001, 'ok');
    metrics.observeOperation(null, 0.001, 'ok');
    const text = await metrics.render();
    const labels = new Set([...text.matchAll(/operation="([^"]+)"/g)].map((match) => match[1]));
    expect(labels.size).toBe(MAX_OPERATION_LABELS + 2);
    expect(labels).toContain('other');
    expect(labels).toContain('anonymous');
    expect(sample(text, 'pastoral_graphql_operation_duration_seconds_count{operation="other",outcome="ok"}')).toBe(51);
  });
});
