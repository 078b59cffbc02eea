/**
 * Phase 4: alerts and intervention cases. Open alerts mirror today's risk profiles; closed ones fill the history
 * up to the profile's total; every escalated alert opens a case, and more cases are opened directly. Draws
 * from the `random` stream it is given, which the audit history goes on drawing from afterwards.
 */
import { CASE_OUTCOMES, toDateOnly, toTimestamp } from '@pastoral/db';
import { assessRisk, type RiskIndicators } from '../../modules/risk/risk.rules.ts';
import { DAY_MS, HOUR_MS, type SeedCalendar, weekdayAt } from '../calendar.ts';
import type { SeedProfile } from '../profiles.ts';
import type { Random } from '../random.ts';
import {
  type AlertRow,
  byId,
  type CaseEventRow,
  type CaseRow,
  type ClassroomPlan,
  type SchoolPlan,
  type StudentPlan,
} from '../seed-plan.ts';
import {
  CASE_GOALS,
  CASE_NOTES,
  CASE_TITLES,
  DISMISS_REASONS,
  RESTRICTED_NOTES,
  WELLBEING_CONCERNS,
} from '../texts.ts';
import type { StudentRecords } from './records.ts';

const ALERT_TYPES_FROM_RISK = ['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC'] as const;

export interface AlertsAndCasesInput {
  random: Random;
  profile: SeedProfile;
  calendar: SeedCalendar;
  schools: readonly SchoolPlan[];
  classrooms: readonly ClassroomPlan[];
  students: readonly StudentPlan[];
  records: Pick<StudentRecords, 'riskByStudent' | 'worsenedAtByStudent'>;
}

export interface AlertsAndCases {
  alerts: AlertRow[];
  cases: CaseRow[];
  /** Rows of `case_alerts`: [caseId, alertId, schoolId]. */
  caseAlerts: [number, number, number][];
  caseEvents: CaseEventRow[];
}

