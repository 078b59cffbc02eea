/** The rows of the tables the application reads and writes most, by name. */
import type { Insertable, Selectable, Updateable } from 'kysely';
import type {
  AlertTable,
  ApiTokenTable,
  AssessmentResultTable,
  AttendanceRecordTable,
  AuditLogTable,
  BehaviourIncidentTable,
  CaseEventTable,
  ClassroomTable,
  InterventionCaseTable,
  RiskProfileTable,
  SchoolTable,
  SessionTable,
  StudentRecordViewTable,
  StudentTable,
  UserTable,
} from './schema.ts';

export type School = Selectable<SchoolTable>;
export type Classroom = Selectable<ClassroomTable>;
export type User = Selectable<UserTable>;
export type Student = Selectable<StudentTable>;
export type RiskProfile = Selectable<RiskProfileTable>;
export type Alert = Selectable<AlertTable>;
export type InterventionCase = Selectable<InterventionCaseTable>;
export type CaseEvent = Selectable<CaseEventTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type NewAuditEntry = Insertable<AuditLogTable>;
export type StudentUpdate = Updateable<StudentTable>;
export type AttendanceRecord = Selectable<AttendanceRecordTable>;
export type BehaviourIncident = Selectable<BehaviourIncidentTable>;
export type AssessmentResult = Selectable<AssessmentResultTable>;
export type ApiToken = Selectable<ApiTokenTable>;
export type StudentRecordView = Selectable<StudentRecordViewTable>;
export type Session = Selectable<SessionTable>;
