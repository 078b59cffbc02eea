import type { ColumnType, Generated } from 'kysely';
import type { SummaryCountTable } from './summary-counts.ts';

/**
 * The database as the application sees it, on both engines.
 *
 * Conventions that make one set of types true for MySQL/MariaDB and SQLite alike:
 * - Timestamps are UTC strings `YYYY-MM-DD HH:MM:SS.mmm` (DATETIME(3) read with `dateStrings`, TEXT on
 *   SQLite), dates are `YYYY-MM-DD`. Both sort and compare correctly as text.
 * - Booleans are 0/1 integers (TINYINT(1) / INTEGER).
 * - Ordered enums (risk level, alert severity, case priority) are small integers so that indexes can sort
 *   by them; `enums.ts` maps them to names. Unordered enums (status, type, role) are strings.
 * - JSON documents are TEXT holding JSON, encoded and decoded by the repositories.
 */

export type Timestamp = string;
export type DateOnly = string;
export type Flag = 0 | 1;

/** A column the database fills when the insert leaves it out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface SchoolTable {
  id: Generated<number>;
  /** Short code shown to staff and used in e-mail domains: S01..S50. */
  code: string;
  name: string;
  /** BCP 47 locale for dates and numbers shown to this school's staff. */
  locale: Defaulted<string>;
  /** IANA zone of the school day (attendance dates are local school days). */
  time_zone: Defaulted<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface AcademicTermTable {
  id: Generated<number>;
  /** `2026-T1`: the key assessment results carry. */
  code: string;
  name: string;
  starts_on: DateOnly;
  ends_on: DateOnly;
}

