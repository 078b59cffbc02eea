import type { MockLink } from '@apollo/client/testing';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import type { CaseStatus } from '../../gql/graphql.ts';
import { buildViewer, renderWithApp } from '../../testing/render.tsx';
import { CasePage, CasePageQuery } from './CasePage.tsx';
import { ChangeCaseStatusMutation } from './CaseStatusPanel.tsx';

const id = 'SW50ZXJ2ZW50aW9uQ2FzZTox';

/**
 * The case page's query answered for a case in `status` whose viewer may make `moves` (the API decides them),
 * every fragment's fields filled in.
 */
function caseQuery(
  status: CaseStatus,
  moves: CaseStatus[],
  version = 3,
  can: Partial<Record<'update' | 'addNote' | 'addRestrictedNote', boolean>> = {},
): MockLink.MockedResponse {
  const snapshot = { __typename: 'IndicatorSnapshot', level: 'AT_RISK', attendanceRate: 0.84 };
  return {
    request: { query: CasePageQuery, variables: { id } },
    result: {
      data: {
        node: {
          __typename: 'InterventionCase',
          id,
          status,
          version,
          title: 'Attendance below 85%',
          category: 'ATTENDANCE',
          outcome: null,
          priority: 'HIGH',
          tier: 2,
          goal: null,
          nextReviewAt: null,
          isOverdue: false,
          allowedStatusMoves: moves,
          viewerCan: {
            __typename: 'CaseViewerCan',
            update: true,
            reassign: false,
            addNote: true,
            addRestrictedNote: false,
            ...can,
          },
          student: { __typename: 'Student', id: 'U3R1ZGVudDox', fullName: 'Ada Byron' },
          assignedTo: null,
          didItWork: { __typename: 'DidItWork', atOpening: snapshot, now: snapshot },
          timeline: { __typename: 'CaseEventConnection', nodes: [] },
        },
      },
    },
  };
}

const closing = { input: { id, expectedVersion: 3, status: 'CLOSED', outcome: 'IMPROVED' } };

function closingAnswers(userErrors: { code: string; message: string }[]): MockLink.MockedResponse {
  return {
    request: { query: ChangeCaseStatusMutation, variables: closing },
    result: {
      data: {
        changeCaseStatus: {
          __typename: 'ChangeCaseStatusPayload',
          case: null,
          userErrors: userErrors.map((error) => ({ __typename: 'UserError', ...error })),
        },
      },
    },
  };
}

function renderCase(mocks: MockLink.MockedResponse[]) {
  // A viewer who may not reassign cases: no owner panel, so no staff query to answer.
  renderWithApp(<CasePage />, {
    mocks,
    viewer: buildViewer({ viewerCan: { administer: false, reassignCases: false } }),
    path: `/cases/${id}`,
    route: '/cases/:id',
  });
}

describe('CasePage', () => {
  it('offers the moves the case may make next, and the outcome to record when one closes it', async () => {
    renderCase([caseQuery('MONITORING', ['CLOSED'])]);
    await screen.findByRole('heading', { name: 'Attendance below 85%' });
    const moves = screen.getAllByRole('button').filter((button) => button.className === 'primary');
    expect(moves.map((button) => button.textContent)).toEqual(['Move to closed']);
    expect(screen.getByLabelText('Outcome')).toHaveProperty('value', 'IMPROVED');
  });

  it('moves the case and shows where it now stands', async () => {
    const done = {
      request: { query: ChangeCaseStatusMutation, variables: closing },
      result: {
        data: {
          changeCaseStatus: {
            __typename: 'ChangeCaseStatusPayload',
            case: { __typename: 'InterventionCase', id, status: 'CLOSED', version: 4 },
            userErrors: [],
          },
        },
      },
    };
    renderCase([caseQuery('MONITORING', ['CLOSED']), done, caseQuery('CLOSED', ['OPEN'], 4)]);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Move to closed' }));
    await screen.findByRole('button', { name: 'Reopen' });
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it("shows the API's reason when it refuses the change", async () => {
    renderCase([
      caseQuery('MONITORING', ['CLOSED']),
      closingAnswers([{ code: 'INVALID_TRANSITION', message: 'Only the case owner can close it.' }]),
    ]);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Move to closed' }));
    expect((await screen.findByRole('alert')).textContent).toBe('Only the case owner can close it.');
  });

  it('says someone else changed the case first, and offers to reload it', async () => {
    renderCase([
      caseQuery('MONITORING', ['CLOSED']),
      closingAnswers([{ code: 'STALE_VERSION', message: 'The case has changed.' }]),
    ]);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Move to closed' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toMatch(/^Someone changed this case while you had it open/);
    expect(screen.getByRole('button', { name: 'Reload the case' })).toBeDefined();
  });

  it('leaves an ended session to the sign-in dialog instead of showing an error', async () => {
    let answered = false;
    const expired = {
      request: { query: ChangeCaseStatusMutation, variables: closing },
      result: () => {
        answered = true;
        return { errors: [{ message: 'Sign in first.', extensions: { code: 'UNAUTHENTICATED' } }] };
      },
    };
    renderCase([caseQuery('MONITORING', ['CLOSED']), expired]);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Move to closed' }));
    await vi.waitFor(() => expect(answered).toBe(true));
    await expect(screen.findByRole('alert', {}, { timeout: 500 })).rejects.toThrow();
  });

  it('says Pastoral cannot be reached when the request fails', async () => {
    const unreachable = {
      request: { query: ChangeCaseStatusMutation, variables: closing },
      error: new Error('offline'),
    };
    renderCase([caseQuery('MONITORING', ['CLOSED']), unreachable]);
    await userEvent.setup().click(await screen.findByRole('button', { name: 'Move to closed' }));
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Pastoral cannot be reached just now/);
  });

  it('offers only what the API says this viewer may do: no moves, no review date, no restricted notes', async () => {
    renderCase([caseQuery('IN_PROGRESS', [], 3, { update: false })]);
    await screen.findByRole('heading', { name: 'Attendance below 85%' });
    expect(screen.getAllByRole('button').filter((button) => button.className === 'primary')).toEqual([]);
    expect(screen.getByText(/^Only the case's owner, a pastoral lead or an admin moves this case along/)).toBeDefined();
    expect(screen.queryByRole('button', { name: 'Set review date' })).toBeNull();
    expect(screen.getByLabelText('Add a note')).toBeDefined();
    expect(screen.queryByLabelText(/Restricted/)).toBeNull();
  });

  it('offers a restricted note to a viewer the API lets add one', async () => {
    renderCase([caseQuery('IN_PROGRESS', ['MONITORING'], 3, { addRestrictedNote: true })]);
    expect(await screen.findByLabelText(/Restricted/)).toBeDefined();
    expect(screen.getByRole('button', { name: 'Set review date' })).toBeDefined();
  });
});
