import { CASE_STATUSES, type CaseStatus } from '@pastoral/db';
import { describe, expect, it } from 'vitest';
import { checkTransition } from './case.workflow.ts';

const ALLOWED: [CaseStatus, CaseStatus][] = [
  ['OPEN', 'IN_PROGRESS'],
  ['IN_PROGRESS', 'MONITORING'],
  ['MONITORING', 'CLOSED'],
  ['CLOSED', 'OPEN'],
];

describe('the case lifecycle', () => {
  for (const from of CASE_STATUSES) {
    for (const to of CASE_STATUSES) {
      const allowed = ALLOWED.some(([a, b]) => a === from && b === to);
      it(`${allowed ? 'allows' : 'refuses'} ${from} → ${to}`, () => {
        const result = checkTransition(from, to, to === 'CLOSED' ? 'IMPROVED' : null);
        if (allowed) expect(result).toEqual({ ok: true });
        else expect(result).toMatchObject({ ok: false, code: 'INVALID_TRANSITION', field: 'status' });
      });
    }
  }

  it('names the allowed moves when it refuses one', () => {
    expect(checkTransition('OPEN', 'CLOSED', 'IMPROVED')).toEqual({
      ok: false,
      code: 'INVALID_TRANSITION',
      field: 'status',
      message: 'A OPEN case cannot move to CLOSED; it can move to IN_PROGRESS.',
    });
  });

  it('needs an outcome to close, and takes one only when closing', () => {
    expect(checkTransition('MONITORING', 'CLOSED', null)).toMatchObject({
      ok: false,
      code: 'INVALID',
      field: 'outcome',
    });
    expect(checkTransition('OPEN', 'IN_PROGRESS', 'IMPROVED')).toMatchObject({ ok: false, field: 'outcome' });
  });
});
