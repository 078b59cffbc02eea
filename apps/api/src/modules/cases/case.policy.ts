import type { Viewer } from '../auth/viewer.ts';
import { visibleStudentRecords } from '../students/student.policy.ts';

/** A form master sees the cases of their classrooms' students and the cases assigned to them. */
export const visibleCases = (viewer: Viewer) => visibleStudentRecords('intervention_cases', viewer);
