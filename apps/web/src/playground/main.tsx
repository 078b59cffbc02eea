/**
 * GraphiQL, bundled with the app (no CDN: school networks block them). It calls the API with the signed-in
 * session's cookie; to act as an integrator, add an `Authorization: Bearer pst_…` header in its Headers tab.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import './playground.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const fetcher = createGraphiQLFetcher({
  url: `${import.meta.env.VITE_API_URL ?? ''}/graphql`,
  fetch: (input, init) => fetch(input, { ...init, credentials: 'include' }),
});

const DEFAULT_QUERY = `# Pastoral's GraphQL API. You are using your signed-in session; to act as an integrator,
# add {"Authorization": "Bearer pst_…"} under Headers below.
query Me {
  viewer {
    role
    user {
      fullName
    }
    school {
      name
    }
  }
}
`;

const root = document.getElementById('playground');
if (root === null) throw new Error('playground.html has no #playground element');

createRoot(root).render(
  <StrictMode>
    <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />
  </StrictMode>,
);
