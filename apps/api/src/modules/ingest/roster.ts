/** Roster sync: students created or updated by their information-system id, all of a batch or none. */
import { toDateOnly, toTimestamp } from '@pastoral/db';
import {
  failure,
  inTransaction,
  type Outcome,
  requireText,
  success,
  type UserError,
  userError,
} from '../../graphql/mutations.ts';
import { appendAuditEntry } from '../audit-log/audit.writer.ts';
import { classroomsOfSchool } from '../classrooms/classroom.repository.ts';
import { claimIdempotencyKey, completeIdempotencyKey } from '../idempotency/idempotency.ts';
import { enrolmentsByExternalId } from '../students/student.repository.ts';
import { type IngestContext, MAX_RECORDS_PER_CALL, resolveSchool } from './ingest.ts';

export interface StudentRecord {
  externalId: string;
  givenName: string;
  familyName: string;
  dateOfBirth?: string | null;
  classroomName: string;
  isActive?: boolean | null;
}

export async function upsertStudents(
  context: IngestContext,
  input: { schoolCode?: string | null; records: StudentRecord[]; idempotencyKey?: string | null },
  options: { dryRun?: boolean } = {},
): Promise<Outcome<{ created: number; updated: number }>> {
  const { db, now, token } = context;
  const { records, idempotencyKey } = input;
  if (records.length === 0 || records.length > MAX_RECORDS_PER_CALL) {
    return failure(
      userError(
        'INVALID',
        `records takes 1 to 1,000 records (got ${records.length.toLocaleString('en-GB')}); send them in batches.`,
        ['input', 'records'],
      ),
    );
  }
  const school = await resolveSchool(db, token, input.schoolCode);
  if (!school.ok) return school;
  const classrooms = new Map(
    (await classroomsOfSchool(db, school.value)).map((classroom) => [classroom.name, classroom]),
  );
  const today = toDateOnly(now);
  const errors: UserError[] = [];
  const seen = new Map<string, number>();
  const rows = records.flatMap((record, index) => {
    const path = (field: string) => ['input', 'records', String(index), field];
    const before = errors.length;
    const externalId = requireText(record.externalId, path('externalId'), 64);
    const givenName = requireText(record.givenName, path('givenName'), 100);
    const familyName = requireText(record.familyName, path('familyName'), 100);
    for (const checked of [externalId, givenName, familyName]) if (!checked.ok) errors.push(...checked.userErrors);
    const classroom = classrooms.get(record.classroomName.trim());
    if (!classroom)
      errors.push(userError('NOT_FOUND', 'No classroom of this school has this name.', path('classroomName')));
    if (record.dateOfBirth && record.dateOfBirth >= today) {
      errors.push(userError('INVALID', 'dateOfBirth must be in the past.', path('dateOfBirth')));
    }
    const earlier = seen.get(record.externalId);
    if (earlier !== undefined)
      errors.push(
        userError('DUPLICATE', `The same student as records[${earlier}]; send each once.`, path('externalId')),
      );
    seen.set(record.externalId, index);
    if (errors.length > before || !externalId.ok || !givenName.ok || !familyName.ok || !classroom) return [];
    const active = record.isActive ?? true;
    return [
      {
        school_id: school.value,
        classroom_id: classroom.id,
        external_id: externalId.value,
        given_name: givenName.value,
        family_name: familyName.value,
        full_name: `${givenName.value} ${familyName.value}`,
        date_of_birth: record.dateOfBirth ?? null,
        year_group: classroom.year_group,
        is_active: active ? (1 as const) : (0 as const),
        enrolled_on: today,
        left_on: active ? null : today,
        created_at: toTimestamp(now),
        updated_at: toTimestamp(now),
      },
    ];
  });
  if (errors.length > 0) return { ok: false, userErrors: errors };
  if (options.dryRun) return success({ created: 0, updated: rows.length });

  return inTransaction(db, async (trx) => {
    const request = {
      principal: `token:${token.tokenId}`,
      key: idempotencyKey ?? '',
      operation: 'upsertStudents',
      input: { schoolCode: input.schoolCode ?? null, records },
      schoolId: school.value,
      now,
    };
    if (idempotencyKey != null) {
      const claim = await claimIdempotencyKey<{ created: number; updated: number }>(trx, context.dialect, request);
      if (claim.kind === 'refused') return claim.outcome;
      if (claim.kind === 'replay') return success(claim.response);
    }
    const existing = await enrolmentsByExternalId(
      trx,
      school.value,
      rows.map((row) => row.external_id),
    );
    const known = new Map(existing.map((row) => [row.external_id, row]));
    // A student who left keeps the day they left; one who returns is active again.
    const prepared = rows.map((row) => {
      const before = known.get(row.external_id);
      return before && row.is_active === 0 && before.is_active === 0 ? { ...row, left_on: before.left_on } : row;
    });
    await context.dialect.upsert(trx, 'students', prepared, {
      conflict: ['school_id', 'external_id'],
      update: [
        'classroom_id',
        'given_name',
        'family_name',
        'full_name',
        'date_of_birth',
        'year_group',
        'is_active',
        'left_on',
        'updated_at',
      ],
    });
    const result = { created: rows.length - known.size, updated: known.size };
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      { action: 'roster.upserted', schoolId: school.value, ...result },
      now,
    );
    if (idempotencyKey != null) await completeIdempotencyKey(trx, request, result);
    return success(result);
  });
}