export interface ClassroomTable {
  id: Generated<number>;
  school_id: number;
  /** The form group's name within its school: `9B`. */
  name: string;
  /** National curriculum year, 7..13. */
  year_group: number;
  is_active: Defaulted<Flag>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UserTable {
  id: Generated<number>;
  /** NULL for district staff, who belong to no single school. */
  school_id: number | null;
  email: string;
  full_name: string;
  role: string;
  /** The safeguarding permission to read restricted case notes. */
  can_view_restricted: Defaulted<Flag>;
  /** argon2id PHC string; NULL for an account that cannot sign in with a password. */
  password_hash: string | null;
  is_active: Defaulted<Flag>;
  last_sign_in_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ClassroomAssignmentTable {
  id: Generated<number>;
  school_id: number;
  classroom_id: number;
  user_id: number;
  /** `FORM_MASTER` (the form tutor) or `ASSISTANT` (a co-tutor who sees the same students). */
  kind: string;
  created_at: Timestamp;
}

export interface StudentTable {
  id: Generated<number>;
  school_id: number;
  classroom_id: number;
  /** The school information system's identifier: the natural key integrators upsert by. */
  external_id: string;
  given_name: string;
  family_name: string;
  full_name: string;
  date_of_birth: DateOnly | null;
  year_group: number;
  is_active: Defaulted<Flag>;
  enrolled_on: DateOnly;
  left_on: DateOnly | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  /** Their risk profile's overall level (0 before one is computed), copied for the roster's risk-order index. */
  risk_level: Defaulted<number>;
}

export interface RiskProfileTable {
  student_id: number;
  school_id: number;
  /** Overall level (0 ON_TRACK .. 3 CRITICAL): the worst indicator's. */
  level: number;
  attendance_level: number;
  behaviour_level: number;
  coursework_level: number;
  /** Share of the last 30 school days attended, 0..1; NULL when there are no records yet. */
  attendance_rate: number | null;
  attendance_days: number;
  minor_incidents: number;
  major_incidents: number;
  suspensions: number;
  failing_subjects: number;
  failing_core_subjects: number;
  /** JSON array of `{ indicator, level, text, facts }`. */
  reasons: string;
  rules_version: string;
  computed_at: Timestamp;
  /** The level before the last change, and when the level last got worse ("newly at risk"). */
  previous_level: number | null;
  worsened_at: Timestamp | null;
}

export interface AttendanceRecordTable {
  student_id: number;
  date: DateOnly;
  school_id: number;
  /** PRESENT, LATE, ABSENT_AUTHORISED, ABSENT_UNAUTHORISED */
  status: string;
  recorded_at: Timestamp;
}

export interface BehaviourIncidentTable {
  id: Generated<number>;
  school_id: number;
  student_id: number;
  /** The source system's identifier, unique per school, so a resent incident is not counted twice. */
  external_id: string;
  occurred_on: DateOnly;
  category: string;
  /** MINOR or MAJOR */
  severity: string;
  suspension_days: Defaulted<number>;
  description: string | null;
  reported_by: number | null;
  created_at: Timestamp;
}

export interface AssessmentResultTable {
  id: Generated<number>;
  school_id: number;
  student_id: number;
  /** Subject code: ENGLISH, MATHS, SCIENCE, ... */
  subject: string;
  term_code: string;
  score: number | null;
  grade: string | null;
  passing: Flag;
  recorded_at: Timestamp;
}

export interface AlertTable {
  id: Generated<number>;
  school_id: number;
  student_id: number;
  /** ATTENDANCE, BEHAVIOUR, ACADEMIC, WELLBEING, MANUAL */
  type: string;
  /** 1 WATCH, 2 AT_RISK, 3 CRITICAL: the band that raised it. */
  severity: number;
  /** NEW, ACKNOWLEDGED, ESCALATED, DISMISSED, RESOLVED */
  status: string;
  alert_date: DateOnly;
  reason: string;
  /** JSON object: the facts behind the reason. */
  facts: string;
  assigned_to: number | null;
  /** NULL when the risk engine raised it. */
  raised_by: number | null;
  /**
   * The indicator while the alert is open, NULL once it is closed or for manual concerns. A unique key on
   * (student_id, open_indicator) lets the database itself refuse a second open alert for one indicator.
   */
  open_indicator: string | null;
  acknowledged_at: Timestamp | null;
  acknowledged_by: number | null;
  dismissed_reason: string | null;
  closed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface InterventionCaseTable {
  id: Generated<number>;
  school_id: number;
  student_id: number;
  title: string;
  category: string;
  /** MTSS tier, 1..3 */
  tier: number;
  /** 0 LOW, 1 MEDIUM, 2 HIGH, 3 URGENT */
  priority: number;
  /** OPEN, IN_PROGRESS, MONITORING, CLOSED */
  status: string;
  /** IMPROVED, NO_CHANGE, WORSENED, TRANSFERRED once closed */
  outcome: string | null;
  goal: string | null;
  assigned_to: number | null;
  opened_by: number | null;
  next_review_at: DateOnly | null;
  /** JSON: the student's indicators when the case opened ("did it work"). */
  baseline: string;
  version: Defaulted<number>;
  closed_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CaseAlertTable {
  case_id: number;
  alert_id: number;
  school_id: number;
}

export interface CaseEventTable {
  id: Generated<number>;
  school_id: number;
  case_id: number;
  /** OPENED, NOTE, STATUS_CHANGED, REASSIGNED, UPDATED */
  kind: string;
  author_id: number | null;
  body: string | null;
  restricted: Defaulted<Flag>;
  from_status: string | null;
  to_status: string | null;
  from_user_id: number | null;
  to_user_id: number | null;
  created_at: Timestamp;
}

/** Columns shared by the live audit log and its archive. */
export interface AuditEntryColumns {
  id: Generated<number>;
  occurred_at: Timestamp;
  /**
   * The district-wide order of entries, increasing, with gaps (MariaDB draws it from a sequence). Entries written
   * before the per-school chains (chain_seq null) are the legacy chain, whose links it still is: 1, 2, 3, ...
   */
  seq: number;
  /** Position in its school's chain (or the district's), 1, 2, 3, ... with no gaps; null on the legacy chain. */
  chain_seq: number | null;
  /** SHA-256 (hex) of the previous entry's hash in the same chain and this entry's canonical encoding. */
  hash: string;
  school_id: number | null;
  /** USER, TOKEN, SYSTEM or ANONYMOUS */
  actor_type: string;
  user_id: number | null;
  api_token_id: number | null;
  /** Dotted verb: `case.closed`, `session.signed_in`, `student.disclosed`. */
  action: string;
  entity_type: string | null;
  entity_id: number | null;
  /** The student whose data the entry concerns: their disclosure record. */
  student_id: number | null;
  request_id: string | null;
  ip: string | null;
  /** JSON: what changed, or what was read. */
  details: string | null;
}

export type AuditLogTable = AuditEntryColumns;
export interface AuditLogArchiveTable extends Omit<AuditEntryColumns, 'id'> {
  /** Keeps the live entry's id: an entry is the same entry wherever it lives. */
  id: number;
  archived_at: Timestamp;
}

/**
 * A row per chain: the newest entry's position and hash, locked by each writer of the chain to append the next.
 * `id` is the chain: a school's id, 0 for the district's own entries, -1 for the legacy chain (no longer moves).
 */
export interface AuditChainHeadTable {
  id: number;
  seq: number;
  hash: string;
}

/**
 * Where a chain's verifiable part starts: the last entry purged for retention. `id` is the chain, as in
 * audit_chain_head; a chain without a row starts at its genesis (position 0, the legacy head's hash).
 */
export interface AuditChainAnchorTable {
  id: number;
  seq: number;
  hash: string;
  /** The cut-off of the last purge (entries before it are gone); null until the first. */
  purged_before: Timestamp | null;
  purged_at: Timestamp | null;
}

/** Which process runs a scheduled job, until when: renewed as the job goes, left to expire if the process dies. */
export interface JobLeaseTable {
  job: string;
  holder: string;
  acquired_at: Timestamp;
  expires_at: Timestamp;
}

export interface SessionTable {
  /** The session's public handle (its global id is made of it); the cookie's secret is never derived from it. */
  id: Generated<number>;
  /** SHA-256 (hex) of the cookie's session id: a copy of the table opens no session. */
  id_hash: string;
  user_id: number;
  created_at: Timestamp;
  last_seen_at: Timestamp;
  /** The absolute end of the session, whatever its activity. */
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
}

export interface ApiTokenTable {
  id: Generated<number>;
  /** NULL for a district-wide token. */
  school_id: number | null;
  name: string;
  /** The first characters of the token, shown to admins to tell tokens apart. */
  token_prefix: string;
  token_hash: string;
  /** Space-separated scopes: `students:read attendance:write`. */
  scopes: string;
  created_by: number | null;
  created_at: Timestamp;
  expires_at: Timestamp | null;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface IdempotencyKeyTable {
  id: Generated<number>;
  /** `user:12` or `token:3`: keys are scoped to whoever sent them. */
  principal: string;
  idempotency_key: string;
  operation: string;
  /** SHA-256 of the canonical input: the same key with another input is refused. */
  request_hash: string;
  /** JSON of the first result, returned again to a retry; NULL while the first request runs. */
  response: string | null;
  school_id: number | null;
  created_at: Timestamp;
  expires_at: Timestamp;
}

/** That a member of staff viewed a student's record on a day (at first_viewed_at, the day's first view). */
export interface StudentRecordViewTable {
  school_id: number;
  student_id: number;
  viewed_on: DateOnly;
  user_id: number;
  first_viewed_at: Timestamp;
}

/**
 * A fixed-window counter of failures: `signin:pair:<email> <address>`, `signin:account:<email>` or
 * `signin:ip:<address>`.
 */
export interface RateLimitTable {
  rate_key: string;
  window_started_at: Timestamp;
  hits: number;
  /** For a rule that backs off: the next attempt waits until then. NULL while attempts are free. */
  next_attempt_at: Timestamp | null;
}

/** The network addresses each account signed in from lately: from these, its owner is never locked out. */
export interface SignInAddressTable {
  user_id: number;
  /** An IPv4 address, or an IPv6 network as `2001:db8:1:2::/64` (one household or device's addresses). */
  address: string;
  last_signed_in_at: Timestamp;
}

/**
 * An open window of a summarised audit entry (audit-summary.ts): events of one key counted here, written to the
 * audit log as one entry when the window opens and one with the count when it closes.
 */
export interface AuditSummaryTable {
  summary_key: string;
  window_started_at: Timestamp;
  window_ends_at: Timestamp;
  occurrences: number;
  last_occurred_at: Timestamp;
  /** The event as JSON, without its summary: the closing entry repeats it with the count. */
  event: string;
  /** Who the events are by, as JSON (an AuditActor without its request): the closing entry's actor. */
  actor: string;
}

export interface Database {
  schools: SchoolTable;
  academic_terms: AcademicTermTable;
  classrooms: ClassroomTable;
  users: UserTable;
  classroom_assignments: ClassroomAssignmentTable;
  students: StudentTable;
  risk_profiles: RiskProfileTable;
  attendance_records: AttendanceRecordTable;
  behaviour_incidents: BehaviourIncidentTable;
  assessment_results: AssessmentResultTable;
  alerts: AlertTable;
  intervention_cases: InterventionCaseTable;
  case_alerts: CaseAlertTable;
  case_events: CaseEventTable;
  audit_log: AuditLogTable;
  audit_log_archive: AuditLogArchiveTable;
  audit_chain_head: AuditChainHeadTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  idempotency_keys: IdempotencyKeyTable;
  rate_limits: RateLimitTable;
  sign_in_addresses: SignInAddressTable;
  audit_summaries: AuditSummaryTable;
  job_leases: JobLeaseTable;
  audit_chain_anchor: AuditChainAnchorTable;
  student_record_views: StudentRecordViewTable;
  summary_counts: SummaryCountTable;
}

export type TableName = keyof Database;
