import type { TableName } from './schema.ts';

/**
 * Where each table would live in a Vitess deployment sharded by school (docs/SCALING.md, section 4), as the
 * column that names a row's school: `school_id` for tenant tables, and null for the district's own tables,
 * which live in an unsharded keyspace (or are copied to every shard as reference tables) and are read without a
 * school.
 *
 * Every statement on a tenant table must name the school in that column, or Vitess sends it to every shard:
 * the query-capture check (school-predicates.ts) holds the API to this, statement by statement.
 */
export const SCHOOL_COLUMN: Record<TableName, 'school_id' | null> = {
  // Fifty rows, read by every page and changed about never: a reference table, copied to every shard.
  schools: null,
  classrooms: 'school_id',
  classroom_assignments: 'school_id',
  students: 'school_id',
  risk_profiles: 'school_id',
  attendance_records: 'school_id',
  behaviour_incidents: 'school_id',
  assessment_results: 'school_id',
  alerts: 'school_id',
  intervention_cases: 'school_id',
  case_alerts: 'school_id',
  case_events: 'school_id',
  // District actions have no school (NULL): they go to one fixed shard, which `school_id is null` names.
  audit_log: 'school_id',
  audit_log_archive: 'school_id',
  // Staff sign in by e-mail and come back by session, neither of which names a school, and district staff
  // belong to none: the directory is the district's, copied to every shard as a reference table for joins.
  users: null,
  // Tokens are found by their hash on every integrator request, before anyone knows the school.
  api_tokens: null,
  // Keyed by who sent them (a user or a token), both of them district records.
  idempotency_keys: null,
  // The same terms for every school: a reference table.
  academic_terms: null,
  sessions: null,
  rate_limits: null,
  // Keyed by account and address, both the district's.
  sign_in_addresses: null,
  // Counters of summarised audit entries, keyed by what they count; the entries themselves go to audit_log.
  audit_summaries: null,
  job_leases: null,
  // A row per chain, keyed by the chain (a school's id, 0 for the district's): each shard's writers lock only
  // their schools' rows. Small and district-wide to read (verification walks every chain), so it stays here.
  audit_chain_head: null,
  audit_chain_anchor: null,
  // Read by student ("viewed by") and purged by school and day.
  student_record_views: 'school_id',
  // Every row is one school's, kept by that school's writes.
  summary_counts: 'school_id',
};
