/**
 * The hand-written Database types and the migrations must describe the same schema. The column lists below are
 * checked against the types by the compiler (every listed column exists, none is left out) and against the
 * migrated database by the test, on every engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './schema.ts';
import { type TestDatabase, testEngines } from './testing.ts';

const AUDIT_COLUMNS = [
  'id',
  'occurred_at',
  'seq',
  'hash',
  'school_id',
  'actor_type',
  'user_id',
  'api_token_id',
  'action',
  'entity_type',
  'entity_id',
  'student_id',
  'request_id',
  'ip',
  'details',
] as const;

const COLUMNS = {
  schools: ['id', 'code', 'name', 'locale', 'time_zone', 'created_at', 'updated_at'],
  academic_terms: ['id', 'code', 'name', 'starts_on', 'ends_on'],
  classrooms: ['id', 'school_id', 'name', 'year_group', 'is_active', 'created_at', 'updated_at'],
  users: [
    'id',
    'school_id',
    'email',
    'full_name',
    'role',
    'can_view_restricted',
    'password_hash',
    'is_active',
    'last_sign_in_at',
    'created_at',
    'updated_at',
  ],
  classroom_assignments: ['id', 'school_id', 'classroom_id', 'user_id', 'kind', 'created_at'],
  students: [
    'id',
    'school_id',
    'classroom_id',
    'external_id',
    'given_name',
    'family_name',
    'full_name',
    'date_of_birth',
    'year_group',
    'is_active',
    'enrolled_on',
    'left_on',
    'created_at',
    'updated_at',
  ],
  risk_profiles: [
    'student_id',
    'school_id',
    'level',
    'attendance_level',
    'behaviour_level',
    'coursework_level',
    'attendance_rate',
    'attendance_days',
    'minor_incidents',
    'major_incidents',
    'suspensions',
    'failing_subjects',
    'failing_core_subjects',
    'reasons',
    'rules_version',
    'computed_at',
    'previous_level',
    'worsened_at',
  ],
  attendance_records: ['student_id', 'date', 'school_id', 'status', 'recorded_at'],
  behaviour_incidents: [
    'id',
    'school_id',
    'student_id',
    'external_id',
    'occurred_on',
    'category',
    'severity',
    'suspension_days',
    'description',
    'reported_by',
    'created_at',
  ],
  assessment_results: [
    'id',
    'school_id',
    'student_id',
    'subject',
    'term_code',
    'score',
    'grade',
    'passing',
    'recorded_at',
  ],
  alerts: [
    'id',
    'school_id',
    'student_id',
    'type',
    'severity',
    'status',
    'alert_date',
    'reason',
    'facts',
    'assigned_to',
    'raised_by',
    'open_indicator',
    'acknowledged_at',
    'acknowledged_by',
    'dismissed_reason',
    'closed_at',
    'created_at',
    'updated_at',
  ],
  intervention_cases: [
    'id',
    'school_id',
    'student_id',
    'title',
    'category',
    'tier',
    'priority',
    'status',
    'outcome',
    'goal',
    'assigned_to',
    'opened_by',
    'next_review_at',
    'baseline',
    'version',
    'closed_at',
    'created_at',
    'updated_at',
  ],
  case_alerts: ['case_id', 'alert_id', 'school_id'],
  case_events: [
    'id',
    'school_id',
    'case_id',
    'kind',
    'author_id',
    'body',
    'restricted',
    'from_status',
    'to_status',
    'from_user_id',
    'to_user_id',
    'created_at',
  ],
  audit_log: AUDIT_COLUMNS,
  audit_log_archive: [...AUDIT_COLUMNS, 'archived_at'],
  audit_chain_head: ['id', 'seq', 'hash'],
  sessions: ['id_hash', 'user_id', 'created_at', 'last_seen_at', 'expires_at', 'ip', 'user_agent'],
  api_tokens: [
    'id',
    'school_id',
    'name',
    'token_prefix',
    'token_hash',
    'scopes',
    'created_by',
    'created_at',
    'expires_at',
    'revoked_at',
    'last_used_at',
  ],
  idempotency_keys: [
    'id',
    'principal',
    'idempotency_key',
    'operation',
    'request_hash',
    'response',
    'school_id',
    'created_at',
    'expires_at',
  ],
} as const satisfies { [Table in keyof Database]: readonly (keyof Database[Table])[] };

// Fails to compile when a column of the types is missing from the lists above.
type Unlisted = {
  [Table in keyof Database]: Exclude<keyof Database[Table], (typeof COLUMNS)[Table][number]>;
}[keyof Database];
const everyColumnListed: [Unlisted] extends [never] ? true : Unlisted = true;

for (const engine of testEngines()) {
  describe(`the Database types on ${engine.name}`, () => {
    let database: TestDatabase;
    beforeAll(async () => {
      database = await engine.createDatabase();
    });
    afterAll(() => database.drop());

    it('name exactly the columns the migrations create', async () => {
      expect(everyColumnListed).toBe(true);
      const tables = await database.handle.db.introspection.getTables();
      const actual = Object.fromEntries(
        tables
          .filter((table) => !table.name.startsWith('kysely_'))
          .map((table) => [table.name, table.columns.map((column) => column.name).sort()]),
      );
      const expected = Object.fromEntries(
        Object.entries(COLUMNS).map(([table, columns]) => [table, [...columns].sort()]),
      );
      expect(actual).toEqual(expected);
    });
  });
}
