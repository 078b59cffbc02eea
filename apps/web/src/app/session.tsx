/** Who is signed in, and the dialog that asks them to sign in again when their session ends. */
import { useQuery } from '@apollo/client/react';
import { createContext, useContext } from 'react';
import { graphql } from '../gql/index.ts';
import type { ViewerQueryQuery } from '../gql/graphql.ts';

export const ViewerQuery = graphql(`
  query ViewerQuery {
    viewer {
      canViewRestricted
      viewerCan {
        administer
        reassignCases
      }
      defaultsToOwnWork
      sessionExpiresAt
      user {
        id
        fullName
      }
      school {
        id
        name
        locale
      }
      classrooms {
        id
        name
      }
    }
  }
`);

type ViewerData = NonNullable<ViewerQueryQuery['viewer']>;

/**
 * A signed-in member of staff. The API answers `viewer` for an API token too (no user); the web app is for
 * staff, so such a viewer is nobody here.
 */
export type Viewer = ViewerData & { user: NonNullable<ViewerData['user']> };

export function staffViewer(viewer: ViewerData | null | undefined): Viewer | null {
  return viewer?.user ? (viewer as Viewer) : null;
}

export const ViewerContext = createContext<Viewer | null>(null);

export function useViewer(): Viewer {
  const viewer = useContext(ViewerContext);
  if (!viewer) throw new Error('useViewer outside a signed-in page');
  return viewer;
}

export function useViewerQuery() {
  return useQuery(ViewerQuery, { fetchPolicy: 'cache-and-network' });
}

/** An instant as a day and a time of day, in the school's own locale and the browser's time zone. */
export function formatDateTime(viewer: Viewer | null, value: string): string {
  const locale = viewer?.school?.locale ?? 'en-GB';
  return new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(value));
}

/** Dates in the school's own locale. */
export function formatDate(viewer: Viewer | null, value: string): string {
  const locale = viewer?.school?.locale ?? 'en-GB';
  const date = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T12:00:00Z`) : new Date(value);
  return new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(
    date,
  );
}
