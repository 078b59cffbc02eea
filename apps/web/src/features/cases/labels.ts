/** How a case's status reads in the app. */
export const STATUS_LABEL: Record<string, string> = {
  OPEN: 'Open',
  IN_PROGRESS: 'In progress',
  MONITORING: 'Monitoring',
  CLOSED: 'Closed',
};
