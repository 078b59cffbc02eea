import type { Viewer } from '../auth/viewer.ts';
import { visibleStudentRecords } from '../students/student.policy.ts';

/** A form master sees the cases of their classrooms' students and the cases assigned to them. */
export const visibleCases = (viewer: Viewer) => visibleStudentRecords('intervention_cases', viewer);

/** Pastoral leads and admins run their school's cases and give them to anyone there; a form master does neither. */
export function mayReassign(viewer: Viewer): boolean {
  return viewer.role !== 'FORM_MASTER';
}

/**
 * Who may change a case they can see (its details, owner or status): its owner, and whoever may reassign it. A
 * form master sees the cases of their classrooms' students whoever owns them, but runs only their own.
 */
export function mayChangeCase(viewer: Viewer, row: { assigned_to: number | null }): boolean {
  return mayReassign(viewer) || row.assigned_to === viewer.user.id;
}
