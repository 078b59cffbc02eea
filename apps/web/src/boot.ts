/**
 * The app's first script: it fetches the app itself once the browser has painted the page's static shell
 * (app/static-shells.ts). The shell needs nothing but the HTML and the stylesheet, so the scripts, five sixths of
 * a first visit's bytes, start to download when it is on the screen rather than race it for a slow network.
 */
// The stylesheets the first pages need, linked from the HTML so that the shell is painted with them: tokens and
// shell first, then the shared controls, then the sign-in page's and the dashboard's. Other features' styles come
// with their pages.
import './app/app.css';
import './components/components.css';
import './features/auth/auth.css';
import './features/dashboard/dashboard.css';

import { nextTask } from './app/next-task.ts';

/**
 * The app's scripts, evaluated in two tasks: React first, then the rest, which starts the app (main.tsx). Evaluated
 * together they were the longest task of a first visit. (Apollo Client and the router are not steps of their own:
 * imported here by name, they would come whole, every export of theirs that the app does not use included.) All
 * are requested at once, when React is (vite.config.ts's firstLoadTogether), so the second step costs no round trip.
 */
async function evaluateApp() {
  await import('react-dom/client');
  await nextTask();
  await import('./main.tsx');
}

const loadApp = (() => {
  let started = false;
  return () => {
    if (started) return;
    started = true;
    void evaluateApp();
  };
})();

// A frame, and a task after it: the shell has then been painted. A tab opened in the background paints no frames,
// so the app is also fetched after a moment without one.
requestAnimationFrame(() => setTimeout(loadApp, 0));
setTimeout(loadApp, 500);
