import type { MockLink } from '@apollo/client/testing';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { renderWithApp } from '../../testing/render.tsx';
import { StudentsPage, StudentsPageQuery } from './StudentsPage.tsx';

function student(id: number, fullName: string, level: string, reasons: string[]) {
  return {
    __typename: 'StudentEdge',
    node: {
      __typename: 'Student',
      id: `U3R1ZGVudDo${id}`,
      fullName,
      classroom: { __typename: 'Classroom', name: '9B' },
      riskProfile: { __typename: 'RiskProfile', level, reasons },
    },
  };
}

function page(
  variables: Record<string, unknown>,
  edges: ReturnType<typeof student>[],
  next: string | null,
): MockLink.MockedResponse {
  return {
    request: { query: StudentsPageQuery, variables },
    result: {
      data: {
        students: {
          __typename: 'StudentConnection',
          totalCount: 2,
          pageInfo: { __typename: 'PageInfo', hasNextPage: next !== null, endCursor: next ?? 'Y3Vyc29yOjI=' },
          edges,
        },
      },
    },
  };
}

describe('StudentsPage', () => {
  it('lists each student with their risk, and "Load more" adds the next page under the first', async () => {
    renderWithApp(<StudentsPage />, {
      mocks: [
        page({}, [student(1, 'Ada Byron', 'CRITICAL', ['Attendance 72%'])], 'Y3Vyc29yOjE='),
        page({ after: 'Y3Vyc29yOjE=' }, [student(2, 'Alan Turing', 'ON_TRACK', [])], null),
      ],
    });
    await screen.findByRole('link', { name: 'Ada Byron' });
    expect(screen.getByText('Critical')).toBeDefined();
    expect(screen.getByText('Attendance 72%')).toBeDefined();

    await userEvent.setup().click(screen.getByRole('button', { name: 'Load more' }));
    await screen.findByRole('link', { name: 'Alan Turing' });
    expect(screen.getAllByRole('link').map((link) => link.textContent)).toEqual(['Ada Byron', 'Alan Turing']);
    // The last page has no next one.
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull();
  });
});
