/**
 * GraphiQL itself: its editor (Monaco and its language workers) is most of the playground's weight, so main.tsx
 * loads this module lazily and the page can paint before it arrives.
 */
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';

// It calls the API with the signed-in session's cookie; to act as an integrator, add an
// `Authorization: Bearer pst_…` header in its Headers tab.
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

export default function PlaygroundEditor() {
  return <GraphiQL fetcher={fetcher} defaultQuery={DEFAULT_QUERY} />;
}
