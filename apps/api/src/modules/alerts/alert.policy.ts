/**
 * Who may see and do what with alerts. The action rules are plain functions of the viewer and the alert: the
 * triage mutations call them to decide, and `Alert.viewerCan` calls the same ones to tell the client. Each
 * assumes the alert is one the viewer sees (visibleAlerts): the mutations lock it under that scope.
 */
import type { AlertStatus } from '@pastoral/db';
import type { Viewer } from '../auth/viewer.ts';
import { mayOpenCase } from '../cases/case.policy.ts';
import { visibleStudentRecords } from '../students/student.policy.ts';
import { type TriageAction, triageRefusal } from './alert.workflow.ts';

/** A form master sees the alerts of their classrooms' students and the alerts assigned to them. */
export const visibleAlerts = (viewer: Viewer, narrowedTo?: { status?: readonly string[] }) =>
  visibleStudentRecords('alerts', viewer, narrowedTo);

/**
 * Null when the viewer may take the action on an alert they see; otherwise why not, in words. Whoever sees an
 * alert triages it: what decides is where the alert is in its triage (acknowledging an acknowledged alert is
 * allowed, and changes nothing). Escalating opens a case, which the viewer must be allowed to do.
 */
export function triageRefusalFor(viewer: Viewer, alert: { status: string }, action: TriageAction): string | null {
  if (action === 'escalate' && !mayOpenCase(viewer)) return 'You cannot open cases, so you cannot escalate alerts.';
  return triageRefusal(action, alert.status as AlertStatus);
}

export function mayTriage(viewer: Viewer, alert: { status: string }, action: TriageAction): boolean {
  return triageRefusalFor(viewer, alert, action) === null;
}

/** What the viewer may do with an alert they see, as `Alert.viewerCan` gives it. */
export function alertActions(viewer: Viewer, alert: { status: string }) {
  return {
    acknowledge: mayTriage(viewer, alert, 'acknowledge'),
    dismiss: mayTriage(viewer, alert, 'dismiss'),
    escalate: mayTriage(viewer, alert, 'escalate'),
  };
}

/** What an API token may do with an alert: read it, nothing more. */
export const NO_ALERT_ACTIONS: ReturnType<typeof alertActions> = {
  acknowledge: false,
  dismiss: false,
  escalate: false,
};

/** Any member of staff raises a concern about a student they see (visibleStudents). */
export function mayRaiseConcern(_viewer: Viewer): boolean {
  return true;
}
