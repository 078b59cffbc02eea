/**
 * The web app served by the API on fresh demo data, and a headless Chromium to drive it (Debian's chromium,
 * through playwright-core), for the end-to-end tests (tests/e2e/): each page opened records any request that
 * leaves this machine and any breach of the Content-Security-Policy, and has axe-core at hand.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { testEngines } from '@pastoral/db/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { toGlobalId } from '../graphql/relay.ts';
import { schoolKeyOf } from '../school-scope.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));
/**
 * The README's screenshots are refreshed only on request (`pnpm screenshots` sets SCREENSHOTS_DIR to
 * docs/screenshots); an ordinary test run writes them to the system's temporary folder, leaving the tree clean.
 */
export const SCREENSHOTS = `${resolve(process.env.SCREENSHOTS_DIR ?? join(tmpdir(), 'pastoral-screenshots'))}/`;
/** Shots of screens for a person to look at, not for the README: left in the system's temporary folder. */
export const SCREENSHOTS_DRAFTS = `${tmpdir()}/pastoral-screens-`;
// CI installs Chromium and builds the app first; on a machine without them the suite says so instead of failing.
export const available = existsSync(CHROMIUM) && existsSync(`${WEB_DIST}/index.html`);
if (process.env.CI === 'true' && !available) throw new Error(`CI needs ${CHROMIUM} and a built web app (${WEB_DIST})`);

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * Starts the API and Chromium before the tests of the calling suite and stops them after: call it inside the
 * suite's describe. `api` and `origin` are read once the suite has started.
 */
export function useWebApp() {
  let api: ApiHarness;
  let browser: Browser;
  let origin: string;
  const foreignRequests: string[] = [];
  /** What broke the Content-Security-Policy, on any page: the class of fault stays caught as pages change. */
  const policyViolations: string[] = [];

  beforeAll(async () => {
    mkdirSync(SCREENSHOTS, { recursive: true });
    api = await startApiHarness(testEngines()[0]!, { environment: { WEB_DIST_DIR: WEB_DIST } });
    await api.app.listen({ host: '127.0.0.1', port: 0 });
    const address = api.app.server.address();
    if (!address || typeof address === 'string') throw new Error('no address');
    origin = `http://127.0.0.1:${address.port}`;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await api?.close();
  });

  async function newPage(width = 1280): Promise<Page> {
    const page = await browser.newPage({ viewport: { width, height: 900 } });
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.protocol.startsWith('http') && url.hostname !== '127.0.0.1') foreignRequests.push(request.url());
    });
    // Chromium reports each violation in the console; the event says which directive, to name in a failure.
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
        policyViolations.push(`${page.url()}: ${message.text().slice(0, 300)}`);
      }
    });
    await page.addInitScript(
      `document.addEventListener('securitypolicyviolation', (event) => console.error('Content Security Policy violated: ' + event.effectiveDirective + ' ' + event.blockedURI + ' ' + event.sourceFile + ':' + event.lineNumber))`,
    );
    return page;
  }

  async function signIn(page: Page, email: string) {
    await page.goto(origin);
    await page.getByLabel('E-mail address').fill(email);
    await page.getByLabel('Password').fill('pastoral-demo');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
  }

  /** The page of a student of the demo form master's classroom: the first by id, or the last. */
  async function formMastersStudentPage(order: 'asc' | 'desc'): Promise<string> {
    const own = await api.database.handle.db
      .selectFrom('students')
      .innerJoin('classroom_assignments', 'classroom_assignments.classroom_id', 'students.classroom_id')
      .innerJoin('users', 'users.id', 'classroom_assignments.user_id')
      .select(['students.id', 'students.school_id'])
      .where('users.email', '=', 'form.master@s01.pastoral.example')
      .orderBy('students.id', order)
      .executeTakeFirstOrThrow();
    return `${origin}/students/${toGlobalId('Student', schoolKeyOf(own))}`;
  }

  async function seriousViolations(page: Page): Promise<string[]> {
    // Evaluated through the browser's DevTools protocol, which the page's CSP does not govern: a <script> tag of
    // inline axe would be refused, as any inline script is.
    await page.evaluate(axeSource);
    // A string, evaluated in the page: this file is compiled without the DOM's types.
    return page.evaluate<string[]>(
      `axe.run().then((result) => result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => v.id))`,
    );
  }

  return {
    get api() {
      return api;
    },
    get origin() {
      return origin;
    },
    foreignRequests,
    policyViolations,
    newPage,
    signIn,
    formMastersStudentPage,
    seriousViolations,
  };
}
