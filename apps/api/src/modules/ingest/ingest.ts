/**
 * The integrator's write API: batches of up to 1,000 records, validated record by record (if any record is bad,
 * none is applied and every bad one is named by its index), upserted by natural key so that a resent batch
 * changes nothing, audited with the token, and followed by a risk recompute of exactly the students touched.
 */
import { type Database, type EngineDialect, type TableName, toDateOnly, toTimestamp } from '@pastoral/db';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { failure, inTransaction, type Outcome, success, type UserError, userError } from '../../graphql/mutations.ts';
import type { TokenPrincipal } from '../api-tokens/token-principal.ts';
import { appendAuditEntry, type AuditActor } from '../audit-log/audit.writer.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../idempotency/idempotency.ts';
import { recomputeStudents, type StudentRef } from '../risk/risk.engine.ts';
import type { RiskRules } from '../risk/risk.rules.ts';
import { schoolByCode } from '../schools/school.repository.ts';
import { studentsByExternalId } from '../students/student.repository.ts';

export const MAX_RECORDS_PER_CALL = 1_000;

export interface IngestContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  token: TokenPrincipal;
  actor: AuditActor;
  rules: RiskRules;
  now: Date;
}

export interface IngestResult {
  recorded: number;
  studentsRecomputed: number;
  alertsRaised: number;
  alertsResolved: number;
}

/** How one kind of record is checked and stored. */
export interface IngestKind<Input, Table extends TableName> {
  operation: 'recordAttendance' | 'recordBehaviourIncidents' | 'recordAssessmentResults';
  action: 'attendance.recorded' | 'behaviour.recorded' | 'assessments.recorded';
  table: Table;
  conflict: readonly (keyof Database[Table] & string)[];
  update: readonly (keyof Database[Table] & string)[];
  /** The record's natural key, to refuse the same key twice in one batch. */
  keyOf: (record: Input) => string;
  studentOf: (record: Input) => string;
  /** The record's problems (field, message), or its row. */
  check: (
    record: Input,
    student: StudentRef,
    context: { today: string; recordedAt: string },
  ) => { field: string; message: string }[] | Insertable<Database[Table]>;
}

export async function resolveSchool(
  db: Kysely<Database>,
  token: TokenPrincipal,
  schoolCode: string | null | undefined,
): Promise<Outcome<number>> {
  if (token.schoolId !== null) return success(token.schoolId);
  if (!schoolCode) {
    return failure(
      userError('INVALID', 'A district-wide token must name the school: pass schoolCode.', ['input', 'schoolCode']),
    );
  }
  const school = await schoolByCode(db, schoolCode);
  return school
    ? success(school.id)
    : failure(
        userError('NOT_FOUND', 'No school has this code; send the code of one of your schools.', [
          'input',
          'schoolCode',
        ]),
      );
}

export interface IngestOptions {
  /** Validate only: report what would be refused, apply nothing. */
  dryRun?: boolean;
  /** Recompute the students touched (default); a bulk import recomputes once at its end instead. */
  recompute?: boolean;
  /** Collects the students a batch touched, for a caller that recomputes later. */
  touched?: Map<number, StudentRef>;
}

