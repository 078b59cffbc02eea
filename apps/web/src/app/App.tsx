import { ApolloProvider } from '@apollo/client/react';
import { useMutation } from '@apollo/client/react';
import { lazy, type ReactNode, Suspense, useDeferredValue, useLayoutEffect, useMemo, useState } from 'react';
import { createBrowserRouter, NavLink, Outlet, RouterProvider } from 'react-router';
import { SignInForm } from '../features/auth/SignInForm.tsx';
import { DashboardPage } from '../features/dashboard/DashboardPage.tsx';
import { graphql } from '../gql/index.ts';
import { createApolloClient } from './apollo.ts';
import { staffViewer, useViewerQuery, ViewerContext } from './session.tsx';
import { STATIC_SHELL_ID } from './static-shells.ts';

// The sign-in page and the dashboard, where everyone lands, come with the app; every other page is a chunk of its
// own, fetched when first opened, so that a first visit neither downloads nor runs their code.
const AdminPage = lazy(() => import('../features/admin/AdminPage.tsx').then((m) => ({ default: m.AdminPage })));
const AlertsPage = lazy(() => import('../features/alerts/AlertsPage.tsx').then((m) => ({ default: m.AlertsPage })));
const CasePage = lazy(() => import('../features/cases/CasePage.tsx').then((m) => ({ default: m.CasePage })));
const CasesPage = lazy(() => import('../features/cases/CasesPage.tsx').then((m) => ({ default: m.CasesPage })));
const StudentPage = lazy(() =>
  import('../features/students/StudentPage.tsx').then((m) => ({ default: m.StudentPage })),
);
const StudentsPage = lazy(() =>
  import('../features/students/StudentsPage.tsx').then((m) => ({ default: m.StudentsPage })),
);
const SessionsPage = lazy(() => import('../features/auth/SessionsPage.tsx').then((m) => ({ default: m.SessionsPage })));

const SignOutMutation = graphql(`
  mutation SignOutMutation {
    signOut {
      signedOut
    }
  }
`);

function Mark() {
  return (
    <svg className="site-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
      <rect width="32" height="32" rx="7" />
      <path d="M8 21c3-7 13-7 16 0" />
      <circle cx="16" cy="11" r="3.5" />
    </svg>
  );
}

/** The page the HTML came with (static-shells.ts), if the app has not yet painted over it. */
const staticShell = () => document.getElementById(STATIC_SHELL_ID);

/**
 * The static shell goes in the same commit as the app's first page appears, before the browser paints: the page
 * replaces the shell in one frame, and the shell's place is never empty or a loading message.
 */
function useStaticShellGone(pageShown: boolean) {
  useLayoutEffect(() => {
    if (pageShown) staticShell()?.remove();
  }, [pageShown]);
}

/** Signed in: the navigation and the page; signed out: the sign-in page. */
function Shell({ expired, onSignedIn }: { expired: boolean; onSignedIn: () => void }) {
  // The answer arrives as an urgent update (Apollo Client's store subscription), which React renders in one task:
  // deferred, the page it brings is rendered as a transition instead, yielding to the browser every few
  // milliseconds, while the urgent pass renders what is on the screen already.
  const viewerQuery = useViewerQuery();
  const { data, loading, error } = useDeferredValue(viewerQuery);
  const { refetch } = viewerQuery;
  const [signOut] = useMutation(SignOutMutation);
  const viewer = staffViewer(data?.viewer);
  const waiting = loading && !data;
  useStaticShellGone(!waiting);

  // While the HTML's shell is on the screen it stands for this page.
  if (waiting && staticShell()) return null;
  if (waiting)
    return (
      <p className="page-status" role="status">
        Loading Pastoral…
      </p>
    );
  if (error && !data) {
    return (
      <p className="page-status" role="alert">
        Pastoral cannot be reached just now. <button onClick={() => void refetch()}>Try again</button>
      </p>
    );
  }
  if (!viewer) {
    return (
      <main className="sign-in-page">
        <Mark />
        <h1>Sign in to Pastoral</h1>
        <SignInForm
          onSignedIn={() => {
            onSignedIn();
            void refetch();
          }}
        />
      </main>
    );
  }

  return (
    <ViewerContext.Provider value={viewer}>
      <div className="page">
        <header className="site-header">
          <Mark />
          <p className="site-name">Pastoral</p>
          <nav aria-label="Main">
            <NavLink to="/" end>
              Dashboard
            </NavLink>
            <NavLink to="/alerts">Alerts</NavLink>
            <NavLink to="/cases">Cases</NavLink>
            <NavLink to="/students">Students</NavLink>
            {viewer.viewerCan.administer ? <NavLink to="/admin">Admin</NavLink> : null}
          </nav>
          <p className="who">
            {viewer.user.fullName}
            <NavLink to="/sessions">Your sessions</NavLink>
            <button
              className="link"
              onClick={async () => {
                await signOut();
                window.location.assign('/');
              }}
            >
              Sign out
            </button>
          </p>
        </header>
        <main className="content">
          <Suspense
            fallback={
              <p className="page-status" role="status">
                Loading…
              </p>
            }
          >
            <Outlet />
          </Suspense>
        </main>
      </div>
      {expired ? (
        <div className="dialog-backdrop">
          <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="expired-title">
            <h2 id="expired-title">Your session has ended</h2>
            <p>Sign in again to carry on where you were; nothing on this page is lost.</p>
            <SignInForm
              onSignedIn={() => {
                onSignedIn();
                void refetch();
              }}
            />
          </div>
        </div>
      ) : null}
    </ViewerContext.Provider>
  );
}

function Root({ children }: { children?: ReactNode }) {
  const [expired, setExpired] = useState(false);
  const client = useMemo(() => createApolloClient(() => setExpired(true)), []);
  return (
    <ApolloProvider client={client}>
      <Shell expired={expired} onSignedIn={() => setExpired(false)} />
      {children}
    </ApolloProvider>
  );
}

/**
 * The app's routes. Made when the app starts (main.tsx), in a task of its own, not as this module is evaluated:
 * matching the address and setting up the history is work the first page waits on, and in the module evaluation
 * task it would lengthen the longest task of a first visit.
 */
export function createAppRouter() {
  return createBrowserRouter([
    {
      path: '/',
      element: <Root />,
      children: [
        { index: true, element: <DashboardPage /> },
        { path: 'alerts', element: <AlertsPage /> },
        { path: 'cases', element: <CasesPage /> },
        { path: 'cases/:id', element: <CasePage /> },
        { path: 'students', element: <StudentsPage /> },
        { path: 'students/:id', element: <StudentPage /> },
        { path: 'admin', element: <AdminPage /> },
        { path: 'sessions', element: <SessionsPage /> },
        { path: '*', element: <p role="status">Not found: there is no page at this address.</p> },
      ],
    },
  ]);
}

export function App({ router }: { router: ReturnType<typeof createAppRouter> }) {
  return <RouterProvider router={router} />;
}
