/**
 * Phase 5: the audit log. An entry for every seeded change to an alert or case, then everything else an ordinary
 * day leaves behind (sign-ins, failed sign-ins, integrator syncs and reads) up to the profile's total, chained
 * by hash so the seeded log verifies. Goes on drawing from the stream the alerts and cases drew from.
 */
import { type SqlValue, toTimestamp } from '@pastoral/db';
import { chainHash, GENESIS_HASH } from '../../modules/audit-log/audit-chain.ts';
import { chainOf } from '../../modules/audit-log/audit-chains.ts';
import { HOUR_MS, type SeedCalendar, weekdayAt } from '../calendar.ts';
import type { SeedProfile } from '../profiles.ts';
import type { Random } from '../random.ts';
import { type AuditDraft, byId, type SchoolPlan, type StaffMember, type StudentPlan } from '../seed-plan.ts';
import type { AlertsAndCases } from './alerts-and-cases.ts';

export interface AuditHistoryInput {
  random: Random;
  profile: SeedProfile;
  calendar: SeedCalendar;
  staff: readonly StaffMember[];
  districtAdmins: readonly StaffMember[];
  schools: readonly SchoolPlan[];
  students: readonly StudentPlan[];
  alertsAndCases: AlertsAndCases;
}

export interface AuditHistory {
  /** Rows of `audit_log`, in column order, oldest first. */
  auditRows: SqlValue[][];
  /** Each chain's head after its last row (audit-chains.ts: a school's id, 0 for the district's). */
  chainHeads: { id: number; seq: number; hash: string }[];
  /** The district-wide order's last number: the next entry's `seq` follows it. */
  lastSeq: number;
}

export function generateAuditHistory(input: AuditHistoryInput): AuditHistory {
  const { random, profile, staff, districtAdmins, students } = input;
  const { nowMs, historyStartMs } = input.calendar;
  const { alerts, cases, caseAlerts, caseEvents } = input.alertsAndCases;
  const staffById = (id: number) => byId(staff, id);
  const schoolById = (id: number) => byId(input.schools, id);
  const studentById = (id: number) => byId(students, id);
  const audit: AuditDraft[] = [];
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

  // Each school's entries on its own chain, the district's on chain 0, all starting from the genesis: a seeded
  // database has no legacy entries, so the legacy head every chain starts from is the all-zero hash.
  const heads = new Map<number, { id: number; seq: number; hash: string }>();
  const auditRows: SqlValue[][] = auditEntries.map((entry, index) => {
    const seq = index + 1;
    const chain = chainOf(entry.schoolId);
    const head = heads.get(chain) ?? { id: chain, seq: 0, hash: GENESIS_HASH };
    heads.set(chain, head);
    head.seq += 1;
    const fields = {
      seq: head.seq,
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
    head.hash = chainHash(head.hash, fields);
    return [
      seq,
      fields.occurred_at,
      seq,
      head.seq,
      head.hash,
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

  return { auditRows, chainHeads: [...heads.values()].sort((a, b) => a.id - b.id), lastSeq: auditRows.length };
}