export async function ingest<Input, Table extends TableName>(
  context: IngestContext,
  kind: IngestKind<Input, Table>,
  input: { schoolCode?: string | null; records: Input[]; idempotencyKey?: string | null },
  options: IngestOptions = {},
): Promise<Outcome<IngestResult>> {
  const { db, now, token } = context;
  const { records, idempotencyKey } = input;
  if (records.length === 0 || records.length > MAX_RECORDS_PER_CALL) {
    return failure(
      userError(
        'INVALID',
        `records takes 1 to ${MAX_RECORDS_PER_CALL.toLocaleString('en-GB')} records (got ${records.length.toLocaleString('en-GB')}); send them in batches.`,
        ['input', 'records'],
      ),
    );
  }
  const school = await resolveSchool(db, token, input.schoolCode);
  if (!school.ok) return school;

  const externalIds = [...new Set(records.map(kind.studentOf))];
  const students = new Map<string, StudentRef>();
  for (let start = 0; start < externalIds.length; start += 500) {
    const rows = await studentsByExternalId(db, school.value, externalIds.slice(start, start + 500));
    for (const row of rows) students.set(row.external_id, row);
  }

  const today = toDateOnly(now);
  const recordedAt = toTimestamp(now);
  const errors: UserError[] = [];
  const rows: Insertable<Database[Table]>[] = [];
  const seen = new Map<string, number>();
  records.forEach((record, index) => {
    const path = (field?: string) => ['input', 'records', String(index), ...(field ? [field] : [])];
    const student = students.get(kind.studentOf(record));
    if (!student) {
      errors.push(userError('NOT_FOUND', 'No student of this school has this external id.', path('studentExternalId')));
      return;
    }
    const key = kind.keyOf(record);
    const earlier = seen.get(key);
    if (earlier !== undefined) {
      errors.push(userError('DUPLICATE', `The same record as records[${earlier}]; send each once.`, path()));
      return;
    }
    seen.set(key, index);
    const checked = kind.check(record, student, { today, recordedAt });
    if (Array.isArray(checked)) {
      for (const problem of checked) errors.push(userError('INVALID', problem.message, path(problem.field)));
    } else {
      rows.push(checked);
    }
  });
  if (errors.length > 0) return { ok: false, userErrors: errors };
  if (options.dryRun)
    return success({ recorded: rows.length, studentsRecomputed: 0, alertsRaised: 0, alertsResolved: 0 });

  const applied = await inTransaction<{ replay: IngestResult | null }>(db, async (trx: Transaction<Database>) => {
    const request = {
      principal: `token:${token.tokenId}`,
      key: idempotencyKey ?? '',
      operation: kind.operation,
      input: { schoolCode: input.schoolCode ?? null, records },
      schoolId: school.value,
      now,
    };
    if (idempotencyKey != null) {
      const claim = await claimIdempotencyKey<IngestResult>(trx, context.dialect, request);
      if (claim.kind === 'refused') return claim.outcome;
      if (claim.kind === 'replay') return success({ replay: claim.response });
    }
    for (let start = 0; start < rows.length; start += 500) {
      await context.dialect.upsert(trx, kind.table, rows.slice(start, start + 500), {
        conflict: kind.conflict,
        update: kind.update,
      });
    }
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      { action: kind.action, schoolId: school.value, records: rows.length, students: students.size },
      now,
    );
    if (idempotencyKey != null) {
      await completeIdempotencyKey(trx, request, {
        recorded: rows.length,
        studentsRecomputed: 0,
        alertsRaised: 0,
        alertsResolved: 0,
      });
    }
    return success({ replay: null });
  });
  if (!applied.ok) return applied;
  if (applied.value.replay) return success(applied.value.replay);

  const touched = [...new Map([...students.values()].map((student) => [student.id, student])).values()];
  for (const student of touched) options.touched?.set(student.id, student);
  if (options.recompute === false) {
    return success({ recorded: rows.length, studentsRecomputed: 0, alertsRaised: 0, alertsResolved: 0 });
  }
  const summary = await recomputeStudents(
    { db, dialect: context.dialect, rules: context.rules, actor: context.actor, now },
    touched,
  );
  const result = {
    recorded: rows.length,
    studentsRecomputed: summary.students,
    alertsRaised: summary.alertsRaised,
    alertsResolved: summary.alertsResolved,
  };
  if (idempotencyKey != null) {
    // A retry returns the whole first result, recomputation included.
    await completeIdempotencyKey(db, { principal: `token:${token.tokenId}`, key: idempotencyKey }, result);
  }
  return success(result);
}

const CODE = /^[A-Z][A-Z0-9_]{0,49}$/;

