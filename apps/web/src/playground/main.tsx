/**
 * The GraphQL playground: GraphiQL, bundled with the app (no CDN: school networks block them). The editor is
 * loaded as a chunk of its own (PlaygroundEditor.tsx), so this entry stays small and says so while it loads.
 */
import './playground.css';
import { lazy, StrictMode, Suspense } from 'react';
import { createRoot } from 'react-dom/client';

const PlaygroundEditor = lazy(() => import('./PlaygroundEditor.tsx'));

const root = document.getElementById('playground');
if (root === null) throw new Error('playground.html has no #playground element');

createRoot(root).render(
  <StrictMode>
    <Suspense fallback={<p className="playground-loading">Loading the GraphQL editor…</p>}>
      <PlaygroundEditor />
    </Suspense>
  </StrictMode>,
);
