/**
 * Who may see and do what with cases. Every action rule of a case is here, a plain function of the viewer and
 * the case: the mutations call them to decide, and `InterventionCase.viewerCan` calls the same ones to tell the
 * client, so the two cannot disagree. Each assumes the case is one the viewer sees (visibleCases): the
 * mutations look it up under that scope, and a case the API shows is one.
 */
import type { CaseStatus } from '@pastoral/db';
import type { Viewer } from '../auth/viewer.ts';
import { visibleStudentRecords } from '../students/student.policy.ts';
import { allowedMoves } from './case.workflow.ts';

/** A form master sees the cases of their classrooms' students and the cases assigned to them. */
export const visibleCases = (viewer: Viewer) => visibleStudentRecords('intervention_cases', viewer);

/** The columns of a case its action rules read. */
export interface CaseForPolicy {
  assigned_to: number | null;
  status: string;
}

/** Pastoral leads and admins run their school's cases and give them to anyone there; a form master does neither. */
export function mayReassign(viewer: Viewer): boolean {
  return viewer.role !== 'FORM_MASTER';
}

/**
 * Who may change a case they can see (its details, owner or status): its owner, and whoever may reassign it. A
 * form master sees the cases of their classrooms' students whoever owns them, but runs only their own.
 */
export function mayChangeCase(viewer: Viewer, row: Pick<CaseForPolicy, 'assigned_to'>): boolean {
  return mayReassign(viewer) || row.assigned_to === viewer.user.id;
}

/** Giving the case to someone else: changing it, as one who may reassign. Anyone who may change it may keep it. */
export function mayReassignCase(viewer: Viewer, row: Pick<CaseForPolicy, 'assigned_to'>): boolean {
  return mayChangeCase(viewer, row) && mayReassign(viewer);
}

/**
 * Whoever sees a case adds notes to its timeline, restricted ones included: a note is restricted so that others
 * may not read it, and its writer need not be one who may.
 */
export function mayAddCaseNote(_viewer: Viewer, _row: CaseForPolicy, _restricted: boolean): boolean {
  return true;
}

/** The statuses the viewer may move the case to now: its lifecycle's next moves, if the case is theirs to change. */
export function statusMovesFor(viewer: Viewer, row: CaseForPolicy): CaseStatus[] {
  return mayChangeCase(viewer, row) ? allowedMoves(row.status as CaseStatus) : [];
}

/** Any member of staff opens a case about a student they see (visibleStudents). */
export function mayOpenCase(_viewer: Viewer): boolean {
  return true;
}

/** What the viewer may do with a case they see, as `InterventionCase.viewerCan` gives it. */
export function caseActions(viewer: Viewer, row: CaseForPolicy) {
  return {
    update: mayChangeCase(viewer, row),
    reassign: mayReassignCase(viewer, row),
    addNote: mayAddCaseNote(viewer, row, false),
    addRestrictedNote: mayAddCaseNote(viewer, row, true),
    changeStatus: statusMovesFor(viewer, row).length > 0,
  };
}

/** What nobody but signed-in staff may do: an API token reads cases and changes none. */
export const NO_CASE_ACTIONS: ReturnType<typeof caseActions> = {
  update: false,
  reassign: false,
  addNote: false,
  addRestrictedNote: false,
  changeStatus: false,
};
