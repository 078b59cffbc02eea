/**
 * Renders a component as the app would: a signed-in viewer, a router at `path`, and Apollo Client answering
 * from `mocks` with the app's own cache (so paging merges as it does in the browser).
 */
import type { MockLink } from '@apollo/client/testing';
import { MockedProvider } from '@apollo/client/testing/react';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { createCache } from '../app/apollo.ts';
import { type Viewer, ViewerContext } from '../app/session.tsx';

export function buildViewer(overrides: Partial<Viewer> = {}): Viewer {
  return {
    canViewRestricted: false,
    viewerCan: { administer: false, reassignCases: false },
    defaultsToOwnWork: false,
    sessionExpiresAt: '2026-12-07T15:00:00Z',
    user: { id: 'VXNlcjox', fullName: 'Pat Lead' },
    school: { id: 'U2Nob29sOjE=', name: 'Northfield', locale: 'en-GB' },
    classrooms: [],
    ...overrides,
  };
}

export function renderWithApp(
  ui: ReactNode,
  options: {
    mocks?: MockLink.MockedResponse[];
    viewer?: Viewer;
    /** The address the router is at, and the route pattern the component is mounted on. */
    path?: string;
    route?: string;
  } = {},
) {
  const { path = '/', route = '*' } = options;
  return render(
    <MockedProvider mocks={options.mocks ?? []} cache={createCache()}>
      <ViewerContext.Provider value={options.viewer ?? buildViewer()}>
        <MemoryRouter initialEntries={[path]}>
          <Routes>
            <Route path={route} element={ui} />
          </Routes>
        </MemoryRouter>
      </ViewerContext.Provider>
    </MockedProvider>,
  );
}
