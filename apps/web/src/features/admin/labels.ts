import type { ApiTokenScope } from '../../gql/graphql.ts';

/** Every scope a token can be given, in the order the form lists them. */
export const SCOPES: ApiTokenScope[] = [
  'ROSTER_WRITE',
  'ATTENDANCE_WRITE',
  'BEHAVIOUR_WRITE',
  'ASSESSMENTS_WRITE',
  'STUDENTS_READ',
  'CASES_READ',
  'ALERTS_READ',
  'AUDIT_READ',
];

/** A scope as integrators write it: `STUDENTS_READ` reads "students:read". */
export function scopeLabel(scope: ApiTokenScope): string {
  return scope.toLowerCase().replace('_', ':');
}

/** The audit actions the log can be narrowed to. */
export const AUDIT_ACTIONS = [
  'session.signed_in',
  'session.sign_in_failed',
  'session.sign_in_throttled',
  'session.ended',
  'case.opened',
  'case.status_changed',
  'alert.escalated',
  'student.disclosed',
];
