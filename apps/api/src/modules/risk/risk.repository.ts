/**
 * The facts the risk rules need, read set-based for a batch of students (three statements per batch), and the
 * engine's side of the alerts: those it holds open per indicator, who gets a new one, a band raised, one resolved.
 */
import type { Database, RiskProfile } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import { bySchoolKeys, type SchoolKey } from '../../school-scope.ts';

export interface AttendanceFacts {
  attended: number;
  recorded: number;
}

/** Each student's last `windowSchoolDays` attendance records: how many, and how many attended. */
export async function attendanceFacts(
  db: Kysely<Database>,
  students: readonly SchoolKey[],
  windowSchoolDays: number,
): Promise<Map<number, AttendanceFacts>> {
  const ranked = db
    .selectFrom('attendance_records')
    .select([
      'student_id',
      'status',
      sql<number>`row_number() over (partition by student_id order by ${sql.ref('date')} desc)`.as('recency'),
    ])
    .where(bySchoolKeys('attendance_records', students, 'student_id'))
    .as('ranked');
  const rows = await db
    .selectFrom(ranked)
    .select([
      'ranked.student_id',
      sql<number>`sum(case when ranked.status in ('PRESENT', 'LATE') then 1 else 0 end)`.as('attended'),
      sql<number>`count(*)`.as('recorded'),
    ])
    .where('ranked.recency', '<=', windowSchoolDays)
    .groupBy('ranked.student_id')
    .execute();
  return new Map(
    rows.map((row) => [row.student_id, { attended: Number(row.attended), recorded: Number(row.recorded) }]),
  );
}

export interface BehaviourFacts {
  minor: number;
  major: number;
  suspensions: number;
}

/** Each student's incidents after `since` and on or before `until` (dates). */
export async function behaviourFacts(
  db: Kysely<Database>,
  students: readonly SchoolKey[],
  since: string,
  until: string,
): Promise<Map<number, BehaviourFacts>> {
  const rows = await db
    .selectFrom('behaviour_incidents')
    .select([
      'student_id',
      sql<number>`sum(case when severity = 'MINOR' then 1 else 0 end)`.as('minor'),
      sql<number>`sum(case when severity = 'MAJOR' then 1 else 0 end)`.as('major'),
      sql<number>`sum(case when suspension_days > 0 then 1 else 0 end)`.as('suspensions'),
    ])
    .where(bySchoolKeys('behaviour_incidents', students, 'student_id'))
    .where('occurred_on', '>', since)
    .where('occurred_on', '<=', until)
    .groupBy('student_id')
    .execute();
  return new Map(
    rows.map((row) => [
      row.student_id,
      { minor: Number(row.minor), major: Number(row.major), suspensions: Number(row.suspensions) },
    ]),
  );
}

/** The subjects each student is failing in a term. */
export async function failingSubjects(
  db: Kysely<Database>,
  students: readonly SchoolKey[],
  termCode: string | null,
): Promise<Map<number, string[]>> {
  if (termCode === null) return new Map();
  const rows = await db
    .selectFrom('assessment_results')
    .select(['student_id', 'subject'])
    .where(bySchoolKeys('assessment_results', students, 'student_id'))
    .where('term_code', '=', termCode)
    .where('passing', '=', 0)
    .orderBy('student_id')
    .orderBy('subject')
    .execute();
  const bySubject = new Map<number, string[]>();
  for (const row of rows) bySubject.set(row.student_id, [...(bySubject.get(row.student_id) ?? []), row.subject]);
  return bySubject;
}

export async function currentProfiles(
  db: Kysely<Database>,
  students: readonly SchoolKey[],
): Promise<Map<number, RiskProfile>> {
  const rows = await db
    .selectFrom('risk_profiles')
    .selectAll()
    .where(bySchoolKeys('risk_profiles', students, 'student_id'))
    .execute();
  return new Map(rows.map((row) => [row.student_id, row]));
}

/**
 * Copies each student's new overall level onto their row (students.risk_level), which the roster reads its risk
 * order from: one UPDATE per level present, touching only the rows whose copy differs.
 */
export async function setStudentRiskLevels(
  trx: Kysely<Database>,
  profiles: readonly { school_id: number; student_id: number; level: number }[],
): Promise<void> {
  const byLevel = new Map<number, SchoolKey[]>();
  for (const profile of profiles) {
    const keys = byLevel.get(profile.level) ?? [];
    keys.push({ schoolId: profile.school_id, id: profile.student_id });
    byLevel.set(profile.level, keys);
  }
  for (const [level, keys] of byLevel) {
    await trx
      .updateTable('students')
      .set({ risk_level: level })
      .where(bySchoolKeys('students', keys))
      .where('risk_level', '<>', level)
      .execute();
  }
}

/** A school's active students in id order, from `afterId` on: the engine's batches. */
export async function activeStudentBatch(
  db: Kysely<Database>,
  options: { schoolId: number; afterId: number; limit: number },
) {
  return db
    .selectFrom('students')
    .select(['id', 'school_id', 'classroom_id'])
    .where('school_id', '=', options.schoolId)
    .where('is_active', '=', 1)
    .where('id', '>', options.afterId)
    .orderBy('id')
    .limit(options.limit)
    .execute();
}

/** Every school's id, in order: the district's recomputation goes school by school. */
export async function allSchoolIds(db: Kysely<Database>): Promise<number[]> {
  return (await db.selectFrom('schools').select('id').orderBy('id').execute()).map((school) => school.id);
}

/** The students' alerts the engine keeps (at most one open alert per student and indicator). */
export async function openIndicatorAlerts(db: Kysely<Database>, students: readonly SchoolKey[]) {
  return db
    .selectFrom('alerts')
    .select(['id', 'school_id', 'student_id', 'open_indicator', 'severity', 'assigned_to'])
    .where(bySchoolKeys('alerts', students, 'student_id'))
    .where('open_indicator', 'is not', null)
    .execute();
}

/** The form masters of classrooms, by assignment (the first assigned first): whom a raised alert goes to. */
export async function formMasterAssignments(db: Kysely<Database>, classrooms: readonly SchoolKey[]) {
  return db
    .selectFrom('classroom_assignments')
    .select(['classroom_id', 'user_id'])
    .where(bySchoolKeys('classroom_assignments', classrooms, 'classroom_id'))
    .where('kind', '=', 'FORM_MASTER')
    .orderBy('id')
    .execute();
}

/** Resolves an alert whose indicator is back on track; it no longer holds its indicator open. */
export async function resolveIndicatorAlert(db: Kysely<Database>, alert: SchoolKey, timestamp: string): Promise<void> {
  await db
    .updateTable('alerts')
    .set({ status: 'RESOLVED', open_indicator: null, closed_at: timestamp, updated_at: timestamp })
    .where(bySchoolKeys('alerts', [alert]))
    .execute();
}

/** Raises an open alert into a worse band, with the reason and facts of the band. */
export async function raiseAlertBand(
  db: Kysely<Database>,
  alert: SchoolKey,
  band: { severity: number; reason: string; facts: string },
  timestamp: string,
): Promise<void> {
  await db
    .updateTable('alerts')
    .set({ severity: band.severity, reason: band.reason, facts: band.facts, updated_at: timestamp })
    .where(bySchoolKeys('alerts', [alert]))
    .execute();
}
