/**
 * What the browser paints from the HTML alone, before the app's scripts have arrived and run: on a slow phone
 * that is a second or more earlier than the app's own first render. The web build writes one page per shell
 * (apps/web/vite.config.ts) and the API sends the one that fits the request (apps/api/src/server/web-app.ts):
 * the sign-in page to a browser without a session cookie, the dashboard's header and heading to one with it at
 * `/`, the header alone to one with it anywhere else. The app paints over the shell only when it has the page
 * itself to show (App.tsx), so the shell never gives way to a loading message; each shell is the app's own
 * markup for that page, as the tests check (static-shells.test.tsx), so nothing moves when it does.
 */

/** The element that holds the shell, beside the app's #root. */
export const STATIC_SHELL_ID = 'static-shell';

/** Pastoral's mark, as App.tsx's Mark renders it. */
const mark =
  '<svg class="site-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false"><rect width="32" height="32" rx="7"></rect><path d="M8 21c3-7 13-7 16 0"></path><circle cx="16" cy="11" r="3.5"></circle></svg>';

/** The dashboard's heading, the largest text of its page: painted from the HTML, it is the page's largest paint. */
export const DASHBOARD_HEADING = 'Your day at a glance';

export const signInShell = `<main class="sign-in-page">${mark}<h1>Sign in to Pastoral</h1></main>`;

/**
 * The header every signed-in page has, with the link to the page at `current` marked as NavLink marks it. The
 * line with the user's name and sign-out is there but not painted (nor read out): it holds the height it will
 * have when the app fills it in, so that the heading below is already where it will stay.
 */
function signedInPage(current: string | null, content: string): string {
  const links = [
    ['/', 'Dashboard'],
    ['/alerts', 'Alerts'],
    ['/cases', 'Cases'],
    ['/students', 'Students'],
  ]
    .map(([href, label]) =>
      href === current
        ? `<a aria-current="page" class="active" href="${href}">${label}</a>`
        : `<a href="${href}">${label}</a>`,
    )
    .join('');
  return (
    `<div class="page"><header class="site-header">${mark}<p class="site-name">Pastoral</p>` +
    `<nav aria-label="Main">${links}</nav><p class="who static-shell-placeholder">&nbsp;<a href="/sessions">Your sessions</a>` +
    `<button class="link">Sign out</button></p></header>` +
    `<main class="content">${content}</main></div>`
  );
}

export const dashboardShell = signedInPage('/', `<h1>${DASHBOARD_HEADING}</h1>`);

export const signedInShell = signedInPage(null, '');

/** The web build's pages, by file name, each with its shell. */
export const SHELL_PAGES = {
  'index.html': signInShell,
  'dashboard.html': dashboardShell,
  'signed-in.html': signedInShell,
} as const;
