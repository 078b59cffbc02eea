/**
 * The generated district as rows, table by table, in the order the loader inserts them (parents first).
 * Attendance, the largest table by far, is a generator: it is recomputed per student as the loader reads.
 */
import { createHash } from 'node:crypto';
import { type SqlValue, TABLE_COLUMNS, type TableName, toDateOnly, toTimestamp } from '@pastoral/db';
import { DAY_MS, type SeedCalendar } from './calendar.ts';
import type { AlertsAndCases } from './phases/alerts-and-cases.ts';
import type { StudentRecords } from './phases/records.ts';
import { type SchoolsAndStaff, schoolName } from './phases/schools-and-staff.ts';
import { attendanceOf } from './phases/students.ts';
import { Random } from './random.ts';
import { byId, type StaffMember, type StudentPlan } from './seed-plan.ts';
import { INCIDENT_DESCRIPTIONS } from './texts.ts';

/** Rows for one table, streamed: `rows` may be a generator that computes them as the loader reads. */
export interface TableData {
  table: TableName;
  columns: readonly string[];
  count: number;
  rows: () => Iterable<SqlValue[]>;
}

export interface SeedTablesInput {
  seed: number;
  calendar: SeedCalendar;
  schoolsAndStaff: SchoolsAndStaff;
  students: readonly StudentPlan[];
  records: StudentRecords;
  alertsAndCases: AlertsAndCases;
  auditRows: SqlValue[][];
  passwordHashOf: (member: StaffMember) => string;
}

export function seedTables(input: SeedTablesInput): TableData[] {
  const { seed, students, passwordHashOf, auditRows } = input;
  const { created, recordedAt, schoolDays, academicYear, terms } = input.calendar;
  const { schools, classrooms, staff, assignments } = input.schoolsAndStaff;
  const { riskRows, riskByStudent, incidents, assessmentRows } = input.records;
  const { alerts, cases, caseAlerts, caseEvents } = input.alertsAndCases;
  const studentById = (id: number) => byId(students, id);
  const classroomById = (id: number) => byId(classrooms, id);
  const ts = (ms: number | null) => (ms === null ? null : toTimestamp(new Date(ms)));
  const activeStudents = students.filter((student) => student.active);
  return [
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
          // The level of the student's profile below: an inactive student's is all clear.
          riskByStudent.get(s.id)?.now.level ?? 0,
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
          const attendance = attendanceOf(seed, schoolDays, student);
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
}

function rowsOf(table: TableName, rows: SqlValue[][]): TableData {
  return { table, columns: TABLE_COLUMNS[table], count: rows.length, rows: () => rows };
}