export const ATTENDANCE: IngestKind<{ studentExternalId: string; date: string; status: string }, 'attendance_records'> =
  {
    operation: 'recordAttendance',
    action: 'attendance.recorded',
    table: 'attendance_records',
    conflict: ['student_id', 'date'],
    update: ['status', 'recorded_at', 'school_id'],
    keyOf: (record) => `${record.studentExternalId}|${record.date}`,
    studentOf: (record) => record.studentExternalId,
    check: (record, student, { today, recordedAt }) =>
      record.date > today
        ? [{ field: 'date', message: 'date is in the future; record days that have happened.' }]
        : {
            student_id: student.id,
            date: record.date,
            school_id: student.school_id,
            status: record.status,
            recorded_at: recordedAt,
          },
  };

export const BEHAVIOUR: IngestKind<
  {
    externalId: string;
    studentExternalId: string;
    occurredOn: string;
    category: string;
    severity: string;
    suspensionDays?: number | null;
    description?: string | null;
  },
  'behaviour_incidents'
> = {
  operation: 'recordBehaviourIncidents',
  action: 'behaviour.recorded',
  table: 'behaviour_incidents',
  conflict: ['school_id', 'external_id'],
  update: ['student_id', 'occurred_on', 'category', 'severity', 'suspension_days', 'description'],
  keyOf: (record) => record.externalId,
  studentOf: (record) => record.studentExternalId,
  check: (record, student, { today, recordedAt }) => {
    const problems: { field: string; message: string }[] = [];
    if (!record.externalId.trim() || record.externalId.length > 64) {
      problems.push({ field: 'externalId', message: 'externalId must be 1 to 64 characters.' });
    }
    if (record.occurredOn > today)
      problems.push({
        field: 'occurredOn',
        message: 'occurredOn is in the future; record incidents that have happened.',
      });
    if (!CODE.test(record.category)) {
      problems.push({ field: 'category', message: 'category must be capitals, digits and _, such as DISRUPTION.' });
    }
    const suspension = record.suspensionDays ?? 0;
    if (!Number.isInteger(suspension) || suspension < 0 || suspension > 60) {
      problems.push({ field: 'suspensionDays', message: 'suspensionDays must be a whole number from 0 to 60.' });
    }
    if ((record.description?.length ?? 0) > 1000) {
      problems.push({ field: 'description', message: 'description is longer than 1,000 characters.' });
    }
    if (problems.length > 0) return problems;
    return {
      school_id: student.school_id,
      student_id: student.id,
      external_id: record.externalId,
      occurred_on: record.occurredOn,
      category: record.category,
      severity: record.severity,
      suspension_days: suspension,
      description: record.description ?? null,
      reported_by: null,
      created_at: recordedAt,
    };
  },
};

export const ASSESSMENTS: IngestKind<
  {
    studentExternalId: string;
    subject: string;
    term: string;
    score?: number | null;
    grade?: string | null;
    passing: boolean;
  },
  'assessment_results'
> = {
  operation: 'recordAssessmentResults',
  action: 'assessments.recorded',
  table: 'assessment_results',
  conflict: ['student_id', 'term_code', 'subject'],
  update: ['score', 'grade', 'passing', 'recorded_at', 'school_id'],
  keyOf: (record) => `${record.studentExternalId}|${record.subject}|${record.term}`,
  studentOf: (record) => record.studentExternalId,
  check: (record, student, { recordedAt }) => {
    const problems: { field: string; message: string }[] = [];
    if (!CODE.test(record.subject))
      problems.push({ field: 'subject', message: 'subject must be capitals, digits and _, such as MATHS.' });
    if (!/^\d{4}-[A-Z]{2,4}$/.test(record.term))
      problems.push({
        field: 'term',
        message: 'term must be a term code: a year, a hyphen and 2 to 4 capitals, as YYYY-AUT.',
      });
    if (record.score != null && !(record.score >= 0 && record.score <= 100)) {
      problems.push({ field: 'score', message: 'score must be from 0 to 100.' });
    }
    if ((record.grade?.length ?? 0) > 8)
      problems.push({ field: 'grade', message: 'grade is longer than 8 characters.' });
    if (problems.length > 0) return problems;
    return {
      school_id: student.school_id,
      student_id: student.id,
      subject: record.subject,
      term_code: record.term,
      score: record.score ?? null,
      grade: record.grade ?? null,
      passing: record.passing ? 1 : 0,
      recorded_at: recordedAt,
    };
  },
};
