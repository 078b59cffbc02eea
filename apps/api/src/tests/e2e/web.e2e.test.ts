/**
 * The web app in real headless Chromium (Debian's chromium, driven by playwright-core), against the API on fresh
 * demo data: sign-in, the dashboard, triage in the alerts inbox, paging with "Load more", sign-out, a user's own
 * sessions, and what a teacher would notice (no serious accessibility violation, no horizontal scrolling at
 * 360 px, no request leaving this machine). Screenshots for the README are taken on the way.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { toGlobalId } from '../../graphql/relay.ts';
import { archiveOlderThan } from '../../modules/audit-log/audit.maintenance.ts';
import { available, SCREENSHOTS, SCREENSHOTS_DRAFTS, useWebApp } from '../../testing/web-app.ts';

describe.runIf(available)('the web app in Chromium', () => {
  const web = useWebApp();

  it('signs a form master in to their dashboard, and out again', async () => {
    const page = await web.newPage();
    await page.goto(web.origin);
    expect(await web.seriousViolations(page)).toEqual([]);
    await page.getByLabel('E-mail address').fill('form.master@s01.pastoral.example');
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByRole('alert').textContent()).resolves.toContain(
      'The e-mail address or password is not right',
    );

    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.getByRole('heading', { name: 'Students by risk level' }).waitFor();
    expect(await page.getByText('new alerts').count()).toBe(1);
    expect(await web.seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}dashboard.png`, fullPage: true });

    await page.getByRole('link', { name: /overdue reviews/ }).click();
    await page.getByRole('button', { name: 'Overdue reviews', pressed: true }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Pastoral' }).waitFor();
    await page.close();
  });

  it('sends its operations as persisted-query hashes, with their text only when the server asks', async () => {
    const page = await web.newPage();
    const bodies: {
      operationName?: string;
      query?: string;
      extensions?: { persistedQuery?: { sha256Hash?: string } };
    }[] = [];
    page.on('request', (request) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname === '/graphql') {
        bodies.push(JSON.parse(request.postData() ?? '{}'));
      }
    });
    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.getByRole('heading', { name: 'Students by risk level' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { name: 'Students by risk level' }).waitFor();
    expect(bodies.length).toBeGreaterThan(0);
    expect(bodies.every((body) => /^[0-9a-f]{64}$/.test(body.extensions?.persistedQuery?.sha256Hash ?? ''))).toBe(true);
    // After the reload the dashboard went as its hash alone: the server knew it from the first visit.
    const dashboards = bodies.filter((body) => body.operationName === 'DashboardPageQuery');
    expect(dashboards.at(-1)?.query).toBeUndefined();
    await page.close();
  });

  it('triages alerts: acknowledges one, escalates one into a case, and pages with Load more', async () => {
    const page = await web.newPage();
    await web.signIn(page, 'pastoral.lead@s01.pastoral.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    await page.getByRole('heading', { name: 'Alerts' }).waitFor();
    const cards = page.locator('.card');
    await cards.first().waitFor();
    expect(await cards.count()).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => cards.count()).toBe(50);

    await cards.first().getByRole('button', { name: 'Escalate to a case' }).click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toMatch(/^Case opened: /);
    const acknowledgeable = page.getByRole('button', { name: 'Acknowledge', exact: true }).first();
    await acknowledgeable.click();
    await expect.poll(() => page.getByRole('status').first().textContent()).toBe('1 alert acknowledged.');
    expect(await web.seriousViolations(page)).toEqual([]);

    // A pastoral lead gives the new case to a colleague.
    await page.getByRole('link', { name: 'Go to the new case' }).click();
    const owner = page.getByLabel('Give the case to');
    const current = await owner.inputValue();
    const other = owner.locator(`option:not([value="${current}"])`).first();
    await owner.selectOption((await other.getAttribute('value'))!);
    const colleague = (await other.textContent())!.replace(/ \(.*\)$/, '');
    await page.getByRole('button', { name: 'Reassign' }).click();
    await page.locator('li', { hasText: `Reassigned to ${colleague}` }).waitFor();
    await page.close();
  });

  it('lets a form master escalate an alert into a case, add a note and close it with an outcome', async () => {
    const page = await web.newPage();
    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Alerts' }).click();
    // Their closed alerts run to several pages.
    await page.getByRole('button', { name: 'Closed' }).click();
    await expect.poll(() => page.locator('.card').count()).toBe(25);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => page.locator('.card').count()).toBeGreaterThan(25);
    await page.getByRole('button', { name: 'Waiting for me' }).click();
    await page.locator('.card').first().getByRole('button', { name: 'Escalate to a case' }).waitFor();
    await page.locator('.card').first().getByRole('button', { name: 'Escalate to a case' }).click();
    await page.getByRole('link', { name: 'Go to the new case' }).click();
    await page.getByRole('heading', { name: 'Did it work?' }).waitFor();

    const review = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
    await page.getByLabel('Review on').fill(review);
    await page.getByRole('button', { name: 'Set review date' }).click();
    await page.locator('li', { hasText: 'Updated: next_review_at' }).waitFor();

    await page.getByLabel('Add a note').fill('Phoned home: agreed a morning check-in.');
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.locator('li', { hasText: 'Phoned home: agreed a morning check-in.' }).waitFor();
    for (const step of ['Move to in progress', 'Move to monitoring']) {
      await page.getByRole('button', { name: step }).click();
      await page.getByText(new RegExp(`→ ${step.replace('Move to ', '')}`, 'i')).waitFor();
    }
    await page.getByLabel('Outcome').selectOption('IMPROVED');
    await page.getByRole('button', { name: 'Move to closed' }).click();
    await page.getByRole('button', { name: 'Reopen' }).waitFor();
    // The status comes back with the mutation; the timeline entry that names the outcome may arrive a moment later.
    await expect.poll(() => page.getByText('outcome improved').count()).toBe(1);
    expect(await web.seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: `${SCREENSHOTS}case.png`, fullPage: true });
    await page.close();
  });

  it("answers a form master who opens another school's student by address with 'not found'", async () => {
    const other = await web.api.database.handle.db
      .selectFrom('students')
      .select('id')
      .where('school_id', '=', 2)
      .executeTakeFirstOrThrow();
    const page = await web.newPage();
    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.goto(`${web.origin}/students/${toGlobalId('Student', { schoolId: 2, id: other.id })}`);
    await page.getByText('Not found: no student at this address, or not one you can see.').waitFor();
    await page.close();
  });

  it("shows a school admin a student's reads by integrators, archived ones included, and hides them from a form master", async () => {
    const { db } = web.api.database.handle;
    const disclosed = await db
      .selectFrom('audit_log')
      .innerJoin('students', 'students.id', 'audit_log.student_id')
      .select(['students.id', 'students.classroom_id', (eb) => eb.fn.countAll<number>().as('reads')])
      .where('audit_log.action', '=', 'student.disclosed')
      .where('students.school_id', '=', 1)
      .groupBy(['students.id', 'students.classroom_id'])
      .orderBy('reads', 'desc')
      .orderBy('students.id')
      .executeTakeFirstOrThrow();
    // An integrator reads the student eight times more, so that the list runs past its first page.
    const admin = await web.api.signIn('school.admin@s01.pastoral.example');
    const created = await web.api.graphql<{ createApiToken: { token: string } }>(
      'mutation { createApiToken(input: { name: "Analytics", scopes: [STUDENTS_READ] }) { token } }',
      {},
      admin,
    );
    const studentId = toGlobalId('Student', { schoolId: 1, id: disclosed.id });
    for (let read = 0; read < 8; read++) {
      await web.api.graphqlWithToken(
        'query ($id: ID!) { node(id: $id) { id } }',
        { id: studentId },
        created.body.data!.createApiToken.token,
      );
    }
    const reads = Number(disclosed.reads) + 8;
    expect(reads).toBeGreaterThan(10);
    // Half of them to the archive: the page must show them all the same.
    const archivedBefore = await db
      .selectFrom('audit_log')
      .select('occurred_at')
      .where('student_id', '=', disclosed.id)
      .where('action', '=', 'student.disclosed')
      .orderBy('occurred_at')
      .offset(Math.floor(reads / 2))
      .limit(1)
      .executeTakeFirstOrThrow();
    await archiveOlderThan(db, new Date(`${archivedBefore.occurred_at.replace(' ', 'T')}Z`), {
      batchSize: 1_000,
      now: new Date(),
    });

    const page = await web.newPage();
    await web.signIn(page, 'school.admin@s01.pastoral.example');
    await page.goto(`${web.origin}/students/${studentId}`);
    const panel = page.getByRole('region', { name: 'Shared with integrators' });
    await panel.getByText(`${reads} reads in all`).waitFor();
    const list = panel.getByRole('list', { name: "Reads of this student's data by integrators" });
    expect(await list.getByRole('listitem').count()).toBe(10);
    await panel.getByRole('button', { name: 'Load more' }).click();
    await list
      .getByRole('listitem')
      .nth(Math.min(reads, 20) - 1)
      .waitFor();
    expect(await list.getByRole('listitem').count()).toBe(Math.min(reads, 20));
    expect(await web.seriousViolations(page)).toEqual([]);
    await page.close();

    const formMaster = await web.newPage();
    await web.signIn(formMaster, 'form.master@s01.pastoral.example');
    await formMaster.goto(await web.formMastersStudentPage('asc'));
    await formMaster.getByRole('heading', { name: 'Alerts and cases' }).waitFor();
    expect(await formMaster.getByRole('heading', { name: 'Shared with integrators' }).count()).toBe(0);
    await formMaster.close();
  });

  it("shows a school admin who on the staff viewed a student's record, and not the form master", async () => {
    const { db } = web.api.database.handle;
    // Another of the form master's students than the test above opens.
    const studentPage = await web.formMastersStudentPage('desc');
    const formMaster = await web.newPage();
    await web.signIn(formMaster, 'form.master@s01.pastoral.example');
    await formMaster.goto(studentPage);
    await formMaster.getByRole('heading', { name: 'Alerts and cases' }).waitFor();
    expect(await formMaster.getByRole('heading', { name: 'Viewed by' }).count()).toBe(0);
    const formMasterName = await db
      .selectFrom('users')
      .select('full_name')
      .where('email', '=', 'form.master@s01.pastoral.example')
      .executeTakeFirstOrThrow();
    await formMaster.close();

    const page = await web.newPage();
    await web.signIn(page, 'school.admin@s01.pastoral.example');
    await page.goto(studentPage);
    const panel = page.getByRole('region', { name: 'Viewed by' });
    const list = panel.getByRole('list', { name: "Staff who viewed this student's record" });
    const formMasterLine = list.getByRole('listitem').filter({ hasText: `${formMasterName.full_name} (form master)` });
    await formMasterLine.first().waitFor();
    // Once, though the form master's page read the student through several fields and queries.
    expect(await formMasterLine.allTextContents()).toHaveLength(1);
    expect(await web.seriousViolations(page)).toEqual([]);
    await panel.screenshot({ path: `${SCREENSHOTS_DRAFTS}viewed-by.png` });
    await page.close();
  });

  it('lets a school admin create an API token, shown once, and revoke it', async () => {
    const page = await web.newPage();
    await web.signIn(page, 'school.admin@s01.pastoral.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin' }).click();
    await page.getByLabel('What the token is for').fill('Timetabling sync');
    await page.getByLabel('attendance:write').check();
    await page.getByRole('button', { name: 'Create token' }).click();
    const secret = await page.locator('.secret code').textContent();
    expect(secret).toMatch(/^pst_[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'Revoke Timetabling sync' }).click();
    await page.locator('li', { hasText: 'Timetabling sync' }).getByText('revoked').waitFor();
    expect(await web.seriousViolations(page)).toEqual([]);
    await page.close();
  });

  it("lists a user's sessions, signs another browser out, whose cookie is refused, and then every other one", async () => {
    const email = 'district.admin@pastoral.example';
    const cookieOf = async (page: Page) => {
      const [session] = await page.context().cookies(web.origin);
      return `${session!.name}=${session!.value}`;
    };
    const signedIn = async (cookie: string) =>
      (await web.api.graphql<{ viewer: unknown }>('{ viewer { role } }', {}, cookie)).body.data?.viewer != null;
    // Two browsers signed in as one user: a laptop left signed in, and the one in hand.
    const laptop = await web.newPage();
    await web.signIn(laptop, email);
    const laptopCookie = await cookieOf(laptop);
    const page = await web.newPage();
    await web.signIn(page, email);
    await page.getByRole('link', { name: 'Your sessions' }).click();
    await page.getByRole('heading', { name: 'Your sessions' }).waitFor();
    const sessions = page.getByRole('list', { name: 'Sessions' }).getByRole('listitem');
    await expect.poll(() => sessions.count()).toBe(2);
    expect(await sessions.first().textContent()).toMatch(/^Headless Chrome on Linux This session/);
    expect(await web.seriousViolations(page)).toEqual([]);
    // Not among the README's: the times it shows would change it at every run.
    await page.screenshot({ path: join(tmpdir(), 'pastoral-sessions.png'), fullPage: true });

    await sessions
      .nth(1)
      .getByRole('button', { name: /^Sign out Headless Chrome on Linux, signed in / })
      .click();
    await page
      .getByRole('status')
      .filter({ hasText: /^Signed out Headless Chrome on Linux/ })
      .waitFor();
    await expect.poll(() => sessions.count()).toBe(1);
    // The laptop's cookie is refused from its next request: it is asked to sign in again.
    expect(await signedIn(laptopCookie)).toBe(false);
    await laptop.reload();
    await laptop.getByRole('heading', { name: 'Sign in to Pastoral' }).waitFor();

    // Two more browsers, then "everywhere else": only this one is left.
    const phones = [await web.newPage(), await web.newPage()];
    for (const phone of phones) await web.signIn(phone, email);
    const phoneCookies = await Promise.all(phones.map(cookieOf));
    await page.reload();
    // The app loads again first (its scripts come after the page's first paint): the list is there, then counted.
    await sessions.first().waitFor();
    await expect.poll(() => sessions.count()).toBe(3);
    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByRole('status').filter({ hasText: 'Signed out 2 other sessions: only this one is left.' }).waitFor();
    await expect.poll(() => sessions.count()).toBe(1);
    for (const cookie of phoneCookies) expect(await signedIn(cookie)).toBe(false);
    expect(await signedIn(await cookieOf(page))).toBe(true);
    for (const opened of [laptop, page, ...phones]) await opened.close();
  });

  it('asks for the password again when the session ends, keeping the note being written', async () => {
    const page = await web.newPage();
    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Cases' }).click();
    await page.locator('.card a').first().click();
    await page.getByLabel('Add a note').fill('Written before the session ended.');
    // The session ends while the note is being written: signed out from another tab.
    const [session] = await page.context().cookies(web.origin);
    const signedOut = await web.api.graphql(
      'mutation { signOut { signedOut } }',
      {},
      `${session!.name}=${session!.value}`,
    );
    expect(signedOut.body).toEqual({ data: { signOut: { signedOut: true } } });
    await page.getByRole('button', { name: 'Save note' }).click();
    const dialog = page.getByRole('dialog', { name: 'Your session has ended' });
    await dialog.waitFor();
    await dialog.getByLabel('E-mail address').fill('form.master@s01.pastoral.example');
    await dialog.getByLabel('Password').fill('pastoral-demo');
    await dialog.getByRole('button', { name: 'Sign in' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(await page.getByLabel('Add a note').inputValue()).toBe('Written before the session ended.');
    await page.getByRole('button', { name: 'Save note' }).click();
    await page.locator('li', { hasText: 'Written before the session ended.' }).waitFor();
    await page.close();
  });

  it('serves the bundled GraphQL playground at /graphql to a browser, running queries with the session', async () => {
    const page = await web.newPage();
    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.goto(`${web.origin}/graphql`);
    await page.locator('.graphiql-container').waitFor();
    // The editor loads its default query a moment after the page: run it once it is there.
    await page.locator('.graphiql-query-editor', { hasText: 'viewer' }).waitFor();
    await page.getByRole('button', { name: /Execute query/ }).click();
    await expect
      .poll(() => page.locator('.graphiql-response').textContent(), { timeout: 15_000 })
      .toContain('FORM_MASTER');
    await page.close();
  });

  it('fits a 360 px phone screen without scrolling sideways', async () => {
    const page = await web.newPage(360);
    await web.signIn(page, 'form.master@s01.pastoral.example');
    await page.getByRole('heading', { name: 'Students by risk level' }).waitFor();
    const overflow = () => page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.getByRole('link', { name: 'Your sessions' }).click();
    await page.getByRole('button', { name: 'Sign out everywhere else' }).waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await page.close();
  });

  it('sent no request beyond this machine', () => {
    expect(web.foreignRequests).toEqual([]);
  });

  it('broke no rule of the Content-Security-Policy on any page, the playground included', () => {
    expect(web.policyViolations).toEqual([]);
  });
});
