/**
 * CSV import for schools without an integrator: the same validation and upsert as the API, streamed in
 * batches of 1,000 (constant memory however long the file), a report of every rejected line by its number,
 * and one risk recompute of the students touched at the end.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { parse } from 'csv-parse';
import { type EngineDialect, type Database, API_TOKEN_SCOPES } from '@pastoral/db';
import type { Kysely } from 'kysely';
import type { AuditActor } from '../audit-log/audit.writer.ts';
import { recomputeStudents, type StudentRef, RECOMPUTE_BATCH_SIZE } from '../risk/risk.engine.ts';
import type { RiskRules } from '../risk/risk.rules.ts';
import { schoolCodeOf } from '../schools/school.repository.ts';
import type { Outcome } from '../../graphql/mutations.ts';
import { upsertStudents } from './roster.ts';
import {
  ASSESSMENTS,
  ATTENDANCE,
  BEHAVIOUR,
  ingest,
  type IngestContext,
  type IngestKind,
  MAX_RECORDS_PER_CALL,
} from './ingest.ts';

export const IMPORT_KINDS = ['students', 'attendance', 'behaviour', 'assessments'] as const;
export type ImportKind = (typeof IMPORT_KINDS)[number];

type Row = Record<string, string>;

interface CsvMapping {
  columns: string[];
  required: string[];
  /** Applies (or with dryRun, validates) a batch the way the API does. */
  submit: (
    context: IngestContext,
    records: Record<string, unknown>[],
    options: { dryRun: boolean; touched: Map<number, StudentRef> },
  ) => Promise<Outcome<{ recorded: number }>>;
  toRecord: (row: Row) => Record<string, unknown>;
}

function viaIngest(kind: IngestKind<never, never>): CsvMapping['submit'] {
  return (context, records, options) =>
    ingest(
      context,
      kind,
      { records: records as never[] },
      { dryRun: options.dryRun, recompute: false, touched: options.touched },
    );
}

const optionalNumber = (value: string | undefined) => (value === undefined || value === '' ? null : Number(value));

const MAPPINGS: Record<ImportKind, CsvMapping> = {
  students: {
    columns: ['external_id', 'given_name', 'family_name', 'date_of_birth', 'classroom', 'is_active'],
    required: ['external_id', 'given_name', 'family_name', 'classroom'],
    submit: async (context, records, options) => {
      const outcome = await upsertStudents(context, { records: records as never[] }, { dryRun: options.dryRun });
      return outcome.ok ? { ok: true, value: { recorded: outcome.value.created + outcome.value.updated } } : outcome;
    },
    toRecord: (row) => ({
      externalId: row.external_id,
      givenName: row.given_name,
      familyName: row.family_name,
      dateOfBirth: row.date_of_birth || null,
      classroomName: row.classroom,
      isActive:
        row.is_active === undefined || row.is_active === ''
          ? true
          : ['true', '1'].includes(row.is_active.toLowerCase()),
    }),
  },
  attendance: {
    columns: ['student_external_id', 'date', 'status'],
    required: ['student_external_id', 'date', 'status'],
    submit: viaIngest(ATTENDANCE as unknown as IngestKind<never, never>),
    toRecord: (row) => ({ studentExternalId: row.student_external_id, date: row.date, status: row.status }),
  },
  behaviour: {
    columns: [
      'external_id',
      'student_external_id',
      'occurred_on',
      'category',
      'severity',
      'suspension_days',
      'description',
    ],
    required: ['external_id', 'student_external_id', 'occurred_on', 'category', 'severity'],
    submit: viaIngest(BEHAVIOUR as unknown as IngestKind<never, never>),
    toRecord: (row) => ({
      externalId: row.external_id,
      studentExternalId: row.student_external_id,
      occurredOn: row.occurred_on,
      category: row.category,
      severity: row.severity,
      suspensionDays: optionalNumber(row.suspension_days),
      description: row.description || null,
    }),
  },
  assessments: {
    columns: ['student_external_id', 'subject', 'term', 'score', 'grade', 'passing'],
    required: ['student_external_id', 'subject', 'term', 'passing'],
    submit: viaIngest(ASSESSMENTS as unknown as IngestKind<never, never>),
    toRecord: (row) => ({
      studentExternalId: row.student_external_id,
      subject: row.subject,
      term: row.term,
      score: optionalNumber(row.score),
      grade: row.grade || null,
      passing: row.passing,
    }),
  },
};

