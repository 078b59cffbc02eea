import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '@pastoral/db';
import { type TestDatabase, testEngines } from '@pastoral/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from './config.ts';
import { sessionCookieName } from './modules/auth/session.ts';
import { createLogger } from './logger.ts';
import { buildServer } from './server.ts';

const logger = createLogger({ logLevel: 'silent' });

for (const engine of testEngines()) {
  describe(`health endpoints on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('answers /healthz and /readyz with 200 while the database answers', async () => {
      const app = await buildServer({ config: loadConfig({ NODE_ENV: 'test' }), database: database.handle, logger });
      expect((await app.inject('/healthz')).json()).toEqual({ status: 'ok' });
      const ready = await app.inject('/readyz');
      expect(ready.statusCode).toBe(200);
      expect(ready.json()).toEqual({ status: 'ready', database: 'ok' });
      await app.close();
    });
  });
}

describe('health endpoints without a database', () => {
  it('keeps /healthz at 200 and turns /readyz to 503 with Retry-After', async () => {
    const unreachable = createDb('mysql://root@127.0.0.1:1/pastoral', { connectTimeoutMs: 500 });
    const app = await buildServer({ config: loadConfig({ NODE_ENV: 'test' }), database: unreachable, logger });
    expect((await app.inject('/healthz')).statusCode).toBe(200);
    const ready = await app.inject('/readyz');
    expect(ready.statusCode).toBe(503);
    expect(ready.headers['retry-after']).toBe('5');
    expect(ready.json()).toEqual({ status: 'unavailable', database: 'unreachable' });
    await app.close();
    await unreachable.destroy();
  });
});

describe('serving the web app', () => {
  let webRoot: string;
  beforeAll(() => {
    webRoot = mkdtempSync(join(tmpdir(), 'pastoral-web-'));
    mkdirSync(join(webRoot, 'assets'));
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Pastoral</title>');
    writeFileSync(join(webRoot, 'assets', 'app-1a2b3c.js'), 'console.log(1)');
  });
  afterAll(() => rmSync(webRoot, { recursive: true, force: true }));

  it('serves the shell for client routes, fingerprinted assets for a year, and JSON 404s to API clients', async () => {
    const database = createDb('file::memory:');
    const app = await buildServer({
      config: loadConfig({ NODE_ENV: 'test', WEB_DIST_DIR: webRoot }),
      database,
      logger,
    });
    const shell = await app.inject({ url: '/cases/123', headers: { accept: 'text/html' } });
    expect(shell.statusCode).toBe(200);
    expect(shell.body).toContain('<title>Pastoral</title>');
    expect(shell.headers['cache-control']).toBe('no-cache');

    const asset = await app.inject('/assets/app-1a2b3c.js');
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');

    const missing = await app.inject({ url: '/nope', headers: { accept: 'application/json' } });
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toEqual({ error: 'Not Found', message: 'No route for GET /nope' });
    await app.close();
    await database.destroy();
  });

  it('sends the page whose static shell fits: the sign-in page without a session cookie, the header with one', async () => {
    for (const page of ['dashboard', 'signed-in']) {
      writeFileSync(join(webRoot, `${page}.html`), `<!doctype html><title>Pastoral</title><p>${page}</p>`);
    }
    const database = createDb('file::memory:');
    const app = await buildServer({
      config: loadConfig({ NODE_ENV: 'test', WEB_DIST_DIR: webRoot }),
      database,
      logger,
    });
    const cookie = `theme=dark; ${sessionCookieName({ env: 'test' })}=anything`;
    const pageFor = async (url: string, headers: Record<string, string>) => {
      const response = await app.inject({ url, headers: { accept: 'text/html', ...headers } });
      return { url, status: response.statusCode, page: /<p>(.+)<\/p>/.exec(response.body)?.[1] ?? 'index' };
    };
    expect(
      await Promise.all([
        pageFor('/', {}),
        pageFor('/cases/1', {}),
        pageFor('/', { cookie: 'theme=dark' }),
        pageFor('/', { cookie }),
        pageFor('/?tab=1', { cookie }),
        pageFor('/cases/1', { cookie }),
      ]),
    ).toEqual([
      { url: '/', status: 200, page: 'index' },
      { url: '/cases/1', status: 200, page: 'index' },
      { url: '/', status: 200, page: 'index' },
      { url: '/', status: 200, page: 'dashboard' },
      { url: '/?tab=1', status: 200, page: 'dashboard' },
      { url: '/cases/1', status: 200, page: 'signed-in' },
    ]);
    const response = await app.inject({ url: '/', headers: { accept: 'text/html', cookie } });
    expect(response.headers.vary).toContain('Cookie');
    await app.close();
    await database.destroy();
  });
});

describe.each(testEngines())('the GraphQL playground on $name', (engine) => {
  let webRoot: string;
  let database: TestDatabase;
  const MARK = 'GraphiQL, bundled';
  /** The built playground's files, as apps/web's build lays them out. */
  const PLAYGROUND_FILES = [
    '/playground/playground.html',
    '/playground/assets/playground-1a2b3c.js',
    '/playground/assets/editor.worker-4d5e6f.js',
    '/playground/assets/playground-7a8b9c.css',
  ];
  beforeAll(async () => {
    database = await engine.createDatabase();
    webRoot = mkdtempSync(join(tmpdir(), 'pastoral-web-'));
    mkdirSync(join(webRoot, 'assets'));
    mkdirSync(join(webRoot, 'playground', 'assets'), { recursive: true });
    writeFileSync(join(webRoot, 'index.html'), '<!doctype html><title>Pastoral</title>');
    for (const file of PLAYGROUND_FILES) writeFileSync(join(webRoot, file), `/* ${MARK} */`);
  });
  afterAll(async () => {
    rmSync(webRoot, { recursive: true, force: true });
    await database.drop();
  });

  const serve = (environment: Record<string, string>) =>
    buildServer({
      config: loadConfig({ LOG_LEVEL: 'silent', WEB_DIST_DIR: webRoot, ...environment }),
      database: database.handle,
      logger,
    });
  const PATHS = ['/graphql', '/graphiql', '/playground.html', '/playground/', ...PLAYGROUND_FILES];

  it('serves no part of GraphiQL on any path when the playground is off, as in production', async () => {
    const off: Record<string, string>[] = [
      { NODE_ENV: 'production' },
      { NODE_ENV: 'development', PLAYGROUND: 'false' },
    ];
    for (const environment of off) {
      const app = await serve(environment);
      for (const url of PATHS) {
        for (const accept of ['text/html', '*/*']) {
          const response = await app.inject({ url, headers: { accept } });
          expect({ url, accept, served: response.body.includes(MARK) }).toEqual({ url, accept, served: false });
        }
      }
      // Its files are simply not there: a browser is given the app, a program a 404.
      expect((await app.inject({ url: PLAYGROUND_FILES[1]!, headers: { accept: '*/*' } })).statusCode).toBe(404);
      await app.close();
    }
  });

  it('serves it at /graphql and /graphiql to a browser, with its files, when it is on', async () => {
    const app = await serve({ NODE_ENV: 'production', PLAYGROUND: 'true' });
    for (const url of ['/graphql', '/graphiql', ...PLAYGROUND_FILES]) {
      const response = await app.inject({ url, headers: { accept: 'text/html' } });
      expect({ url, status: response.statusCode, served: response.body.includes(MARK) }).toEqual({
        url,
        status: 200,
        served: true,
      });
    }
    // Its page alone may have inline styles (its editor writes them) and data: fonts; the app's may not.
    const policyOf = async (url: string) =>
      String((await app.inject({ url, headers: { accept: 'text/html' } })).headers['content-security-policy']);
    for (const url of ['/graphql', '/graphiql']) {
      expect(await policyOf(url)).toContain(
        "script-src 'self';style-src 'self' 'unsafe-inline';img-src 'self';font-src 'self' data:;",
      );
    }
    expect(await policyOf('/cases/1')).toContain("script-src 'self';style-src 'self';img-src 'self';font-src 'self';");
    await app.close();
  });
});
