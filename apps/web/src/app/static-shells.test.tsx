import { act, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildViewer } from '../testing/render.tsx';
import { App, createAppRouter } from './App.tsx';
import { DASHBOARD_HEADING, dashboardShell, SHELL_PAGES, signInShell, STATIC_SHELL_ID } from './static-shells.ts';

/** The API, as far as the first page needs it: the viewer (or nobody) answers at once, the dashboard never. */
function stubApi(viewer: ReturnType<typeof buildViewer> | null) {
  let answerViewer: () => void = () => {};
  const viewerAnswered = new Promise<void>((resolve) => (answerViewer = resolve));
  vi.stubGlobal(
    'fetch',
    vi.fn(async (_url: string, init: RequestInit) => {
      const { operationName } = JSON.parse(String(init.body)) as { operationName: string };
      if (operationName !== 'ViewerQuery') return new Promise<Response>(() => {});
      await viewerAnswered;
      const data = {
        viewer: viewer && {
          __typename: 'Viewer',
          ...viewer,
          viewerCan: { __typename: 'ViewerCan', ...viewer.viewerCan },
          user: { __typename: 'User', ...viewer.user },
          school: { __typename: 'School', ...viewer.school },
        },
      };
      return new Response(JSON.stringify({ data }), { headers: { 'content-type': 'application/json' } });
    }),
  );
  return answerViewer;
}

/** The page as the API sends it: the static shell, then the app's root. */
function servePage(shell: string) {
  const page = document.createElement('div');
  page.innerHTML = `<div id="${STATIC_SHELL_ID}">${shell}</div>`;
  document.body.append(page.firstChild!);
}

afterEach(() => {
  vi.unstubAllGlobals();
  document.getElementById(STATIC_SHELL_ID)?.remove();
});

describe('the static shells', () => {
  it('stay on the screen until the app has its page, instead of a loading message, then go', async () => {
    const answerViewer = stubApi(null);
    servePage(signInShell);
    render(<App router={createAppRouter()} />);
    await act(() => new Promise((resolve) => setTimeout(resolve, 20)));
    expect(document.getElementById(STATIC_SHELL_ID)).not.toBeNull();
    expect(screen.queryByText('Loading Pastoral…')).toBeNull();
    answerViewer();
    await screen.findByLabelText('E-mail address');
    expect(document.getElementById(STATIC_SHELL_ID)).toBeNull();
  });

  it('are the markup the app renders for the sign-in page', async () => {
    stubApi(null)();
    const { container } = render(<App router={createAppRouter()} />);
    await screen.findByLabelText('E-mail address');
    const signInPage = container.querySelector('main.sign-in-page')!;
    // The shell is the page without its form, which the app adds below the heading.
    signInPage.querySelector('form')?.remove();
    expect(signInPage.outerHTML).toBe(signInShell);
  });

  it("are the markup the app renders for the dashboard's header and heading", async () => {
    stubApi(buildViewer({ user: { id: 'VXNlcjox', fullName: 'Pat Form-Master' } }))();
    const { container } = render(<App router={createAppRouter()} />);
    await screen.findByRole('heading', { name: DASHBOARD_HEADING });
    const shell = document.createElement('div');
    shell.innerHTML = dashboardShell;
    const links = (root: ParentNode) =>
      Array.from(root.querySelectorAll('nav a'), (link) => ({
        href: link.getAttribute('href'),
        text: link.textContent,
        current: link.getAttribute('aria-current'),
        className: link.getAttribute('class') || null,
      }));
    expect(links(shell)).toEqual(links(container));
    expect(shell.querySelector('svg')!.outerHTML).toBe(container.querySelector('header svg')!.outerHTML);
    expect(shell.querySelector('h1')!.outerHTML).toBe(container.querySelector('main h1')!.outerHTML);
    expect(Object.keys(SHELL_PAGES)).toEqual(['index.html', 'dashboard.html', 'signed-in.html']);
  });
});
