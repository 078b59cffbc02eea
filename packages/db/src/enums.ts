/**
 * The domain's enumerations, and the integer codes of the ordered ones as stored in the database. The index
 * of a name in its array is its code, so `RISK_LEVELS[profile.level]` is the level's name.
 */

export const ROLES = ['FORM_MASTER', 'PASTORAL_LEAD', 'SCHOOL_ADMIN', 'DISTRICT_ADMIN'] as const;
export type Role = (typeof ROLES)[number];

export const RISK_LEVELS = ['ON_TRACK', 'WATCH', 'AT_RISK', 'CRITICAL'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

/** Alert severity follows the band that raised the alert: 1 WATCH, 2 AT_RISK, 3 CRITICAL. */
export const ALERT_SEVERITIES = [null, 'WATCH', 'AT_RISK', 'CRITICAL'] as const;

export const CASE_PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;
export type CasePriority = (typeof CASE_PRIORITIES)[number];

export const CASE_STATUSES = ['OPEN', 'IN_PROGRESS', 'MONITORING', 'CLOSED'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

export const CASE_OUTCOMES = ['IMPROVED', 'NO_CHANGE', 'WORSENED', 'TRANSFERRED'] as const;
export type CaseOutcome = (typeof CASE_OUTCOMES)[number];

export const ALERT_TYPES = ['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC', 'WELLBEING', 'MANUAL'] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const ALERT_STATUSES = ['NEW', 'ACKNOWLEDGED', 'ESCALATED', 'DISMISSED', 'RESOLVED'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
/** Statuses in which an alert still asks for attention (the rest are closed). */
export const OPEN_ALERT_STATUSES = ['NEW', 'ACKNOWLEDGED'] as const satisfies readonly AlertStatus[];

export const ATTENDANCE_STATUSES = ['PRESENT', 'LATE', 'ABSENT_AUTHORISED', 'ABSENT_UNAUTHORISED'] as const;
export type AttendanceStatus = (typeof ATTENDANCE_STATUSES)[number];

export const INCIDENT_SEVERITIES = ['MINOR', 'MAJOR'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];

export const CASE_EVENT_KINDS = ['OPENED', 'NOTE', 'STATUS_CHANGED', 'REASSIGNED', 'UPDATED'] as const;
export type CaseEventKind = (typeof CASE_EVENT_KINDS)[number];

export const API_TOKEN_SCOPES = [
  'roster:write',
  'attendance:write',
  'behaviour:write',
  'assessments:write',
  'students:read',
  'cases:read',
  'alerts:read',
  'audit:read',
] as const;
export type ApiTokenScope = (typeof API_TOKEN_SCOPES)[number];
