/** How a student's risk level reads in the app (the dashboard shows the same levels). */
export const LEVEL_LABEL: Record<string, string> = {
  ON_TRACK: 'On track',
  WATCH: 'Watch',
  AT_RISK: 'At risk',
  CRITICAL: 'Critical',
};

export const ATTENDANCE_LABEL: Record<string, string> = {
  PRESENT: 'present',
  LATE: 'late',
  ABSENT_AUTHORISED: 'absent (authorised)',
  ABSENT_UNAUTHORISED: 'absent (unauthorised)',
};
