import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { makeFragmentData } from '../../gql/index.ts';
import type { AlertCard_AlertFragmentFragment } from '../../gql/graphql.ts';
import { renderWithApp } from '../../testing/render.tsx';
import { AlertCard, AlertCard_AlertFragment } from './AlertCard.tsx';

function buildAlert(overrides: Partial<AlertCard_AlertFragmentFragment> = {}) {
  return makeFragmentData(
    {
      id: 'QWxlcnQ6MQ==',
      type: 'ATTENDANCE',
      severity: 'AT_RISK',
      status: 'NEW',
      alertDate: '2026-11-30',
      reason: 'Attendance fell to 84% over the last four weeks',
      student: { id: 'U3R1ZGVudDox', fullName: 'Ada Byron', classroom: { name: '9B' } },
      ...overrides,
    },
    AlertCard_AlertFragment,
  );
}

function renderCard(alert: ReturnType<typeof buildAlert>, onDismiss = vi.fn(async () => true)) {
  const handlers = { onToggle: vi.fn(), onAcknowledge: vi.fn(), onEscalate: vi.fn(), onDismiss };
  renderWithApp(
    <ul>
      <AlertCard alert={alert} selected={false} {...handlers} />
    </ul>,
  );
  return handlers;
}

describe('AlertCard', () => {
  it('shows what its fragment holds: who, their class, the severity, why and when', () => {
    renderCard(buildAlert());
    const card = screen.getByRole('listitem');
    expect(card.textContent).toContain('Ada Byron');
    expect(card.textContent).toContain('9B');
    expect(card.textContent).toContain('At risk');
    expect(card.textContent).toContain('attendance');
    expect(screen.getByText('Attendance fell to 84% over the last four weeks')).toBeDefined();
    expect(card.textContent).toContain('30 Nov 2026 · new');
  });

  it('offers the triage a new alert allows, and reports each choice', async () => {
    const user = userEvent.setup();
    const handlers = renderCard(buildAlert());
    await user.click(screen.getByRole('checkbox', { name: 'Select the alert about Ada Byron' }));
    await user.click(screen.getByRole('button', { name: 'Acknowledge' }));
    await user.click(screen.getByRole('button', { name: 'Escalate to a case' }));
    expect(handlers.onToggle).toHaveBeenCalledOnce();
    expect(handlers.onAcknowledge).toHaveBeenCalledOnce();
    expect(handlers.onEscalate).toHaveBeenCalledOnce();
  });

  it('asks why before dismissing, and closes the form once dismissed', async () => {
    const user = userEvent.setup();
    const handlers = renderCard(buildAlert({ status: 'ACKNOWLEDGED' }));
    expect(screen.queryByRole('button', { name: 'Acknowledge' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Dismiss…' }));
    await user.type(screen.getByLabelText('Why does it need no action?'), 'Family holiday, agreed in advance');
    await user.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(handlers.onDismiss).toHaveBeenCalledWith('Family holiday, agreed in advance');
    expect(screen.queryByLabelText('Why does it need no action?')).toBeNull();
  });

  it('offers nothing on an alert that is already closed', () => {
    renderCard(buildAlert({ status: 'DISMISSED' }));
    expect(screen.queryByRole('checkbox')).toBeNull();
    expect(screen.queryByRole('button')).toBeNull();
  });
});
