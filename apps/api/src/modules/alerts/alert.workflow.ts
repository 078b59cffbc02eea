/** An alert's triage, as domain.md has it: pure functions, no database. */
import type { AlertStatus } from '@pastoral/db';

export type TriageAction = 'acknowledge' | 'dismiss' | 'escalate';

const FROM: Record<TriageAction, AlertStatus[]> = {
  acknowledge: ['NEW', 'ACKNOWLEDGED'],
  dismiss: ['NEW', 'ACKNOWLEDGED'],
  escalate: ['NEW', 'ACKNOWLEDGED'],
};

const TO: Record<TriageAction, AlertStatus> = {
  acknowledge: 'ACKNOWLEDGED',
  dismiss: 'DISMISSED',
  escalate: 'ESCALATED',
};

/** Null when the action may be taken; otherwise why not, in words. */
export function triageRefusal(action: TriageAction, status: AlertStatus): string | null {
  if (FROM[action].includes(status)) return null;
  return `This alert is ${status}, so it cannot be ${TO[action].toLowerCase()}; only NEW or ACKNOWLEDGED alerts can.`;
}

/** An open alert's status keeps its indicator's slot; every other status frees it for a new alert. */
export function isOpen(status: AlertStatus): boolean {
  return status === 'NEW' || status === 'ACKNOWLEDGED';
}
