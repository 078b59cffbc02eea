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

/** A member of staff's role as the "Viewed by" record names it. */
export const ROLE_LABEL: Record<string, string> = {
  FORM_MASTER: 'form master',
  PASTORAL_LEAD: 'pastoral lead',
  SCHOOL_ADMIN: 'school admin',
  DISTRICT_ADMIN: 'district admin',
};
