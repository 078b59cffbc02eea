import { StrictMode, startTransition } from 'react';
import { createRoot } from 'react-dom/client';
import { App, createAppRouter } from './app/App.tsx';
import { nextTask } from './app/next-task.ts';

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root element to render Pastoral into');

/**
 * The app starts in steps, each in a task of its own after the ones that evaluated the scripts (boot.ts): the router,
 * React's root, then the first render. With the scripts' evaluation they held the main thread for one long task on a
 * slow laptop, in which a tap on the static shell had to wait.
 */
async function start(root: HTMLElement) {
  await nextTask();
  const router = createAppRouter();
  await nextTask();
  const reactRoot = createRoot(root);
  await nextTask();
  // Rendered as a transition, the first render yields to the browser every few milliseconds instead of holding the
  // main thread for the whole tree at once: a slow laptop can still paint and answer input while it runs.
  startTransition(() => {
    reactRoot.render(
      <StrictMode>
        <App router={router} />
      </StrictMode>,
    );
  });
}

void start(rootElement);
