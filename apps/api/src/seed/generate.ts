/**
 * Generates the seed data: a district of schools with staff, students, a term of ABC records, risk profiles
 * computed from those records by the real rules, three years of alerts and cases, and an audit log whose hash
 * chain verifies.
 *
 * Deterministic: every random choice comes from a `Random` keyed by the seed and by what it is for (a student
 * id, a table), so the same seed and as-of date give the same rows, and attendance can be generated twice
 * (once to compute risk, once to stream into the database) without being held in memory.
 */
import { createHash } from 'node:crypto';
import { CASE_OUTCOMES, type SqlValue, TABLE_COLUMNS, type TableName, toDateOnly, toTimestamp } from '@pastoral/db';
import { chainHash, GENESIS_HASH } from '../modules/audit-log/audit-chain.ts';
import {
  assessRisk,
  DEFAULT_RISK_RULES,
  type RiskAssessment,
  type RiskIndicators,
} from '../modules/risk/risk.rules.ts';
import { FAMILY_NAMES, GIVEN_NAMES, SCHOOL_NAME_KINDS, SCHOOL_NAME_STEMS } from './names.ts';
import type { SeedProfile } from './profiles.ts';
import { Random } from './random.ts';

export interface GenerateOptions {
  profile: SeedProfile;
  seed: number;
  /** The day the data is "as of" (UTC midnight): attendance ends here, history runs back from here. */
  asOf: Date;
  /** argon2id hashes: one per well-known account, and one shared by every other generated account. */
  passwordHashes: { wellKnown: Record<WellKnownAccount, string>; shared: string };
}

export type WellKnownAccount =
  | 'district.admin@pastoral.example'
  | 'school.admin@s01.pastoral.example'
  | 'pastoral.lead@s01.pastoral.example'
  | 'form.master@s01.pastoral.example'
  | 'form.master@s02.pastoral.example';

export const WELL_KNOWN_ACCOUNTS: Record<WellKnownAccount, { role: string; description: string }> = {
  'district.admin@pastoral.example': { role: 'DISTRICT_ADMIN', description: 'every school' },
  'school.admin@s01.pastoral.example': { role: 'SCHOOL_ADMIN', description: 'school 1' },
  'pastoral.lead@s01.pastoral.example': {
    role: 'PASTORAL_LEAD',
    description: 'school 1, can view restricted notes',
  },
  'form.master@s01.pastoral.example': { role: 'FORM_MASTER', description: 'a classroom in school 1' },
  'form.master@s02.pastoral.example': { role: 'FORM_MASTER', description: 'a classroom in school 2' },
};

