/**
 * Phase 3: each active student's term of records (behaviour incidents and assessment results, drawn from
 * `Random(seed, 3, id)`), and the risk profile the real rules compute from them, now and a week ago.
 */
import { type SqlValue, toDateOnly, toTimestamp } from '@pastoral/db';
import {
  assessRisk,
  DEFAULT_RISK_RULES,
  type RiskAssessment,
  type RiskIndicators,
} from '../../modules/risk/risk.rules.ts';
import { DAY_MS, HOUR_MS, type SeedCalendar } from '../calendar.ts';
import { Random } from '../random.ts';
import type { Incident, StudentPlan } from '../seed-plan.ts';
import { attendanceOf } from './students.ts';

const SUBJECTS = ['ENGLISH', 'MATHS', 'SCIENCE', 'HISTORY', 'GEOGRAPHY', 'FRENCH', 'COMPUTING', 'ART'] as const;

/** A student's risk now and a week ago, and the indicators today's profile was computed from. */
export interface StudentRisk {
  now: RiskAssessment;
  indicators: RiskIndicators;
  then: RiskAssessment;
}

export interface StudentRecords {
  incidents: Incident[];
  /** Rows of `assessment_results`, in column order. */
  assessmentRows: SqlValue[][];
  /** Rows of `risk_profiles`, in column order: the active students', then the inactive ones' (all clear). */
  riskRows: SqlValue[][];
  riskByStudent: Map<number, StudentRisk>;
  /** When an at-risk student's level last rose: the day their open alerts were raised. */
  worsenedAtByStudent: Map<number, number>;
}

export function generateRecords(
  seed: number,
  calendar: SeedCalendar,
  students: readonly StudentPlan[],
): StudentRecords {
  const { asOfMs, nowMs, recordedAt, schoolDays, currentTerm } = calendar;
  const incidents: Incident[] = [];
  const assessmentRows: SqlValue[][] = [];
  const riskRows: SqlValue[][] = [];
  const riskByStudent = new Map<number, StudentRisk>();
  const worsenedAtByStudent = new Map<number, number>();
  const schoolDaysInLastWeek = schoolDays.filter((day) => day > toDateOnly(new Date(asOfMs - 7 * DAY_MS))).length;

  for (const student of students) {
    if (!student.active) continue;
    const random = new Random(seed, 3, student.id);
    const studentIncidents: Incident[] = [];
    const count = random.poisson((student.incidentRate * schoolDays.length) / 60);
    for (let i = 0; i < count; i++) {
      const major = random.chance(0.15);
      const category = major
        ? random.pick(['FIGHTING', 'BULLYING', 'VERBAL_ABUSE', 'DAMAGE', 'TRUANCY'])
        : random.pick(['DISRUPTION', 'DEFIANCE', 'LATE_TO_LESSON', 'UNIFORM', 'PHONE', 'HOMEWORK']);
      studentIncidents.push({
        studentId: student.id,
        date: random.pick(schoolDays),
        category,
        severity: major ? 'MAJOR' : 'MINOR',
        suspensionDays: major && random.chance(0.25) ? random.int(1, 5) : 0,
      });
    }
    studentIncidents.sort((a, b) => a.date.localeCompare(b.date));
    incidents.push(...studentIncidents);

    const failing: string[] = [];
    for (const subject of SUBJECTS) {
      const score = Math.max(0, Math.min(100, Math.round(65 + 14 * student.ability + 10 * random.normal())));
      const passing = score >= 40;
      if (!passing) failing.push(subject);
      assessmentRows.push([
        assessmentRows.length + 1,
        student.schoolId,
        student.id,
        subject,
        currentTerm.code,
        score,
        gcseGrade(score),
        passing ? 1 : 0,
        recordedAt,
      ]);
    }

    // The profile now, and as it stood a week ago: a student whose level rose since is "newly at risk".
    const attendance = attendanceOf(seed, schoolDays, student);
    const window = DEFAULT_RISK_RULES.attendance.windowSchoolDays;
    const indicatorsNow = indicatorsFor(attendance.slice(-window), studentIncidents, failing, asOfMs);
    const thenEnd = attendance.length - schoolDaysInLastWeek;
    const indicatorsThen = indicatorsFor(
      attendance.slice(Math.max(0, thenEnd - window), thenEnd),
      studentIncidents,
      failing,
      asOfMs - 7 * DAY_MS,
    );
    const now = assessRisk(indicatorsNow);
    const then = assessRisk(indicatorsThen);
    riskByStudent.set(student.id, { now, indicators: indicatorsNow, then });
    let worsenedAt: number | null = null;
    if (now.level > then.level) worsenedAt = nowMs - random.int(1, 6 * 24) * HOUR_MS;
    else if (now.level > 0) worsenedAt = nowMs - random.int(8 * 24, 60 * 24) * HOUR_MS;
    if (worsenedAt !== null) worsenedAtByStudent.set(student.id, worsenedAt);
    riskRows.push([
      student.id,
      student.schoolId,
      now.level,
      now.attendanceLevel,
      now.behaviourLevel,
      now.courseworkLevel,
      indicatorsNow.attendanceRate,
      indicatorsNow.attendanceDays,
      indicatorsNow.minorIncidents,
      indicatorsNow.majorIncidents,
      indicatorsNow.suspensions,
      failing.length,
      now.failingCoreSubjects,
      JSON.stringify(now.reasons),
      DEFAULT_RISK_RULES.version,
      recordedAt,
      now.level !== then.level ? then.level : null,
      worsenedAt === null ? null : toTimestamp(new Date(worsenedAt)),
    ]);
  }
  for (const student of students) {
    if (student.active) continue;
    riskRows.push([
      student.id,
      student.schoolId,
      0,
      0,
      0,
      0,
      null,
      0,
      0,
      0,
      0,
      0,
      0,
      '[]',
      DEFAULT_RISK_RULES.version,
      recordedAt,
      null,
      null,
    ]);
  }
  return { incidents, assessmentRows, riskRows, riskByStudent, worsenedAtByStudent };
}

/** The indicators the risk rules read, over a window of attendance and the incidents before `endMs`. */
function indicatorsFor(attendance: string[], incidents: Incident[], failing: string[], endMs: number): RiskIndicators {
  const attended = attendance.filter((status) => status === 'PRESENT' || status === 'LATE').length;
  const from = toDateOnly(new Date(endMs - DEFAULT_RISK_RULES.behaviour.windowDays * 86_400_000));
  const to = toDateOnly(new Date(endMs));
  const recent = incidents.filter((incident) => incident.date > from && incident.date <= to);
  return {
    attendanceRate: attendance.length === 0 ? null : attended / attendance.length,
    attendanceDays: attendance.length,
    minorIncidents: recent.filter((incident) => incident.severity === 'MINOR').length,
    majorIncidents: recent.filter((incident) => incident.severity === 'MAJOR').length,
    suspensions: recent.filter((incident) => incident.suspensionDays > 0).length,
    failingSubjects: failing,
  };
}

function gcseGrade(score: number): string {
  const bounds = [90, 80, 70, 60, 50, 40, 30, 20, 10];
  const index = bounds.findIndex((bound) => score >= bound);
  return String(index === -1 ? 1 : 9 - index > 0 ? 9 - index : 1);
}