export interface RejectedLine {
  line: number;
  field: string | null;
  message: string;
}

export interface ImportSummary {
  lines: number;
  applied: number;
  rejected: number;
  studentsRecomputed: number;
  alertsRaised: number;
}

export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** A real calendar date as YYYY-MM-DD (2026-13-01 and 2026-02-30 are not). */
function isCalendarDate(value: string | undefined): boolean {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

/** What the GraphQL layer would have refused before the resolver (enum values, dates, numbers, booleans). */
function checkTypes(kind: ImportKind, row: Row, record: Record<string, unknown>): RejectedLine[] {
  const problems: RejectedLine[] = [];
  const problem = (field: string, message: string) => problems.push({ line: 0, field, message });
  if (kind === 'students' && row.date_of_birth && !isCalendarDate(row.date_of_birth)) {
    problem('date_of_birth', 'date_of_birth must be a calendar date as YYYY-MM-DD.');
  }
  if (kind === 'attendance') {
    if (!isCalendarDate(row.date)) problem('date', 'date must be a calendar date as YYYY-MM-DD.');
    if (!['PRESENT', 'LATE', 'ABSENT_AUTHORISED', 'ABSENT_UNAUTHORISED'].includes(row.status ?? '')) {
      problem('status', 'status must be PRESENT, LATE, ABSENT_AUTHORISED or ABSENT_UNAUTHORISED.');
    }
  }
  if (kind === 'behaviour') {
    if (!isCalendarDate(row.occurred_on)) problem('occurred_on', 'occurred_on must be a calendar date as YYYY-MM-DD.');
    if (!['MINOR', 'MAJOR'].includes(row.severity ?? '')) problem('severity', 'severity must be MINOR or MAJOR.');
    if (record.suspensionDays !== null && !Number.isFinite(record.suspensionDays))
      problem('suspension_days', 'suspension_days must be a number.');
  }
  if (kind === 'assessments') {
    if (record.score !== null && !Number.isFinite(record.score)) problem('score', 'score must be a number.');
    if (!['true', 'false', '1', '0'].includes((row.passing ?? '').toLowerCase()))
      problem('passing', 'passing must be true or false.');
    else record.passing = ['true', '1'].includes(row.passing!.toLowerCase());
  }
  return problems;
}

export async function importCsv(
  options: {
    db: Kysely<Database>;
    dialect: EngineDialect;
    rules: RiskRules;
    now: Date;
    kind: ImportKind;
    file: string;
    schoolId: number;
    dryRun: boolean;
  },
  report: { rejected: (line: RejectedLine) => void; progress: (lines: number) => void },
): Promise<ImportSummary> {
  const mapping = MAPPINGS[options.kind];
  const school = await schoolCodeOf(options.db, options.schoolId);
  if (!school) throw new ImportFileError(`No school has the id ${options.schoolId}.`);
  const actor: AuditActor = { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null };
  const context: IngestContext = {
    db: options.db,
    dialect: options.dialect,
    // The command acts for the school with every write scope, as the operator who runs it may.
    token: { tokenId: 0, schoolId: options.schoolId, scopes: [...API_TOKEN_SCOPES] },
    actor,
    rules: options.rules,
    now: options.now,
  };
  const touched = new Map<number, StudentRef>();
  const summary: ImportSummary = { lines: 0, applied: 0, rejected: 0, studentsRecomputed: 0, alertsRaised: 0 };
  const reject = (line: RejectedLine) => {
    summary.rejected++;
    report.rejected(line);
  };

  let batch: { line: number; record: Record<string, unknown> }[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const submitOptions = { dryRun: options.dryRun, touched };
    let outcome = await mapping.submit(
      context,
      batch.map((entry) => entry.record),
      submitOptions,
    );
    if (!outcome.ok) {
      // Report the bad lines, then apply the rest: a file is not refused whole for a few bad lines.
      const bad = new Set<number>();
      for (const error of outcome.userErrors) {
        const index = Number(error.field?.[2]);
        if (!Number.isInteger(index)) throw new ImportFileError(error.message);
        bad.add(index);
        reject({ line: batch[index]!.line, field: error.field?.[3] ?? null, message: error.message });
      }
      const good = batch.filter((_, index) => !bad.has(index));
      outcome = good.length
        ? await mapping.submit(
            context,
            good.map((entry) => entry.record),
            submitOptions,
          )
        : { ok: true, value: { recorded: 0 } };
      if (!outcome.ok) throw new ImportFileError(outcome.userErrors[0]?.message ?? 'The batch was refused.');
    }
    summary.applied += outcome.value.recorded;
    batch = [];
  };

  await refuseUtf16(options.file);
  const parser = createReadStream(options.file).pipe(
    parse({
      bom: true,
      trim: true,
      skip_empty_lines: true,
      relax_column_count: true,
      info: true,
      columns: (header: string[]) => {
        const missing = mapping.required.filter((column) => !header.includes(column));
        if (missing.length > 0) {
          throw new ImportFileError(
            `The file has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}; its first line must name the columns: ${mapping.columns.join(',')}.`,
          );
        }
        return header;
      },
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Row; info: { lines: number } }>) {
      summary.lines++;
      const line = info.lines;
      if (Object.values(record).some((value) => value.includes('\uFFFD'))) {
        reject({ line, field: null, message: 'The line is not valid UTF-8; save the file as UTF-8.' });
        continue;
      }
      const converted = mapping.toRecord(record);
      const problems = checkTypes(options.kind, record, converted);
      if (problems.length > 0) {
        for (const problem of problems) reject({ ...problem, line });
        continue;
      }
      batch.push({ line, record: converted });
      if (batch.length === MAX_RECORDS_PER_CALL) await flush();
      if (summary.lines % 10_000 === 0) report.progress(summary.lines);
    }
    await flush();
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    const cause = (error as { cause?: unknown }).cause;
    if (cause instanceof ImportFileError) throw cause;
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT') throw new ImportFileError(`No file ${options.file}.`);
    if (code?.startsWith('CSV_')) throw new ImportFileError(`The file is not valid CSV: ${(error as Error).message}`);
    throw error;
  }

  if (!options.dryRun) {
    const students = [...touched.values()];
    for (let start = 0; start < students.length; start += RECOMPUTE_BATCH_SIZE) {
      const result = await recomputeStudents(
        { db: options.db, dialect: options.dialect, rules: options.rules, actor, now: options.now },
        students.slice(start, start + RECOMPUTE_BATCH_SIZE),
      );
      summary.studentsRecomputed += result.students;
      summary.alertsRaised += result.alertsRaised;
    }
  }
  return summary;
}

/**
 * Excel's "Unicode text" and some exports are UTF-16: read as UTF-8, every line would be refused, and the header
 * reported as missing its columns. Said once, up front, with what to do instead.
 */
async function refuseUtf16(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return; // A missing file is reported where the file is read.
  }
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(64), 0, 64, 0);
    const start = buffer.subarray(0, bytesRead);
    const bom = (start[0] === 0xff && start[1] === 0xfe) || (start[0] === 0xfe && start[1] === 0xff);
    if (bom || start.includes(0)) {
      throw new ImportFileError('The file is UTF-16, not UTF-8; save it as "CSV UTF-8" and import it again.');
    }
  } finally {
    await handle.close();
  }
}
