/**
 * The risk engine: reads a batch of students' records set-based, applies the rules, stores each profile with
 * the rules' version, and turns indicator changes into alerts:
 * - an indicator moving into a worse band raises an alert of its type and band, assigned to the student's form
 *   master, or raises the band of the open alert it already has (at most one open alert per indicator);
 * - an indicator back at ON_TRACK resolves its open alert.
 * Every batch is one transaction, with its audit entries.
 */
import {
  type Database,
  type EngineDialect,
  type RiskProfile,
  type RiskProfileTable,
  TABLE_COLUMNS,
  toDateOnly,
  toTimestamp,
} from '@pastoral/db';
import type { Insertable, Kysely, Transaction } from 'kysely';
import { schoolKeyOf } from '../../school-scope.ts';
import { insertAlert } from '../alerts/alert.repository.ts';
import { type AuditActor, appendAuditEntry } from '../audit-log/audit.writer.ts';
import { currentTermCode } from '../students/student.repository.ts';
import {
  activeStudentBatch,
  allSchoolIds,
  attendanceFacts,
  behaviourFacts,
  currentProfiles,
  failingSubjects,
  formMasterAssignments,
  openIndicatorAlerts,
  raiseAlertBand,
  resolveIndicatorAlert,
  setStudentRiskLevels,
} from './risk.repository.ts';
import { assessRisk, type Indicator, type RiskAssessment, type RiskIndicators, type RiskRules } from './risk.rules.ts';

export interface StudentRef {
  id: number;
  school_id: number;
  classroom_id: number;
}

export interface RecomputeSummary {
  students: number;
  /** Students whose overall level changed. */
  levelChanged: number;
  alertsRaised: number;
  alertsRaisedInBand: number;
  alertsResolved: number;
}

const INDICATORS: { indicator: Indicator; level: (a: RiskAssessment) => number; column: keyof RiskProfile }[] = [
  { indicator: 'ATTENDANCE', level: (a) => a.attendanceLevel, column: 'attendance_level' },
  { indicator: 'BEHAVIOUR', level: (a) => a.behaviourLevel, column: 'behaviour_level' },
  { indicator: 'ACADEMIC', level: (a) => a.courseworkLevel, column: 'coursework_level' },
];

export const RECOMPUTE_BATCH_SIZE = 1_000;

const DAY_MS = 86_400_000;

function emptySummary(): RecomputeSummary {
  return { students: 0, levelChanged: 0, alertsRaised: 0, alertsRaisedInBand: 0, alertsResolved: 0 };
}

function add(total: RecomputeSummary, part: RecomputeSummary): RecomputeSummary {
  return {
    students: total.students + part.students,
    levelChanged: total.levelChanged + part.levelChanged,
    alertsRaised: total.alertsRaised + part.alertsRaised,
    alertsRaisedInBand: total.alertsRaisedInBand + part.alertsRaisedInBand,
    alertsResolved: total.alertsResolved + part.alertsResolved,
  };
}

export interface EngineContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  rules: RiskRules;
  actor: AuditActor;
  now: Date;
}

/** Recomputes some students (those an ingest touched): one batch, one transaction. */
export async function recomputeStudents(context: EngineContext, students: StudentRef[]): Promise<RecomputeSummary> {
  if (students.length === 0) return emptySummary();
  const { db, rules, now } = context;
  const keys = students.map((student) => ({ schoolId: student.school_id, id: student.id }));
  const today = toDateOnly(now);
  const [attendance, behaviour, term, previous] = await Promise.all([
    attendanceFacts(db, keys, rules.attendance.windowSchoolDays),
    behaviourFacts(db, keys, toDateOnly(new Date(now.getTime() - rules.behaviour.windowDays * DAY_MS)), today),
    currentTermCode(db, today),
    currentProfiles(db, keys),
  ]);
  const failing = await failingSubjects(db, keys, term);

  const assessed = students.map((student) => {
    const facts = attendance.get(student.id);
    const incidents = behaviour.get(student.id) ?? { minor: 0, major: 0, suspensions: 0 };
    const indicators: RiskIndicators = {
      attendanceRate: facts && facts.recorded > 0 ? facts.attended / facts.recorded : null,
      attendanceDays: facts?.recorded ?? 0,
      minorIncidents: incidents.minor,
      majorIncidents: incidents.major,
      suspensions: incidents.suspensions,
      failingSubjects: failing.get(student.id) ?? [],
    };
    return { student, indicators, assessment: assessRisk(indicators, rules), before: previous.get(student.id) };
  });

  return db.transaction().execute(async (trx) => {
    const summary = emptySummary();
    summary.students = students.length;
    const computedAt = toTimestamp(now);
    const profiles: Insertable<RiskProfileTable>[] = assessed.map(({ student, indicators, assessment, before }) => {
      const level = assessment.level;
      if (before && before.level !== level) summary.levelChanged++;
      const worsened = !before ? level > 0 : level > before.level;
      return {
        student_id: student.id,
        school_id: student.school_id,
        level,
        attendance_level: assessment.attendanceLevel,
        behaviour_level: assessment.behaviourLevel,
        coursework_level: assessment.courseworkLevel,
        attendance_rate: indicators.attendanceRate,
        attendance_days: indicators.attendanceDays,
        minor_incidents: indicators.minorIncidents,
        major_incidents: indicators.majorIncidents,
        suspensions: indicators.suspensions,
        failing_subjects: indicators.failingSubjects.length,
        failing_core_subjects: assessment.failingCoreSubjects,
        reasons: JSON.stringify(assessment.reasons),
        rules_version: rules.version,
        computed_at: computedAt,
        previous_level: !before || before.level === level ? (before?.previous_level ?? null) : before.level,
        worsened_at: worsened ? computedAt : (before?.worsened_at ?? null),
      };
    });
    for (let start = 0; start < profiles.length; start += 500) {
      await context.dialect.upsert(trx, 'risk_profiles', profiles.slice(start, start + 500), {
        conflict: ['student_id'],
        // Every column but the key.
        update: TABLE_COLUMNS.risk_profiles.filter((column) => column !== 'student_id'),
      });
    }
    await setStudentRiskLevels(trx, profiles);
    await applyAlertChanges(trx, context, assessed, summary);
    const schools = new Set(students.map((student) => student.school_id));
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      {
        action: 'risk.recomputed',
        schoolId: schools.size === 1 ? students[0]!.school_id : null,
        students: summary.students,
        levelChanged: summary.levelChanged,
        rulesVersion: rules.version,
      },
      now,
    );
    return summary;
  });
}

