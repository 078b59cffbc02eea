/**
 * What a browser is told: CORS for a web app hosted on another origin, and the security headers (CSP,
 * nosniff, Referrer-Policy, no framing, Strict-Transport-Security behind a trusted proxy).
 */
import { testEngines } from '@pastoral/db/testing';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../config.ts';
import { createLogger } from '../../logger.ts';
import { buildServer } from '../../server.ts';
import { type ApiHarness, startApiHarness } from '../../testing/api-harness.ts';

const engine = testEngines()[0]!;

describe('a web app hosted on another origin', () => {
  it('may call with its cookie from an origin in CORS_ORIGINS, and from no other', async () => {
    const database = await engine.createDatabase();
    const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', CORS_ORIGINS: 'https://app.school.example' });
    const app = await buildServer({ config, database: database.handle, logger: createLogger(config) });
    try {
      const preflight = await app.inject({
        method: 'OPTIONS',
        url: '/graphql',
        headers: { origin: 'https://app.school.example', 'access-control-request-method': 'POST' },
      });
      expect(preflight.statusCode).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.school.example');
      expect(preflight.headers['access-control-allow-credentials']).toBe('true');
      const stranger = await app.inject({
        method: 'POST',
        url: '/graphql',
        headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
        payload: '{"query":"{ viewer { role } }"}',
      });
      expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await app.close();
      await database.drop();
    }
  });

  it('refuses a CORS_ORIGINS entry that is not an origin', () => {
    expect(() => loadConfig({ CORS_ORIGINS: 'app.school.example/path' })).toThrow(
      'CORS_ORIGINS: expected origins such as',
    );
  });
});

describe.each(testEngines())('security headers on $name', (engine) => {
  const HEADERS = {
    'content-security-policy':
      "default-src 'self';script-src 'self';style-src 'self';img-src 'self';font-src 'self';connect-src 'self';worker-src 'self';object-src 'none';base-uri 'self';form-action 'self';frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  };
  const pick = (headers: Record<string, unknown>, names: string[]) =>
    Object.fromEntries(names.map((name) => [name, headers[name]]));

  it('sends the CSP, nosniff, Referrer-Policy and no framing on every response', async () => {
    const api = await startApiHarness(engine, { seed: false, environment: { NODE_ENV: 'production' } });
    try {
      for (const request of [
        { url: '/healthz' },
        { url: '/graphql', method: 'POST' as const, payload: { query: '{ viewer { role } }' } },
        {
          url: '/graphql',
          method: 'POST' as const,
          payload: 'not json',
          headers: { 'content-type': 'application/json' },
        },
        { url: '/nowhere', headers: { accept: 'application/json' } },
      ]) {
        const response = await api.app.inject(request);
        expect({ url: request.url, ...pick(response.headers, Object.keys(HEADERS)) }).toEqual({
          url: request.url,
          ...HEADERS,
        });
      }
    } finally {
      await api.close();
    }
  });

  it('sends Strict-Transport-Security only for a request that came over TLS, as a trusted proxy says', async () => {
    const overTls = { 'x-forwarded-proto': 'https' };
    const trusting = await startApiHarness(engine, { seed: false, environment: { TRUST_PROXY: 'true' } });
    const untrusting = await startApiHarness(engine, { seed: false, environment: { TRUST_PROXY: 'false' } });
    try {
      const hsts = async (api: ApiHarness, headers: Record<string, string>) =>
        (await api.app.inject({ url: '/healthz', headers })).headers['strict-transport-security'];
      expect({
        trustedProxyOverTls: await hsts(trusting, overTls),
        trustedProxyPlainHttp: await hsts(trusting, { 'x-forwarded-proto': 'http' }),
        noProxyHeader: await hsts(trusting, {}),
        untrustedHeader: await hsts(untrusting, overTls),
      }).toEqual({
        trustedProxyOverTls: 'max-age=31536000; includeSubDomains',
        trustedProxyPlainHttp: undefined,
        noProxyHeader: undefined,
        untrustedHeader: undefined,
      });
    } finally {
      await trusting.close();
      await untrusting.close();
    }
  });
});
