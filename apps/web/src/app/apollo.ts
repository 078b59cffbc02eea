/**
 * The GraphQL client: same-origin by default (the API serves the app), or VITE_API_URL when the build is hosted
 * elsewhere. Cursor connections merge page by page (Relay style); a 401 from the API opens the sign-in dialog
 * over the page instead of navigating away, so nothing the user was typing is lost.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { relayStylePagination } from '@apollo/client/utilities';

const API_URL = `${import.meta.env.VITE_API_URL ?? ''}/graphql`;

export function createApolloClient(onSessionExpired: () => void): ApolloClient {
  const expiry = new ErrorLink(({ error }) => {
    const status = (error as { statusCode?: number }).statusCode;
    const codes =
      (error as { errors?: { extensions?: { code?: string } }[] }).errors?.map((e) => e.extensions?.code) ?? [];
    if (status === 401 || codes.includes('UNAUTHENTICATED')) onSessionExpired();
  });
  return new ApolloClient({
    link: ApolloLink.from([expiry, new HttpLink({ uri: API_URL, credentials: 'include' })]),
    cache: new InMemoryCache({
      typePolicies: {
        Query: {
          fields: {
            alerts: relayStylePagination(['filter', 'orderBy']),
            cases: relayStylePagination(['filter', 'orderBy']),
            students: relayStylePagination(['filter', 'orderBy']),
            auditLog: relayStylePagination(['filter']),
          },
        },
        Student: {
          fields: {
            disclosures: relayStylePagination(),
          },
        },
      },
    }),
  });
}