async function applyAlertChanges(
  trx: Transaction<Database>,
  context: EngineContext,
  assessed: { student: StudentRef; indicators: RiskIndicators; assessment: RiskAssessment; before?: RiskProfile }[],
  summary: RecomputeSummary,
): Promise<void> {
  const { dialect, actor, now } = context;
  const students = assessed.map(({ student }) => ({ schoolId: student.school_id, id: student.id }));
  const open = await openIndicatorAlerts(trx, students);
  const openByKey = new Map(open.map((alert) => [`${alert.student_id}:${alert.open_indicator}`, alert]));
  const classrooms = assessed.map(({ student }) => ({ schoolId: student.school_id, id: student.classroom_id }));
  const formMasters = await formMasterAssignments(trx, classrooms);
  const formMasterOf = new Map<number, number>();
  for (const row of formMasters)
    if (!formMasterOf.has(row.classroom_id)) formMasterOf.set(row.classroom_id, row.user_id);

  const timestamp = toTimestamp(now);
  for (const { student, indicators, assessment, before } of assessed) {
    for (const { indicator, level, column } of INDICATORS) {
      const band = level(assessment);
      const previousBand = before ? Number(before[column]) : 0;
      const existing = openByKey.get(`${student.id}:${indicator}`);
      const reason = assessment.reasons.find((r) => r.indicator === indicator)?.text ?? '';
      const facts = JSON.stringify(factsOf(indicator, indicators));
      if (band === 0) {
        if (!existing) continue;
        await resolveIndicatorAlert(trx, schoolKeyOf(existing), timestamp);
        summary.alertsResolved++;
        await appendAuditEntry(
          trx,
          dialect,
          actor,
          {
            action: 'alert.resolved',
            schoolId: student.school_id,
            alertId: existing.id,
            studentId: student.id,
            assignees: [existing.assigned_to],
          },
          now,
        );
        continue;
      }
      // Only a move into a worse band raises: a student who stays in a band is not alerted again.
      if (band <= previousBand) continue;
      if (existing) {
        if (band <= existing.severity) continue;
        await raiseAlertBand(trx, schoolKeyOf(existing), { severity: band, reason, facts }, timestamp);
        summary.alertsRaisedInBand++;
        await appendAuditEntry(
          trx,
          dialect,
          actor,
          {
            action: 'alert.band_raised',
            schoolId: student.school_id,
            alertId: existing.id,
            studentId: student.id,
            severity: band,
            assignees: [existing.assigned_to],
          },
          now,
        );
        continue;
      }
      const assignee = formMasterOf.get(student.classroom_id) ?? null;
      const alertId = await insertAlert(
        trx,
        {
          school_id: student.school_id,
          student_id: student.id,
          type: indicator,
          severity: band,
          alert_date: toDateOnly(now),
          reason,
          facts,
          assigned_to: assignee,
          raised_by: null,
          open_indicator: indicator,
        },
        timestamp,
      );
      summary.alertsRaised++;
      await appendAuditEntry(
        trx,
        dialect,
        actor,
        {
          action: 'alert.raised',
          schoolId: student.school_id,
          alertId,
          studentId: student.id,
          severity: band,
          assignees: [assignee],
        },
        now,
      );
    }
  }
}

function factsOf(indicator: Indicator, indicators: RiskIndicators): Record<string, unknown> {
  switch (indicator) {
    case 'ATTENDANCE':
      return {
        attendanceRate: indicators.attendanceRate === null ? null : Math.round(indicators.attendanceRate * 1000) / 1000,
        schoolDays: indicators.attendanceDays,
      };
    case 'BEHAVIOUR':
      return {
        minorIncidents: indicators.minorIncidents,
        majorIncidents: indicators.majorIncidents,
        suspensions: indicators.suspensions,
      };
    case 'ACADEMIC':
      return { failingSubjects: indicators.failingSubjects };
  }
}

/**
 * Recomputes every active student (of one school, or all), in batches; `onBatch` reports progress. The district
 * is recomputed school by school, so that each batch reads and writes one school's rows: one shard's, where the
 * schools are sharded.
 */
export async function recomputeAll(
  context: EngineContext,
  options: { schoolId?: number; onBatch?: (done: number, summary: RecomputeSummary) => void } = {},
): Promise<RecomputeSummary> {
  const schoolIds = options.schoolId !== undefined ? [options.schoolId] : await allSchoolIds(context.db);
  let total = emptySummary();
  for (const schoolId of schoolIds) {
    let afterId = 0;
    for (;;) {
      const batch = await activeStudentBatch(context.db, { schoolId, afterId, limit: RECOMPUTE_BATCH_SIZE });
      if (batch.length === 0) break;
      total = add(total, await recomputeStudents(context, batch));
      afterId = batch[batch.length - 1]!.id;
      options.onBatch?.(total.students, total);
    }
  }
  return total;
}