/** Rows for one table, streamed: `rows` may be a generator that computes them as the loader reads. */
export interface TableData {
  table: TableName;
  columns: readonly string[];
  count: number;
  rows: () => Iterable<SqlValue[]>;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const SUBJECTS = ['ENGLISH', 'MATHS', 'SCIENCE', 'HISTORY', 'GEOGRAPHY', 'FRENCH', 'COMPUTING', 'ART'] as const;
const FORM_LETTERS = 'ABCDEFGHJK';
const ALERT_TYPES_FROM_RISK = ['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC'] as const;

interface StaffMember {
  id: number;
  schoolId: number | null;
  email: string;
  fullName: string;
  role: string;
  canViewRestricted: 0 | 1;
}

interface SchoolPlan {
  id: number;
  code: string;
  adminId: number;
  leadIds: number[];
  safeguardingLeadId: number;
  tokenId: number;
}

interface ClassroomPlan {
  id: number;
  schoolId: number;
  name: string;
  yearGroup: number;
  formMasterId: number;
  assistantIds: number[];
}

interface StudentPlan {
  id: number;
  schoolId: number;
  classroomId: number;
  yearGroup: number;
  active: boolean;
  givenName: string;
  familyName: string;
  /** Propensities the records are drawn from. */
  absenceRate: number;
  decliningAttendance: boolean;
  incidentRate: number;
  ability: number;
}

interface Incident {
  studentId: number;
  date: string;
  category: string;
  severity: 'MINOR' | 'MAJOR';
  suspensionDays: number;
}

interface AlertRow {
  id: number;
  schoolId: number;
  studentId: number;
  type: string;
  severity: number;
  status: string;
  alertAt: number;
  reason: string;
  facts: string;
  assignedTo: number | null;
  raisedBy: number | null;
  acknowledgedAt: number | null;
  acknowledgedBy: number | null;
  dismissedReason: string | null;
  closedAt: number | null;
}

interface CaseEventRow {
  id: number;
  caseId: number;
  schoolId: number;
  kind: string;
  authorId: number | null;
  body: string | null;
  restricted: 0 | 1;
  fromStatus: string | null;
  toStatus: string | null;
  fromUserId: number | null;
  toUserId: number | null;
  at: number;
}

interface CaseRow {
  id: number;
  schoolId: number;
  studentId: number;
  title: string;
  category: string;
  tier: number;
  priority: number;
  status: string;
  outcome: string | null;
  goal: string;
  assignedTo: number | null;
  openedBy: number | null;
  nextReviewAt: string | null;
  baseline: string;
  version: number;
  closedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

interface AuditDraft {
  at: number;
  schoolId: number | null;
  actorType: 'USER' | 'TOKEN' | 'SYSTEM' | 'ANONYMOUS';
  userId: number | null;
  apiTokenId: number | null;
  action: string;
  entityType: string | null;
  entityId: number | null;
  studentId: number | null;
  details: string | null;
}

export interface SeedData {
  tables: TableData[];
  /** The audit chain's head after the seeded entries. */
  chainHead: { seq: number; hash: string };
  /** Where the well-known form master of school 1 teaches, for the start-up banner. */
  wellKnownClassroom: string;
}

export function generateSeedData(options: GenerateOptions): SeedData {
  const { profile, seed } = options;
  const asOfMs = Date.UTC(options.asOf.getUTCFullYear(), options.asOf.getUTCMonth(), options.asOf.getUTCDate());
  const asOfDate = toDateOnly(new Date(asOfMs));
  // The data runs up to the evening before the as-of day: nothing of the day itself is recorded yet, so no seeded
  // row lies in the future when the seed is run for today.
  const nowMs = asOfMs - HOUR_MS;
  const historyStartMs = asOfMs - profile.historyYears * 365 * DAY_MS;
  const schoolDays = lastSchoolDays(asOfMs - DAY_MS, profile.schoolDays);
  const academicYear =
    new Date(asOfMs).getUTCMonth() >= 8 ? new Date(asOfMs).getUTCFullYear() : new Date(asOfMs).getUTCFullYear() - 1;
  const terms = academicTerms(academicYear, profile.historyYears);
  const currentTerm = [...terms].reverse().find((term) => term.startsOn <= asOfDate) ?? terms[0]!;
  const created = toTimestamp(new Date(historyStartMs - 30 * DAY_MS));

  // ---- Schools, classrooms, staff -------------------------------------------------------------------------
  const people = new Random(seed, 100);
  const usedEmails = new Set<string>();
  const staff: StaffMember[] = [];
  const schools: SchoolPlan[] = [];
  const classrooms: ClassroomPlan[] = [];
  const assignments: { id: number; schoolId: number; classroomId: number; userId: number; kind: string }[] = [];

  const addStaff = (schoolId: number | null, role: string, canViewRestricted: 0 | 1 = 0): StaffMember => {
    const given = people.pick(GIVEN_NAMES);
    const family = people.pick(FAMILY_NAMES);
    const domain = schoolId === null ? 'pastoral.example' : `${schoolCode(schoolId).toLowerCase()}.pastoral.example`;
    const base = `${given}.${family}`.toLowerCase().replace(/[^a-z.]/g, '');
    let email = `${base}@${domain}`;
    for (let n = 2; usedEmails.has(email); n++) email = `${base}${n}@${domain}`;
    usedEmails.add(email);
    const member = { id: staff.length + 1, schoolId, email, fullName: `${given} ${family}`, role, canViewRestricted };
    staff.push(member);
    return member;
  };

  for (let s = 1; s <= profile.schools; s++) {
    const formMasters: StaffMember[] = [];
    for (let c = 0; c < profile.classroomsPerSchool; c++) formMasters.push(addStaff(s, 'FORM_MASTER'));
    const admin = addStaff(s, 'SCHOOL_ADMIN');
    const leads = Array.from({ length: profile.pastoralLeadsPerSchool }, (_, i) =>
      addStaff(s, 'PASTORAL_LEAD', i === 0 ? 1 : 0),
    );
    const assistantCount = profile.staffPerSchool - formMasters.length - 1 - leads.length;
    const assistants = Array.from({ length: Math.max(0, assistantCount) }, () => addStaff(s, 'FORM_MASTER'));
    schools.push({
      id: s,
      code: schoolCode(s),
      adminId: admin.id,
      leadIds: leads.map((lead) => lead.id),
      safeguardingLeadId: leads[0]!.id,
      tokenId: s,
    });
    for (let c = 0; c < profile.classroomsPerSchool; c++) {
      const yearGroup = 7 + (c % 5);
      const classroom: ClassroomPlan = {
        id: classrooms.length + 1,
        schoolId: s,
        name: `${yearGroup}${FORM_LETTERS[Math.floor(c / 5)] ?? String(c)}`,
        yearGroup,
        formMasterId: formMasters[c]!.id,
        assistantIds: assistants.filter((_, i) => i % profile.classroomsPerSchool === c).map((a) => a.id),
      };
      classrooms.push(classroom);
      assignments.push({
        id: assignments.length + 1,
        schoolId: s,
        classroomId: classroom.id,
        userId: classroom.formMasterId,
        kind: 'FORM_MASTER',
      });
      for (const assistantId of classroom.assistantIds) {
        assignments.push({
          id: assignments.length + 1,
          schoolId: s,
          classroomId: classroom.id,
          userId: assistantId,
          kind: 'ASSISTANT',
        });
      }
    }
  }
  const districtAdmins = Array.from({ length: profile.districtAdmins }, () => addStaff(null, 'DISTRICT_ADMIN'));
  const staffById = (id: number) => staff[id - 1]!;
  const schoolById = (id: number) => schools[id - 1]!;
  const classroomById = (id: number) => classrooms[id - 1]!;

  // ---- Students and their records --------------------------------------------------------------------------
  const students: StudentPlan[] = [];
  for (const classroom of classrooms) {
    for (let i = 0; i < profile.studentsPerClassroom; i++) {
      const id = students.length + 1;
      const random = new Random(seed, 1, id);
      students.push({
        id,
        schoolId: classroom.schoolId,
        classroomId: classroom.id,
        yearGroup: classroom.yearGroup,
        active: !random.chance(0.015),
        givenName: random.pick(GIVEN_NAMES),
        familyName: random.pick(FAMILY_NAMES),
        absenceRate: random.weighted([
          [random.between(0, 0.03), 70],
          [random.between(0.03, 0.09), 18],
          [random.between(0.09, 0.18), 8],
          [random.between(0.18, 0.4), 4],
        ]),
        decliningAttendance: random.chance(0.04),
        incidentRate: random.weighted([
          [0.15, 70],
          [1, 20],
          [3, 8],
          [6, 2],
        ]),
        ability: random.normal(),
      });
    }
  }
  const studentById = (id: number) => students[id - 1]!;

  /** A student's attendance over the seeded school days, the same on every call. */
  function attendanceOf(student: StudentPlan): string[] {
    const random = new Random(seed, 2, student.id);
    return schoolDays.map((_, index) => {
      const lateTerm = index >= schoolDays.length - 10;
      const absence = student.absenceRate + (student.decliningAttendance && lateTerm ? 0.4 : 0);
      if (random.chance(absence)) return random.chance(0.4) ? 'ABSENT_UNAUTHORISED' : 'ABSENT_AUTHORISED';
      return random.chance(0.03) ? 'LATE' : 'PRESENT';
    });
  }

  const incidents: Incident[] = [];
  const incidentsByStudent = new Map<number, Incident[]>();
  const assessmentRows: SqlValue[][] = [];
  const failingByStudent = new Map<number, string[]>();
  const riskRows: SqlValue[][] = [];
  const riskByStudent = new Map<number, { now: RiskAssessment; indicators: RiskIndicators; then: RiskAssessment }>();
  const worsenedAtByStudent = new Map<number, number>();
  const recordedAt = toTimestamp(new Date(nowMs));
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
    incidentsByStudent.set(student.id, studentIncidents);

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
    failingByStudent.set(student.id, failing);

    // The profile now, and as it stood a week ago: a student whose level rose since is "newly at risk".
    const attendance = attendanceOf(student);
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

  // ---- Alerts and cases ------------------------------------------------------------------------------------
  const random = new Random(seed, 200);
  const alerts: AlertRow[] = [];
  const cases: CaseRow[] = [];
  const caseAlerts: [number, number, number][] = [];
  const caseEvents: CaseEventRow[] = [];
  const audit: AuditDraft[] = [];
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

  // Make sure the well-known form master of each of the first two schools has work waiting: the classroom
  // with the most new alerts and open cases becomes theirs.
  const workload = new Map<number, number>();
  for (const alert of alerts)
    if (alert.status === 'NEW' && alert.assignedTo)
      workload.set(alert.assignedTo, (workload.get(alert.assignedTo) ?? 0) + 1);
  for (const c of cases)
    if (c.status !== 'CLOSED' && c.assignedTo) workload.set(c.assignedTo, (workload.get(c.assignedTo) ?? 0) + 1);
  const busiestFormMaster = (schoolId: number) =>
    classrooms
      .filter((classroom) => classroom.schoolId === schoolId)
      .reduce((best, classroom) =>
        (workload.get(classroom.formMasterId) ?? 0) > (workload.get(best.formMasterId) ?? 0) ? classroom : best,
      );
  const wellKnownClassroom = busiestFormMaster(1);
  const renames: [number, WellKnownAccount][] = [
    [districtAdmins[0]!.id, 'district.admin@pastoral.example'],
    [schoolById(1).adminId, 'school.admin@s01.pastoral.example'],
    [schoolById(1).safeguardingLeadId, 'pastoral.lead@s01.pastoral.example'],
    [wellKnownClassroom.formMasterId, 'form.master@s01.pastoral.example'],
  ];
  if (profile.schools >= 2) renames.push([busiestFormMaster(2).formMasterId, 'form.master@s02.pastoral.example']);
  for (const [userId, email] of renames) staffById(userId).email = email;
  const passwordHashOf = (member: StaffMember) =>
    options.passwordHashes.wellKnown[member.email as WellKnownAccount] ?? options.passwordHashes.shared;

  // ---- Audit log -------------------------------------------------------------------------------------------
  for (const alert of alerts) {
    const base = {
      schoolId: alert.schoolId,
      entityType: 'alert',
      entityId: alert.id,
      studentId: alert.studentId,
      apiTokenId: null,
    };
    audit.push({
      ...base,
      at: alert.alertAt,
      actorType: alert.raisedBy ? 'USER' : 'SYSTEM',
      userId: alert.raisedBy,
      action: alert.raisedBy ? 'alert.concern_raised' : 'alert.raised',
      details: JSON.stringify({ type: alert.type, severity: alert.severity }),
    });
    if (alert.acknowledgedAt !== null && alert.acknowledgedAt <= nowMs) {
      audit.push({
        ...base,
        at: alert.acknowledgedAt,
        actorType: 'USER',
        userId: alert.acknowledgedBy,
        action: 'alert.acknowledged',
        details: null,
      });
    }
    if (alert.closedAt !== null && alert.closedAt <= nowMs && alert.status !== 'ESCALATED') {
      const dismissed = alert.status === 'DISMISSED';
      audit.push({
        ...base,
        at: alert.closedAt,
        actorType: dismissed ? 'USER' : 'SYSTEM',
        userId: dismissed ? alert.assignedTo : null,
        action: dismissed ? 'alert.dismissed' : 'alert.resolved',
        details: dismissed ? JSON.stringify({ reason: alert.dismissedReason }) : null,
      });
    }
  }
  const caseById = (id: number) => cases[id - 1]!;
  for (const [caseId, alertId] of caseAlerts) {
    const c = caseById(caseId);
    audit.push({
      at: c.createdAt,
      schoolId: c.schoolId,
      actorType: 'USER',
      userId: c.openedBy,
      apiTokenId: null,
      action: 'alert.escalated',
      entityType: 'alert',
      entityId: alertId,
      studentId: c.studentId,
      details: JSON.stringify({ caseId }),
    });
  }
  for (const e of caseEvents) {
    const c = caseById(e.caseId);
    const action =
      {
        OPENED: 'case.opened',
        NOTE: 'case.note_added',
        STATUS_CHANGED: 'case.status_changed',
        REASSIGNED: 'case.reassigned',
      }[e.kind] ?? 'case.updated';
    const details =
      e.kind === 'STATUS_CHANGED'
        ? { from: e.fromStatus, to: e.toStatus, ...(e.toStatus === 'CLOSED' ? { outcome: c.outcome } : {}) }
        : e.kind === 'REASSIGNED'
          ? { from: e.fromUserId, to: e.toUserId }
          : e.kind === 'NOTE'
            ? { noteId: e.id, restricted: e.restricted === 1 }
            : { title: c.title, priority: c.priority };
    audit.push({
      at: e.at,
      schoolId: e.schoolId,
      actorType: 'USER',
      userId: e.authorId,
      apiTokenId: null,
      action,
      entityType: 'case',
      entityId: e.caseId,
      studentId: c.studentId,
      details: JSON.stringify(details),
    });
    if (e.restricted === 1) {
      audit.push({
        at: Math.min(nowMs, e.at + random.int(1, 72) * HOUR_MS),
        schoolId: e.schoolId,
        actorType: 'USER',
        userId: schoolById(e.schoolId).safeguardingLeadId,
        apiTokenId: null,
        action: 'case_note.restricted_read',
        entityType: 'case_event',
        entityId: e.id,
        studentId: c.studentId,
        details: null,
      });
    }
  }
  // Everything else an ordinary day leaves behind: sign-ins, failed sign-ins, integrator syncs and reads.
  const schoolStaffIds = staff.filter((member) => member.schoolId !== null).map((member) => member.id);
  for (let i = audit.length; i < profile.auditEntries; i++) {
    const at = weekdayAt(random, historyStartMs, nowMs);
    const kind = random.weighted([
      ['signIn', 78],
      ['failedSignIn', 4],
      ['disclosure', 13],
      ['ingest', 5],
    ] as const);
    if (kind === 'signIn' || kind === 'failedSignIn') {
      const member = staffById(random.chance(0.02) ? random.pick(districtAdmins).id : random.pick(schoolStaffIds));
      audit.push({
        at,
        schoolId: member.schoolId,
        actorType: kind === 'signIn' ? 'USER' : 'ANONYMOUS',
        userId: kind === 'signIn' ? member.id : null,
        apiTokenId: null,
        action: kind === 'signIn' ? 'session.signed_in' : 'session.sign_in_failed',
        entityType: 'user',
        entityId: member.id,
        studentId: null,
        details: kind === 'signIn' ? null : JSON.stringify({ reason: 'wrong_password' }),
      });
    } else {
      const student = studentById(random.int(1, students.length));
      const school = schoolById(student.schoolId);
      audit.push({
        at,
        schoolId: school.id,
        actorType: 'TOKEN',
        userId: null,
        apiTokenId: school.tokenId,
        action: kind === 'disclosure' ? 'student.disclosed' : 'attendance.recorded',
        entityType: kind === 'disclosure' ? 'student' : 'school',
        entityId: kind === 'disclosure' ? student.id : school.id,
        studentId: kind === 'disclosure' ? student.id : null,
        details: JSON.stringify(
          kind === 'disclosure' ? { fields: ['riskProfile', 'attendance'] } : { records: random.int(200, 1000) },
        ),
      });
    }
  }
  // Keep the newest entries if the structural ones alone overshoot the profile's total.
  audit.sort((a, b) => a.at - b.at);
  const auditEntries = audit.length > profile.auditEntries ? audit.slice(audit.length - profile.auditEntries) : audit;

  let previousHash = GENESIS_HASH;
  const auditRows: SqlValue[][] = auditEntries.map((entry, index) => {
    const seq = index + 1;
    const fields = {
      seq,
      occurred_at: toTimestamp(new Date(entry.at)),
      school_id: entry.schoolId,
      actor_type: entry.actorType,
      user_id: entry.userId,
      api_token_id: entry.apiTokenId,
      action: entry.action,
      entity_type: entry.entityType,
      entity_id: entry.entityId,
      student_id: entry.studentId,
      request_id: entry.actorType === 'SYSTEM' ? null : random.hex(16),
      ip: entry.actorType === 'SYSTEM' ? null : `10.${entry.schoolId ?? 0}.${random.int(0, 255)}.${random.int(1, 254)}`,
      details: entry.details,
    };
    previousHash = chainHash(previousHash, fields);
    return [
      seq,
      fields.occurred_at,
      seq,
      previousHash,
      fields.school_id,
      fields.actor_type,
      fields.user_id,
      fields.api_token_id,
      fields.action,
      fields.entity_type,
      fields.entity_id,
      fields.student_id,
      fields.request_id,
      fields.ip,
      fields.details,
    ];
  });

  // ---- Rows, table by table --------------------------------------------------------------------------------
  const ts = (ms: number | null) => (ms === null ? null : toTimestamp(new Date(ms)));
  const activeStudents = students.filter((student) => student.active);
  const tables: TableData[] = [
    rowsOf(
      'schools',
      schools.map((school) => [
        school.id,
        school.code,
        schoolName(seed, school.id),
        'en-GB',
        'Europe/London',
        created,
        created,
      ]),
    ),
    rowsOf(
      'academic_terms',
      terms.map((term, i) => [i + 1, term.code, term.name, term.startsOn, term.endsOn]),
    ),
    rowsOf(
      'classrooms',
      classrooms.map((c) => [c.id, c.schoolId, c.name, c.yearGroup, 1, created, created]),
    ),
    rowsOf(
      'users',
      staff.map((m) => [
        m.id,
        m.schoolId,
        m.email,
        m.fullName,
        m.role,
        m.canViewRestricted,
        passwordHashOf(m),
        1,
        null,
        created,
        created,
      ]),
    ),
    rowsOf(
      'classroom_assignments',
      assignments.map((a) => [a.id, a.schoolId, a.classroomId, a.userId, a.kind, created]),
    ),
    rowsOf(
      'students',
      students.map((s) => {
        const birthYear = academicYear - s.yearGroup - 5;
        const birth = Date.UTC(birthYear, 8, 1) + ((s.id * 7919) % 365) * DAY_MS;
        const enrolled = Date.UTC(academicYear - (s.yearGroup - 7), 8, 3);
        return [
          s.id,
          s.schoolId,
          s.classroomId,
          `SIS-${String(s.schoolId).padStart(2, '0')}-${String(100000 + s.id)}`,
          s.givenName,
          s.familyName,
          `${s.givenName} ${s.familyName}`,
          toDateOnly(new Date(birth)),
          s.yearGroup,
          s.active ? 1 : 0,
          toDateOnly(new Date(enrolled)),
          s.active ? null : toDateOnly(new Date(Date.UTC(academicYear, 6, 20))),
          created,
          created,
        ];
      }),
    ),
    rowsOf('risk_profiles', riskRows),
    {
      table: 'attendance_records',
      columns: TABLE_COLUMNS.attendance_records,
      count: activeStudents.length * schoolDays.length,
      rows: function* () {
        for (const student of activeStudents) {
          const attendance = attendanceOf(student);
          for (let d = 0; d < schoolDays.length; d++) {
            yield [student.id, schoolDays[d]!, student.schoolId, attendance[d]!, `${schoolDays[d]!} 09:15:00.000`];
          }
        }
      },
    },
    rowsOf(
      'behaviour_incidents',
      incidents.map((incident, i) => {
        const student = studentById(incident.studentId);
        return [
          i + 1,
          student.schoolId,
          student.id,
          `INC-${String(i + 1).padStart(7, '0')}`,
          incident.date,
          incident.category,
          incident.severity,
          incident.suspensionDays,
          INCIDENT_DESCRIPTIONS[incident.category] ?? null,
          classroomById(student.classroomId).formMasterId,
          `${incident.date} 15:30:00.000`,
        ];
      }),
    ),
    rowsOf('assessment_results', assessmentRows),
    rowsOf(
      'alerts',
      alerts.map((a) => [
        a.id,
        a.schoolId,
        a.studentId,
        a.type,
        a.severity,
        a.status,
        toDateOnly(new Date(a.alertAt)),
        a.reason,
        a.facts,
        a.assignedTo,
        a.raisedBy,
        (a.status === 'NEW' || a.status === 'ACKNOWLEDGED') && a.raisedBy === null ? a.type : null,
        ts(a.acknowledgedAt),
        a.acknowledgedBy,
        a.dismissedReason,
        ts(a.closedAt),
        ts(a.alertAt),
        ts(Math.max(a.alertAt, a.acknowledgedAt ?? 0, a.closedAt ?? 0)),
      ]),
    ),
    rowsOf(
      'intervention_cases',
      cases.map((c) => [
        c.id,
        c.schoolId,
        c.studentId,
        c.title,
        c.category,
        c.tier,
        c.priority,
        c.status,
        c.outcome,
        c.goal,
        c.assignedTo,
        c.openedBy,
        c.nextReviewAt,
        c.baseline,
        c.version,
        ts(c.closedAt),
        ts(c.createdAt),
        ts(c.updatedAt),
      ]),
    ),
    rowsOf('case_alerts', caseAlerts),
    rowsOf(
      'case_events',
      caseEvents.map((e) => [
        e.id,
        e.schoolId,
        e.caseId,
        e.kind,
        e.authorId,
        e.body,
        e.restricted,
        e.fromStatus,
        e.toStatus,
        e.fromUserId,
        e.toUserId,
        ts(e.at),
      ]),
    ),
    rowsOf(
      'api_tokens',
      schools.map((school) => {
        // The secret is made and dropped: a seeded token is a record of a token, not a way in.
        const secret = `pst_${new Random(seed, 300, school.id).hex(64)}`;
        return [
          school.tokenId,
          school.id,
          'Information system sync',
          secret.slice(0, 10),
          createHash('sha256').update(secret).digest('hex'),
          'roster:write attendance:write behaviour:write assessments:write students:read',
          school.adminId,
          created,
          null,
          null,
          recordedAt,
        ];
      }),
    ),
    rowsOf('audit_log', auditRows),
  ];

  const wellKnownSchool = schoolById(wellKnownClassroom.schoolId);
  return {
    tables,
    chainHead: { seq: auditRows.length, hash: previousHash },
    wellKnownClassroom: `${wellKnownClassroom.name} at ${schoolName(seed, wellKnownSchool.id)}`,
  };
}

function rowsOf(table: TableName, rows: SqlValue[][]): TableData {
  return { table, columns: TABLE_COLUMNS[table], count: rows.length, rows: () => rows };
}

function schoolCode(id: number): string {
  return `S${String(id).padStart(2, '0')}`;
}

function schoolName(seed: number, id: number): string {
  const stem = SCHOOL_NAME_STEMS[(id - 1) % SCHOOL_NAME_STEMS.length]!;
  const kind = new Random(seed, 400, id).pick(SCHOOL_NAME_KINDS);
  const round = Math.floor((id - 1) / SCHOOL_NAME_STEMS.length);
  return round === 0 ? `${stem} ${kind}` : `${stem} ${['North', 'South', 'East', 'West'][round - 1] ?? round} ${kind}`;
}

/** The last `count` weekdays up to and including `endMs` (UTC midnight), oldest first. */
function lastSchoolDays(endMs: number, count: number): string[] {
  const days: string[] = [];
  for (let ms = endMs; days.length < count; ms -= DAY_MS) {
    const weekday = new Date(ms).getUTCDay();
    if (weekday !== 0 && weekday !== 6) days.push(toDateOnly(new Date(ms)));
  }
  return days.reverse();
}

/** A moment on a weekday between 07:30 and 17:30 UTC, uniformly between two instants. */
function weekdayAt(random: Random, fromMs: number, toMs: number): number {
  let day = Math.floor(random.between(fromMs, toMs) / DAY_MS) * DAY_MS;
  const weekday = new Date(day).getUTCDay();
  if (weekday === 0) day -= 2 * DAY_MS;
  if (weekday === 6) day -= DAY_MS;
  return day + Math.floor(random.between(7.5, 17.5) * HOUR_MS);
}

function academicTerms(currentYear: number, historyYears: number) {
  const terms: { code: string; name: string; startsOn: string; endsOn: string }[] = [];
  for (let year = currentYear - historyYears; year <= currentYear; year++) {
    terms.push(
      { code: `${year}-AUT`, name: `Autumn ${year}`, startsOn: `${year}-09-01`, endsOn: `${year}-12-19` },
      {
        code: `${year + 1}-SPR`,
        name: `Spring ${year + 1}`,
        startsOn: `${year + 1}-01-05`,
        endsOn: `${year + 1}-03-27`,
      },
      {
        code: `${year + 1}-SUM`,
        name: `Summer ${year + 1}`,
        startsOn: `${year + 1}-04-13`,
        endsOn: `${year + 1}-07-22`,
      },
    );
  }
  return terms;
}

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

function gcseGrade(score: number): string {
  const bounds = [90, 80, 70, 60, 50, 40, 30, 20, 10];
  const index = bounds.findIndex((bound) => score >= bound);
  return String(index === -1 ? 1 : 9 - index > 0 ? 9 - index : 1);
}

const DISMISS_REASONS = [
  'Known medical absence; plan already in place with the family',
  'Attendance data corrected by the office',
  'Already supported through an existing intervention',
  'Authorised religious observance',
  'Incident reviewed: no further action needed',
];

const WELLBEING_CONCERNS = [
  'Seemed withdrawn in tutor time and mentioned trouble sleeping',
  'Parent reported friendship difficulties at break times',
  'Arrived without lunch several days this week',
  'Upset after PE; reluctant to say why',
  'Teacher noticed a sharp drop in homework completion and mood',
];

const CASE_TITLES: Record<string, string[]> = {
  ATTENDANCE: ['Attendance support plan', 'Punctuality and attendance check-ins', 'Return-to-school plan'],
  BEHAVIOUR: ['Behaviour support plan', 'Restorative conversations', 'Lesson conduct report card'],
  ACADEMIC: ['Maths catch-up', 'English reading intervention', 'Homework club and study skills'],
  WELLBEING: ['Wellbeing check-ins', 'Mentoring with a trusted adult', 'Family support referral'],
};

const CASE_GOALS: Record<string, string[]> = {
  ATTENDANCE: ['Attendance above 95% for four consecutive weeks', 'On time every day for a half term'],
  BEHAVIOUR: ['No major incidents for six weeks', 'Fewer than two minor incidents a fortnight'],
  ACADEMIC: ['Passing maths at the next assessment', 'Reading age up by six months by review'],
  WELLBEING: ['Student reports feeling settled at weekly check-in', 'Engaged with counselling sessions'],
};

const CASE_NOTES: Record<string, string[]> = {
  ATTENDANCE: [
    'Phoned home; parent aware and supportive of the plan.',
    'Met with student; agreed a morning check-in with the form tutor.',
    'Attendance improving over the last fortnight.',
    'Letter sent home about unauthorised absences.',
  ],
  BEHAVIOUR: [
    'Restorative meeting held with the other student involved.',
    'Report card started; reviewed daily at end of school.',
    'Positive week: two commendations from science.',
  ],
  ACADEMIC: [
    'Booked into Tuesday maths catch-up sessions.',
    'Reading assessment done; working with the literacy lead.',
    'Homework completion up to 80% this half term.',
  ],
  WELLBEING: [
    'Weekly check-in held; student more settled.',
    'Referred to the school counsellor with consent.',
    'Spoke with parent; agreed to review in two weeks.',
  ],
};

const RESTRICTED_NOTES = [
  'Safeguarding referral made to the designated lead; details held in the safeguarding record.',
  'Disclosure made to the form tutor; passed to the DSL the same day.',
  'Social care involved; do not discuss with other students or share outside the safeguarding team.',
];

const INCIDENT_DESCRIPTIONS: Record<string, string> = {
  FIGHTING: 'Physical altercation at break',
  BULLYING: 'Repeated unkind behaviour towards a peer',
  VERBAL_ABUSE: 'Abusive language towards staff',
  DAMAGE: 'Damage to school property',
  TRUANCY: 'Left site without permission',
  DISRUPTION: 'Disrupting learning in lesson',
  DEFIANCE: 'Refused reasonable instruction',
  LATE_TO_LESSON: 'Repeatedly late to lesson',
  UNIFORM: 'Uniform not to standard',
  PHONE: 'Phone used in lesson',
  HOMEWORK: 'Homework not handed in',
};