export function generateAlertsAndCases(input: AlertsAndCasesInput): AlertsAndCases {
  const { random, profile, schools, classrooms, students } = input;
  const { asOfMs, nowMs, historyStartMs } = input.calendar;
  const { riskByStudent, worsenedAtByStudent } = input.records;
  const schoolById = (id: number) => byId(schools, id);
  const classroomById = (id: number) => byId(classrooms, id);
  const studentById = (id: number) => byId(students, id);
  const alerts: AlertRow[] = [];
  const cases: CaseRow[] = [];
  const caseAlerts: [number, number, number][] = [];
  const caseEvents: CaseEventRow[] = [];
  const leadOf = (schoolId: number) => random.pick(schoolById(schoolId).leadIds);

  // Open alerts mirror today's risk profiles: one per student and indicator in a band above ON_TRACK.
  for (const student of students) {
    const risk = riskByStudent.get(student.id);
    if (!risk) continue;
    const levels = [risk.now.attendanceLevel, risk.now.behaviourLevel, risk.now.courseworkLevel];
    ALERT_TYPES_FROM_RISK.forEach((type, index) => {
      const severity = levels[index]!;
      if (severity === 0) return;
      const reason = risk.now.reasons.find((r) => r.indicator === type)!;
      const raisedAt = worsenedAtByStudent.get(student.id) ?? asOfMs - random.int(1, 30) * DAY_MS;
      const status = random.weighted([
        ['NEW', 55],
        ['ACKNOWLEDGED', 30],
        ['ESCALATED', 15],
      ] as const);
      const formMasterId = classroomById(student.classroomId).formMasterId;
      const acknowledgedAt = status === 'NEW' ? null : Math.min(nowMs, raisedAt + random.int(1, 48) * HOUR_MS);
      alerts.push({
        id: alerts.length + 1,
        schoolId: student.schoolId,
        studentId: student.id,
        type,
        severity,
        status,
        alertAt: raisedAt,
        reason: reason.text,
        facts: JSON.stringify(factsFor(type, risk.indicators)),
        assignedTo: formMasterId,
        raisedBy: null,
        acknowledgedAt,
        acknowledgedBy: acknowledgedAt === null ? null : formMasterId,
        dismissedReason: null,
        closedAt: status === 'ESCALATED' ? acknowledgedAt : null,
      });
    });
    if (student.active && random.chance(0.01)) {
      alerts.push(manualAlert(student, asOfMs - random.int(1, 20) * DAY_MS, 'NEW'));
    }
  }

  // History: closed alerts over the past years, up to the profile's total.
  const currentAlertCount = alerts.length;
  for (let i = currentAlertCount; i < profile.alerts; i++) {
    const student = studentById(random.int(1, students.length));
    const at = weekdayAt(random, historyStartMs, asOfMs - 40 * DAY_MS);
    const type = random.weighted([
      ['ATTENDANCE', 45],
      ['BEHAVIOUR', 30],
      ['ACADEMIC', 20],
      ['WELLBEING', 5],
    ] as const);
    const status = random.weighted([
      ['RESOLVED', 45],
      ['DISMISSED', 20],
      ['ESCALATED', 35],
    ] as const);
    if (type === 'WELLBEING') {
      alerts.push(manualAlert(student, at, status));
      continue;
    }
    const severity = random.weighted([
      [1, 50],
      [2, 35],
      [3, 15],
    ] as const);
    const indicators = historicalIndicators(type, severity);
    const assessment = assessRisk(indicators);
    const formMasterId = classroomById(student.classroomId).formMasterId;
    const acknowledgedAt = at + random.int(1, 72) * HOUR_MS;
    alerts.push({
      id: alerts.length + 1,
      schoolId: student.schoolId,
      studentId: student.id,
      type,
      severity,
      status,
      alertAt: at,
      reason: assessment.reasons.find((r) => r.indicator === type)!.text,
      facts: JSON.stringify(factsFor(type, indicators)),
      assignedTo: formMasterId,
      raisedBy: null,
      acknowledgedAt: status === 'RESOLVED' && random.chance(0.3) ? null : acknowledgedAt,
      acknowledgedBy: status === 'RESOLVED' && random.chance(0.3) ? null : formMasterId,
      dismissedReason: status === 'DISMISSED' ? random.pick(DISMISS_REASONS) : null,
      closedAt: status === 'RESOLVED' ? Math.min(nowMs, at + random.int(7, 45) * DAY_MS) : acknowledgedAt,
    });
  }

  function manualAlert(student: StudentPlan, at: number, status: string): AlertRow {
    const raisedBy = random.chance(0.5) ? classroomById(student.classroomId).formMasterId : leadOf(student.schoolId);
    const acknowledgedAt = status === 'NEW' ? null : at + random.int(1, 48) * HOUR_MS;
    return {
      id: alerts.length + 1,
      schoolId: student.schoolId,
      studentId: student.id,
      type: 'WELLBEING',
      severity: random.int(1, 3),
      status,
      alertAt: at,
      reason: random.pick(WELLBEING_CONCERNS),
      facts: JSON.stringify({ raisedBy: 'staff' }),
      assignedTo: classroomById(student.classroomId).formMasterId,
      raisedBy,
      acknowledgedAt,
      acknowledgedBy: acknowledgedAt === null ? null : classroomById(student.classroomId).formMasterId,
      dismissedReason: status === 'DISMISSED' ? random.pick(DISMISS_REASONS) : null,
      closedAt:
        status === 'NEW' || status === 'ACKNOWLEDGED'
          ? null
          : Math.min(nowMs, (acknowledgedAt ?? at) + random.int(1, 30) * DAY_MS),
    };
  }

  // Cases: one for every escalated alert, then cases opened directly, up to the profile's total.
  for (const alert of alerts) {
    if (alert.status !== 'ESCALATED' || cases.length >= profile.cases) continue;
    const caseId = addCase(
      studentById(alert.studentId),
      alert.acknowledgedAt ?? alert.alertAt,
      alert.type,
      alert.severity,
      alert.assignedTo,
    );
    caseAlerts.push([caseId, alert.id, alert.schoolId]);
  }
  while (cases.length < profile.cases) {
    const student = studentById(random.int(1, students.length));
    const recent = random.chance(0.1);
    const at = recent
      ? weekdayAt(random, asOfMs - 60 * DAY_MS, asOfMs - DAY_MS)
      : weekdayAt(random, historyStartMs, asOfMs - 60 * DAY_MS);
    addCase(
      student,
      at,
      random.pick(['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC', 'WELLBEING']),
      random.int(1, 3),
      classroomById(student.classroomId).formMasterId,
    );
  }

  function addCase(
    student: StudentPlan,
    openedAt: number,
    type: string,
    severity: number,
    formMasterId: number | null,
  ): number {
    const id = cases.length + 1;
    const category = type === 'MANUAL' ? 'WELLBEING' : type;
    const toLead = random.chance(0.3);
    const initialAssignee = toLead ? leadOf(student.schoolId) : formMasterId;
    const openedBy = initialAssignee;
    const recent = openedAt > asOfMs - 90 * DAY_MS;
    const target = recent
      ? random.weighted([
          ['OPEN', 30],
          ['IN_PROGRESS', 45],
          ['MONITORING', 25],
        ] as const)
      : openedAt > asOfMs - 365 * DAY_MS && random.chance(0.08)
        ? 'MONITORING'
        : 'CLOSED';
    const path = ['OPEN', 'IN_PROGRESS', 'MONITORING', 'CLOSED'];
    const events: CaseEventRow[] = [];
    const event = (kind: string, at: number, fields: Partial<CaseEventRow>) =>
      events.push({
        id: 0,
        caseId: id,
        schoolId: student.schoolId,
        kind,
        authorId: fields.authorId ?? assignee,
        body: null,
        restricted: 0,
        fromStatus: null,
        toStatus: null,
        fromUserId: null,
        toUserId: null,
        at,
        ...fields,
      });
    let assignee = initialAssignee;
    event('OPENED', openedAt, { authorId: openedBy, toStatus: 'OPEN', toUserId: assignee });
    let status = 'OPEN';
    let at = openedAt;
    let version = 1;
    const gaps = [random.int(1, 5), random.int(7, 30), random.int(14, 60)];
    for (let step = 1; step <= path.indexOf(target); step++) {
      const next = at + gaps[step - 1]! * DAY_MS + random.int(0, 8) * HOUR_MS;
      if (next > nowMs) break;
      event('STATUS_CHANGED', next, { fromStatus: status, toStatus: path[step]! });
      status = path[step]!;
      at = next;
      version++;
    }
    const endAt = status === 'CLOSED' ? at : nowMs;
    if (!toLead && random.chance(0.12) && endAt - openedAt > 2 * DAY_MS) {
      const lead = leadOf(student.schoolId);
      event('REASSIGNED', openedAt + random.between(0.2, 0.8) * (endAt - openedAt), {
        authorId: lead,
        fromUserId: assignee,
        toUserId: lead,
      });
      assignee = lead;
      version++;
    }
    const notes = random.int(0, 3);
    for (let n = 0; n < notes; n++) {
      const restricted = (category === 'WELLBEING' || category === 'BEHAVIOUR') && random.chance(0.1);
      event('NOTE', openedAt + random.between(0.05, 0.95) * (endAt - openedAt), {
        body: restricted ? random.pick(RESTRICTED_NOTES) : random.pick(CASE_NOTES[category] ?? CASE_NOTES.WELLBEING!),
        restricted: restricted ? 1 : 0,
      });
    }
    events.sort((a, b) => a.at - b.at);
    for (const e of events) caseEvents.push({ ...e, id: caseEvents.length + 1 });

    const risk = riskByStudent.get(student.id);
    const baseline =
      risk && recent
        ? {
            level: risk.then.level,
            attendanceRate: risk.indicators.attendanceRate,
            behaviourLevel: risk.then.behaviourLevel,
            courseworkLevel: risk.then.courseworkLevel,
          }
        : {
            level: severity,
            attendanceRate: type === 'ATTENDANCE' ? historicalIndicators('ATTENDANCE', severity).attendanceRate : null,
            behaviourLevel: type === 'BEHAVIOUR' ? severity : 0,
            courseworkLevel: type === 'ACADEMIC' ? Math.max(2, severity) : 0,
          };
    const lastChange = events.filter((e) => e.kind !== 'NOTE').at(-1)!.at;
    cases.push({
      id,
      schoolId: student.schoolId,
      studentId: student.id,
      title: random.pick(CASE_TITLES[category] ?? CASE_TITLES.WELLBEING!),
      category,
      tier: severity === 3 ? random.int(2, 3) : severity === 2 ? random.int(1, 2) : 1,
      priority: Math.min(3, severity - 1 + random.int(0, 1)),
      status,
      outcome:
        status === 'CLOSED' ? random.weighted(CASE_OUTCOMES.map((o, i) => [o, [50, 25, 10, 15][i]!] as const)) : null,
      goal: random.pick(CASE_GOALS[category] ?? CASE_GOALS.WELLBEING!),
      assignedTo: assignee,
      openedBy,
      nextReviewAt: status === 'CLOSED' ? null : toDateOnly(new Date(lastChange + random.int(7, 28) * DAY_MS)),
      baseline: JSON.stringify({ capturedAt: toTimestamp(new Date(openedAt)), ...baseline }),
      version,
      closedAt: status === 'CLOSED' ? at : null,
      createdAt: openedAt,
      updatedAt: Math.max(...events.map((e) => e.at)),
    });
    return id;
  }

  return { alerts, cases, caseAlerts, caseEvents };
}

