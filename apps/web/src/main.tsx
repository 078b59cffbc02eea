import { StrictMode, startTransition } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root element to render Pastoral into');

// Rendered as a transition, the first render yields to the browser every few milliseconds instead of holding the
// main thread for the whole tree at once: a slow laptop can still paint and answer input while it runs.
startTransition(() => {
  createRoot(rootElement).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );
});
