/**
 * A first visit to the web app in Chromium, as issue 21 sets its bounds: each page paints its static shell from
 * the HTML before any script runs, the app then takes its place without moving anything (no layout shift), and
 * the visit transfers under 200 kB with none of GraphiQL. Lighthouse's timings are in `pnpm lighthouse`; these are
 * the exact properties behind them.
 */
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { available, SCREENSHOTS_DRAFTS, useWebApp } from '../../testing/web-app.ts';

const FORM_MASTER = 'form.master@s01.pastoral.example';
/** Issue 21's bound on what a first visit transfers. */
const FIRST_VISIT_BYTES = 200_000;

describe.runIf(available)('the web app’s first load in Chromium', () => {
  const web = useWebApp();

  /** The session cookie of a fresh sign-in, for a page that has not been signed in itself. */
  async function sessionCookie(): Promise<{ name: string; value: string; url: string }> {
    const page = await web.newPage();
    await web.signIn(page, FORM_MASTER);
    const [cookie] = await page.context().cookies();
    await page.close();
    return { name: cookie!.name, value: cookie!.value, url: web.origin };
  }

  /**
   * The names of the GraphQL operations and fragments whose documents a script holds, as the build writes them
   * (`kind:"OperationDefinition",operation:"query",name:{kind:"Name",value:"ViewerQuery"}`, in any quotes).
   */
  const documentNames = (script: string) =>
    Array.from(
      script.matchAll(
        /kind:\s*["'`](?:OperationDefinition|FragmentDefinition)["'`][^{}]*?name:\s*\{\s*kind:\s*["'`]Name["'`],\s*value:\s*["'`](\w+)["'`]/g,
      ),
      (match) => match[1]!,
    );

  /** The layout shifts a page has had, summed as the browser scores them (CLS). */
  const layoutShift = (page: Page) =>
    page.evaluate<number>(`new Promise((resolve) => {
      let total = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) if (!entry.hadRecentInput) total += entry.value;
      }).observe({ type: 'layout-shift', buffered: true });
      setTimeout(() => resolve(total), 100);
    })`);

  it('paints the sign-in page and the dashboard’s header and heading with no script run', async () => {
    const cookie = await sessionCookie();
    for (const signedIn of [false, true]) {
      const page = await web.newPage(360);
      if (signedIn) await page.context().addCookies([cookie]);
      await page.route('**/*.js', (route) => route.abort());
      await page.goto(web.origin);
      const heading = signedIn ? 'Your day at a glance' : 'Sign in to Pastoral';
      expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe(heading);
      if (signedIn) {
        const links = page.getByRole('navigation', { name: 'Main' }).getByRole('link');
        expect(await links.allTextContents()).toEqual(['Dashboard', 'Alerts', 'Cases', 'Students']);
      }
      await page.screenshot({ path: `${SCREENSHOTS_DRAFTS}shell-${signedIn ? 'dashboard' : 'sign-in'}.png` });
      await page.close();
    }
  });

  it('puts the app in the shell’s place without moving the heading or shifting the layout', async () => {
    const cookie = await sessionCookie();
    const headingBox = async (page: Page) => {
      const box = await page.getByRole('heading', { level: 1 }).boundingBox();
      return box && { x: box.x, y: box.y, height: box.height };
    };
    for (const width of [360, 1280]) {
      for (const signedIn of [false, true]) {
        const shell = await web.newPage(width);
        if (signedIn) await shell.context().addCookies([cookie]);
        await shell.route('**/*.js', (route) => route.abort());
        await shell.goto(web.origin);
        const painted = await headingBox(shell);
        await shell.close();

        const page = await web.newPage(width);
        if (signedIn) await page.context().addCookies([cookie]);
        await page.goto(web.origin);
        await (
          signedIn ? page.getByRole('heading', { name: 'Students by risk level' }) : page.getByLabel('E-mail address')
        ).waitFor();
        expect(await page.locator('#static-shell').count()).toBe(0);
        expect({ width, signedIn, heading: await headingBox(page), shift: await layoutShift(page) }).toEqual({
          width,
          signedIn,
          heading: painted,
          shift: 0,
        });
        await page.screenshot({
          path: `${SCREENSHOTS_DRAFTS}loaded-${signedIn ? 'dashboard' : 'sign-in'}-${width}.png`,
        });
        await page.close();
      }
    }
  });

  it('brings the GraphQL documents of the sign-in page and the dashboard, and no other page’s', async () => {
    const cookie = await sessionCookie();
    for (const signedIn of [false, true]) {
      const page = await web.newPage();
      if (signedIn) await page.context().addCookies([cookie]);
      const scripts: Promise<string>[] = [];
      page.on('response', (response) => {
        if (new URL(response.url()).pathname.endsWith('.js')) scripts.push(response.text());
      });
      await page.goto(web.origin);
      await (
        signedIn ? page.getByRole('heading', { name: 'Students by risk level' }) : page.getByLabel('E-mail address')
      ).waitFor();
      await page.waitForLoadState('networkidle');
      const names = (await Promise.all(scripts)).flatMap(documentNames);
      // Codegen's map of every document (src/gql/gql.ts) came whole with the first load: the build now puts each
      // document in the chunk of the page that uses it (apps/web/vite-graphql-documents.ts).
      expect({ signedIn, names: [...new Set(names)].sort() }).toEqual({
        signedIn,
        names: [
          'DashboardPageQuery',
          'NewlyAtRiskPanel_DashboardFragment',
          'RiskLevelBars_DashboardFragment',
          'SignInMutation',
          'SignOutMutation',
          'TodayFigures_DashboardFragment',
          'ViewerQuery',
        ],
      });
      await page.close();
    }
  });

  it('requests all of the app’s scripts at once, though it evaluates them in steps', async () => {
    const page = await web.newPage();
    const events: string[] = [];
    const script = (url: string) => (new URL(url).pathname.endsWith('.js') ? new URL(url).pathname : null);
    page.on('request', (request) => events.push(`request ${script(request.url())}`));
    page.on('response', (response) => events.push(`response ${script(response.url())}`));
    await page.goto(web.origin);
    await page.getByLabel('E-mail address').waitFor();
    await page.waitForLoadState('networkidle');
    const scripts = events.filter((event) => !event.endsWith(' null'));
    // boot.ts comes with the HTML; it asks for every other script before any of them has arrived, so evaluating
    // React first and the rest in a later task (boot.ts) waits for no second round trip.
    const [bootRequest, bootResponse, ...rest] = scripts;
    expect([bootRequest, bootResponse]).toEqual([
      expect.stringMatching(/^request /),
      expect.stringMatching(/^response /),
    ]);
    const requested = rest.filter((event) => event.startsWith('request '));
    expect(requested.length).toBeGreaterThanOrEqual(4);
    expect(rest.slice(0, requested.length)).toEqual(requested);
    await page.close();
  });

  it('transfers under 200 kB on a first visit, brotli-compressed, and nothing of GraphiQL', async () => {
    const cookie = await sessionCookie();
    for (const signedIn of [false, true]) {
      const page = await web.newPage();
      if (signedIn) await page.context().addCookies([cookie]);
      const requests: Promise<{ url: string; encoding: string | undefined; bytes: number }>[] = [];
      page.on('requestfinished', (request) => {
        requests.push(
          Promise.all([request.sizes(), request.response()]).then(([sizes, response]) => ({
            url: new URL(request.url()).pathname,
            encoding: response?.headers()['content-encoding'],
            bytes: sizes.responseHeadersSize + sizes.responseBodySize,
          })),
        );
      });
      await page.goto(web.origin, { waitUntil: 'networkidle' });
      await (
        signedIn ? page.getByRole('heading', { name: 'Students by risk level' }) : page.getByLabel('E-mail address')
      ).waitFor();
      await page.waitForLoadState('networkidle');
      const finished = await Promise.all(requests);
      const total = finished.reduce((sum, request) => sum + request.bytes, 0);
      expect({ signedIn, underBound: total < FIRST_VISIT_BYTES, total }).toMatchObject({ signedIn, underBound: true });
      expect(finished.filter((request) => /playground|graphiql|monaco/i.test(request.url))).toEqual([]);
      const scripts = finished.filter((request) => request.url.endsWith('.js'));
      expect(scripts.length).toBeGreaterThan(0);
      expect(scripts.filter((script) => script.encoding !== 'br').map((script) => script.url)).toEqual([]);
      await page.close();
    }
  });
});