/** Indicator values that fall in a given band, for alerts raised in past years. */
function historicalIndicators(type: string, severity: number): RiskIndicators {
  const none: RiskIndicators = {
    attendanceRate: 1,
    attendanceDays: 30,
    minorIncidents: 0,
    majorIncidents: 0,
    suspensions: 0,
    failingSubjects: [],
  };
  if (type === 'ATTENDANCE') return { ...none, attendanceRate: [1, 28 / 30, 26 / 30, 22 / 30][severity]! };
  if (type === 'BEHAVIOUR') {
    return severity === 1
      ? { ...none, minorIncidents: 1 }
      : severity === 2
        ? { ...none, minorIncidents: 2 }
        : { ...none, majorIncidents: 1, suspensions: 1 };
  }
  return { ...none, failingSubjects: severity >= 3 ? ['ENGLISH', 'MATHS'] : ['MATHS'] };
}

function factsFor(type: string, indicators: RiskIndicators): Record<string, unknown> {
  if (type === 'ATTENDANCE') {
    return {
      attendanceRate: Math.round((indicators.attendanceRate ?? 1) * 1000) / 1000,
      schoolDays: indicators.attendanceDays,
    };
  }
  if (type === 'BEHAVIOUR') {
    return {
      minorIncidents: indicators.minorIncidents,
      majorIncidents: indicators.majorIncidents,
      suspensions: indicators.suspensions,
      windowDays: 30,
    };
  }
  return { failingSubjects: indicators.failingSubjects };
}
