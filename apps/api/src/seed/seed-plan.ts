/**
 * The shapes the seed's phases hand one another: the district planned in memory before any row is written.
 * Ids are 1-based positions in their arrays, so `byId(rows, id)` finds a row without an index.
 */

/** The row whose id is `id`: the phases number their rows 1, 2, 3… in array order. */
export function byId<T>(rows: readonly T[], id: number): T {
  return rows[id - 1]!;
}

export interface StaffMember {
  id: number;
  schoolId: number | null;
  email: string;
  fullName: string;
  role: string;
  canViewRestricted: 0 | 1;
}

export interface SchoolPlan {
  id: number;
  code: string;
  adminId: number;
  leadIds: number[];
  safeguardingLeadId: number;
  tokenId: number;
}

export interface ClassroomPlan {
  id: number;
  schoolId: number;
  name: string;
  yearGroup: number;
  formMasterId: number;
  assistantIds: number[];
}

export interface StudentPlan {
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

export interface Incident {
  studentId: number;
  date: string;
  category: string;
  severity: 'MINOR' | 'MAJOR';
  suspensionDays: number;
}

export interface AlertRow {
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

export interface CaseEventRow {
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

export interface CaseRow {
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

export interface AuditDraft {
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
