/**
 * The GraphQL client: same-origin by default (the API serves the app), or VITE_API_URL when the build is hosted
 * elsewhere. Operations go as persisted-query hashes where the browser can compute them. Cursor connections
 * merge page by page (Relay style); a 401 from the API opens the sign-in dialog over the page instead of
 * navigating away, so nothing the user was typing is lost.
 */
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { ErrorLink } from '@apollo/client/link/error';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { relayStylePagination } from '@apollo/client/utilities';

const API_URL = `${import.meta.env.VITE_API_URL ?? ''}/graphql`;

/** Hex SHA-256 by the browser's own Web Crypto. */
async function sha256(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/**
 * Automatic persisted queries: each operation goes as its hash, with its text only when the server asks for
 * it. Web Crypto exists only in secure contexts (https, localhost): served over plain http elsewhere, the app
 * sends its documents whole.
 */
const persisted = globalThis.crypto?.subtle ? [new PersistedQueryLink({ sha256 })] : [];

/** Whether an operation failed because the session ended (the API answers 401 or UNAUTHENTICATED). */
export function isSessionExpiry(error: unknown): boolean {
  const status = (error as { statusCode?: number }).statusCode;
  const codes =
    (error as { errors?: { extensions?: { code?: string } }[] }).errors?.map((e) => e.extensions?.code) ?? [];
  return status === 401 || codes.includes('UNAUTHENTICATED');
}

/** The cache: cursor connections merge page by page, so "Load more" appends to the list on screen. */
export function createCache(): InMemoryCache {
  return new InMemoryCache({
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
          viewedBy: relayStylePagination(),
        },
      },
    },
  });
}

export function createApolloClient(onSessionExpired: () => void): ApolloClient {
  const expiry = new ErrorLink(({ error }) => {
    if (isSessionExpiry(error)) onSessionExpired();
  });
  return new ApolloClient({
    link: ApolloLink.from([expiry, ...persisted, new HttpLink({ uri: API_URL, credentials: 'include' })]),
    cache: createCache(),
  });
}
