import { requireReader } from '../../context.ts';
import { riskLevelCode, riskLevelName } from '../../graphql/enums.ts';
import { idOfType, schoolKeyOfType, toGlobalId } from '../../graphql/relay.ts';
import { schoolKeyOf } from '../../school-scope.ts';
import type { AttendanceStatus, IncidentSeverity, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { readerOf } from '../../principal.ts';
import { mayRaiseConcern } from '../alerts/alert.policy.ts';
import { readsAuditLog } from '../audit-log/audit-log.policy.ts';
import { mayOpenCase } from '../cases/case.policy.ts';
import type { RiskReason } from '../risk/risk.rules.ts';
import { assessmentResultsOf, listStudents } from './student.repository.ts';

export const studentResolvers: Resolvers = {
  Query: {
    students: (_parent, { filter, orderBy, ...page }, context) =>
      listStudents(
        context.db,
        requireReader(context, 'student'),
        {
          schoolId: filter?.schoolId == null ? undefined : idOfType(filter.schoolId, 'School', 'filter.schoolId'),
          classroom:
            filter?.classroomId == null
              ? undefined
              : schoolKeyOfType(filter.classroomId, 'Classroom', 'filter.classroomId'),
          riskLevels: filter?.riskLevels?.map(riskLevelCode),
          active: filter?.active,
          search: filter?.search ?? undefined,
        },
        orderBy ?? { field: 'NAME', direction: 'ASC' },
        page,
      ),
  },
  Student: {
    id: (student) => toGlobalId('Student', schoolKeyOf(student)),
    viewerCan: (_student, _args, context) => {
      // As the loaders decide whether Student.viewedBy and Student.disclosures are null.
      const auditReader = readerOf(context, 'audit');
      const readsPanels = auditReader !== null && readsAuditLog(auditReader);
      return {
        openCase: context.viewer !== null && mayOpenCase(context.viewer),
        raiseConcern: context.viewer !== null && mayRaiseConcern(context.viewer),
        readViewedBy: readsPanels,
        readDisclosures: readsPanels,
      };
    },
    fullName: (student) => student.full_name,
    givenName: (student) => student.given_name,
    familyName: (student) => student.family_name,
    externalId: (student) => student.external_id,
    isActive: (student) => student.is_active === 1,
    yearGroup: (student) => student.year_group,
    classroom: async (student, _args, context) =>
      (await context.loaders.classroomById.load({ schoolId: student.school_id, id: student.classroom_id }))!,
    school: async (student, _args, context) => (await context.loaders.schoolById.load(student.school_id))!,
    riskProfile: (student, _args, context) => context.loaders.riskProfileByStudentId.load(schoolKeyOf(student)),
    attendance: (student, args, context) =>
      context.loaders.attendanceByStudentId.load({ parent: schoolKeyOf(student), args }),
    behaviourIncidents: (student, args, context) =>
      context.loaders.incidentsByStudentId.load({ parent: schoolKeyOf(student), args }),
    assessmentResults: async (student, _args, context) => {
      const term = await context.currentTerm();
      return term ? assessmentResultsOf(context.db, [schoolKeyOf(student)], term) : [];
    },
    alerts: (student, args, context) => context.loaders.alertsByStudentId.load({ parent: schoolKeyOf(student), args }),
    cases: (student, args, context) => context.loaders.casesByStudentId.load({ parent: schoolKeyOf(student), args }),
  },
  RiskProfile: {
    level: (profile) => riskLevelName(profile.level),
    reasons: (profile) => (JSON.parse(profile.reasons) as RiskReason[]).map((reason) => reason.text),
    attendanceLevel: (profile) => riskLevelName(profile.attendance_level),
    behaviourLevel: (profile) => riskLevelName(profile.behaviour_level),
    courseworkLevel: (profile) => riskLevelName(profile.coursework_level),
    attendanceRate: (profile) => profile.attendance_rate,
    attendanceDays: (profile) => profile.attendance_days,
    minorIncidents: (profile) => profile.minor_incidents,
    majorIncidents: (profile) => profile.major_incidents,
    failingSubjects: (profile) => profile.failing_subjects,
    failingCoreSubjects: (profile) => profile.failing_core_subjects,
    previousLevel: (profile) => (profile.previous_level === null ? null : riskLevelName(profile.previous_level)),
    worsenedAt: (profile) => profile.worsened_at,
    rulesVersion: (profile) => profile.rules_version,
    computedAt: (profile) => profile.computed_at,
  },
  AttendanceRecord: {
    status: (record) => record.status as AttendanceStatus,
  },
  BehaviourIncident: {
    occurredOn: (incident) => incident.occurred_on,
    severity: (incident) => incident.severity as IncidentSeverity,
    suspensionDays: (incident) => incident.suspension_days,
  },
  AssessmentResult: {
    term: (result) => result.term_code,
    passing: (result) => result.passing === 1,
  },
};
