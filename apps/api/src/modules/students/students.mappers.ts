/**
 * The types this module's GraphQL types map to (codegen's `mappers`, scripts/codegen.mjs): the generated resolver
 * types import this file, so it imports nothing that imports them.
 */
export type {
  AssessmentResult as AssessmentResultModel,
  AttendanceRecord as AttendanceRecordModel,
  BehaviourIncident as BehaviourIncidentModel,
  RiskProfile as RiskProfileModel,
  Student as StudentModel,
} from '@pastoral/db';
