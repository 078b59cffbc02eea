/**
 * The hot queries of a school day, each with the index its plan must read through: EXPLAINed by the
 * query-plans test on seeded data, and by `pastoral doctor` on a deployment's own database. Each is the
 * statement the API sends, naming its school where the API does (school-scope.ts): a district admin's reads
 * are the ones without.
 */
import type { Database } from '@pastoral/db';
import type { Compilable, Kysely } from 'kysely';
import {
  activeStudentsOfClassroom,
  newAlertsOfFormMaster,
  newAlertsOfSchoolCount,
  newAlertsOfStudent,
  openCasesOfFormMaster,
  recentAuditEntriesOfUser,
  rosterOfSchoolByRisk,
} from './hot-queries.repository.ts';

export interface HotQuery {
  name: string;
  /** The index the plan must read through. */
  index: string;
  query: (db: Kysely<Database>) => Compilable;
}

export const HOT_QUERIES: HotQuery[] = [
  {
    name: "a form master's open cases, newest first",
    index: 'cases_assigned_status_idx',
    query: openCasesOfFormMaster,
  },
  {
    name: "a form master's new alerts, newest first",
    index: 'alerts_assigned_status_idx',
    query: newAlertsOfFormMaster,
  },
  {
    name: "a student's new alerts (a form master's inbox, for each of their classrooms' students)",
    index: 'alerts_student_status_idx',
    query: newAlertsOfStudent,
  },
  {
    name: "a classroom's active students",
    index: 'students_classroom_active_idx',
    query: activeStudentsOfClassroom,
  },
  {
    name: "a school's roster, highest risk first",
    index: 'students_school_active_risk_idx',
    query: rosterOfSchoolByRisk,
  },
  {
    name: "a user's audit entries of the last 30 days",
    index: 'audit_log_user_time_idx',
    query: recentAuditEntriesOfUser,
  },
  {
    name: "a school's new alerts (school-wide inbox and dashboard)",
    index: 'alerts_school_status_idx',
    query: newAlertsOfSchoolCount,
  },
];
