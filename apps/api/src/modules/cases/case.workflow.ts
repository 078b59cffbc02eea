/** A case's lifecycle, as domain.md has it: pure functions, no database. */
import type { CaseOutcome, CaseStatus } from '@pastoral/db';

/** OPEN → IN_PROGRESS → MONITORING → CLOSED, and a closed case may be reopened. Nothing else. */
const MOVES: Record<CaseStatus, CaseStatus[]> = {
  OPEN: ['IN_PROGRESS'],
  IN_PROGRESS: ['MONITORING'],
  MONITORING: ['CLOSED'],
  CLOSED: ['OPEN'],
};

export function allowedMoves(from: CaseStatus): CaseStatus[] {
  return MOVES[from];
}

export type TransitionCheck =
  { ok: true } | { ok: false; code: 'INVALID_TRANSITION' | 'INVALID'; field: string; message: string };

export function checkTransition(from: CaseStatus, to: CaseStatus, outcome: CaseOutcome | null): TransitionCheck {
  if (!MOVES[from].includes(to)) {
    return {
      ok: false,
      code: 'INVALID_TRANSITION',
      field: 'status',
      message: `A ${from} case cannot move to ${to}; it can move to ${MOVES[from].join(' or ')}.`,
    };
  }
  if (to === 'CLOSED' && outcome === null) {
    return {
      ok: false,
      code: 'INVALID',
      field: 'outcome',
      message: 'Closing a case needs an outcome: IMPROVED, NO_CHANGE, WORSENED or TRANSFERRED.',
    };
  }
  if (to !== 'CLOSED' && outcome !== null) {
    return { ok: false, code: 'INVALID', field: 'outcome', message: 'An outcome is given only when closing a case.' };
  }
  return { ok: true };
}
