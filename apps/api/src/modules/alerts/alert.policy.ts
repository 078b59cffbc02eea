import type { Viewer } from '../auth/viewer.ts';
import { visibleStudentRecords } from '../students/student.policy.ts';

/** A form master sees the alerts of their classrooms' students and the alerts assigned to them. */
export const visibleAlerts = (viewer: Viewer, narrowedTo?: { status?: readonly string[] }) =>
  visibleStudentRecords('alerts', viewer, narrowedTo);
