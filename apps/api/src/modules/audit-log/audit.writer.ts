/**
 * Appends entries to the audit log inside the caller's transaction: no change without its entry, no entry
 * without its change. Each entry takes the next place in its school's hash chain (the district's, for entries
 * without a school: audit-chains.ts); that chain's head is locked for the rest of the transaction, so writers
 * in several processes never fork a chain, and writers in other schools do not wait. Callers append last, just
 * before their commit, so that the lock is held as briefly as their transaction allows.
 */
import { userInfo } from 'node:os';
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import type { Kysely, Transaction } from 'kysely';
import {
  appendBatchInProcedure,
  appendHoldingChainHeadBriefly,
  appendUnderWriteLock,
  type UnchainedFields,
} from './audit-chain.append.ts';

/** Who acted, and through which request. */
export interface AuditActor {
  type: 'USER' | 'TOKEN' | 'SYSTEM' | 'ANONYMOUS';
  userId: number | null;
  apiTokenId: number | null;
  requestId: string | null;
  ip: string | null;
  /** Told of each entry written, in the transaction: how a request learns which schools it changed. */
  onRecorded?: (event: AuditEvent) => void;
}

/**
 * Whose work an alert or case was before the change and is after it (the same person twice, or null when
 * unassigned): the people whose lists and figures the change moves. Not stored in the entry.
 */
export type Assignees = readonly (number | null)[];

/**
 * Where a summarised entry stands (audit-summary.ts): the first event of a key's window opens it, and the count of
 * the window is written once, when the window closes. Times are stored timestamps (UTC).
 */
export type AuditSummary =
  | { state: 'opened'; from: string; until: string }
  | { state: 'closed'; from: string; until: string; occurrences: number; lastAt: string };

/** Why a session ended other than by signing out of it. */
export type SessionEndReason =
  'signed_out_elsewhere' | 'signed_out_everywhere' | 'session_limit' | 'password_changed' | 'role_changed';

/** What happened: a typed event per action, so an entry's shape is checked where it is written. */
export type AuditEvent =
  | { action: 'session.signed_in'; schoolId: number | null; userId: number }
  | {
      action: 'session.sign_in_failed';
      schoolId: number | null;
      userId: number | null;
      reason: 'wrong_credentials';
    }
  | {
      action: 'session.sign_in_throttled';
      schoolId: number | null;
      /** The account tried, when there is one and the rule is about it (an address's rule spans accounts). */
      userId: number | null;
      /** The throttling rule that held the attempts back (throttle.ts). */
      rule: 'pair' | 'account' | 'address';
      summary: AuditSummary;
    }
  | {
      action: 'access.refused';
      /** The school of who was refused (the district's entries: null). */
      schoolId: number | null;
      /** The member of staff refused, if one was (a token is the entry's actor). */
      userId: number | null;
      /**
       * forbidden: a 403 (a field the principal may not use, a type a token's scopes do not cover);
       * other_school: an id of another school's record, which does not exist for the principal.
       */
      reasons: ('forbidden' | 'other_school')[];
      summary: AuditSummary;
    }
  | { action: 'session.signed_out'; schoolId: number | null; userId: number }
  | {
      action: 'session.ended';
      schoolId: number | null;
      /** Whose session it was. */
      userId: number;
      sessionId: number;
      reason: SessionEndReason;
    }
  | { action: 'user.password_changed'; schoolId: number | null; userId: number; operator: string }
  | { action: 'user.role_changed'; schoolId: number | null; userId: number; from: string; to: string; operator: string }
  | { action: 'case_note.restricted_read'; schoolId: number; caseEventId: number; caseId: number; studentId: number }
  | {
      action: 'alert.raised' | 'alert.band_raised';
      schoolId: number;
      alertId: number;
      studentId: number;
      severity: number;
      assignees: Assignees;
    }
  | { action: 'alert.resolved'; schoolId: number; alertId: number; studentId: number; assignees: Assignees }
  | {
      action: 'alert.acknowledged' | 'alert.dismissed' | 'alert.escalated' | 'alert.concern_raised';
      schoolId: number;
      alertId: number;
      studentId: number;
      changes?: Record<string, unknown>;
      assignees: Assignees;
    }
  | {
      action: 'case.opened' | 'case.updated' | 'case.reassigned' | 'case.status_changed' | 'case.note_added';
      schoolId: number;
      caseId: number;
      studentId: number;
      changes: Record<string, unknown>;
      assignees: Assignees;
    }
  | {
      action: 'api_token.created' | 'api_token.revoked';
      schoolId: number | null;
      apiTokenId: number;
      changes: Record<string, unknown>;
    }
  | {
      action: 'attendance.recorded' | 'behaviour.recorded' | 'assessments.recorded';
      schoolId: number | null;
      records: number;
      students: number;
    }
  | { action: 'student.disclosed'; schoolId: number; studentId: number; via: string }
  | { action: 'roster.upserted'; schoolId: number; created: number; updated: number }
  | {
      action: 'audit.purged';
      schoolId: null;
      /** The cut-off: entries before it went. */
      before: string;
      /** Each chain cut, by its positions (audit-chains.ts). */
      chains: { chain: number; fromSeq: number; throughSeq: number }[];
      forced: boolean;
      /** The operating-system user who ran the command. */
      operator: string;
    }
  | {
      action: 'risk.recomputed';
      schoolId: number | null;
      students: number;
      levelChanged: number;
      rulesVersion: string;
    };

function entryFields(event: AuditEvent) {
  switch (event.action) {
    case 'session.signed_in':
    case 'session.signed_out':
      return { entity_type: 'user', entity_id: event.userId, student_id: null, details: null };
    case 'session.sign_in_failed':
      return {
        entity_type: event.userId === null ? null : 'user',
        entity_id: event.userId,
        student_id: null,
        details: JSON.stringify({ reason: event.reason }),
      };
    case 'session.sign_in_throttled':
      return {
        entity_type: event.userId === null ? null : 'user',
        entity_id: event.userId,
        student_id: null,
        details: JSON.stringify({ rule: event.rule, summary: event.summary }),
      };
    case 'access.refused':
      return {
        entity_type: event.userId === null ? null : 'user',
        entity_id: event.userId,
        student_id: null,
        details: JSON.stringify({ reasons: event.reasons, summary: event.summary }),
      };
    case 'session.ended':
      return {
        entity_type: 'user',
        entity_id: event.userId,
        student_id: null,
        details: JSON.stringify({ sessionId: event.sessionId, reason: event.reason }),
      };
    case 'user.password_changed':
      return {
        entity_type: 'user',
        entity_id: event.userId,
        student_id: null,
        details: JSON.stringify({ operator: event.operator }),
      };
    case 'user.role_changed':
      return {
        entity_type: 'user',
        entity_id: event.userId,
        student_id: null,
        details: JSON.stringify({ from: event.from, to: event.to, operator: event.operator }),
      };
    case 'alert.raised':
    case 'alert.band_raised':
      return {
        entity_type: 'alert',
        entity_id: event.alertId,
        student_id: event.studentId,
        details: JSON.stringify({ severity: event.severity }),
      };
    case 'alert.resolved':
      return { entity_type: 'alert', entity_id: event.alertId, student_id: event.studentId, details: null };
    case 'alert.acknowledged':
    case 'alert.dismissed':
    case 'alert.escalated':
    case 'alert.concern_raised':
      return {
        entity_type: 'alert',
        entity_id: event.alertId,
        student_id: event.studentId,
        details: event.changes ? JSON.stringify(event.changes) : null,
      };
    case 'case.opened':
    case 'case.updated':
    case 'case.reassigned':
    case 'case.status_changed':
    case 'case.note_added':
      return {
        entity_type: 'case',
        entity_id: event.caseId,
        student_id: event.studentId,
        details: JSON.stringify(event.changes),
      };
    case 'api_token.created':
    case 'api_token.revoked':
      return {
        entity_type: 'api_token',
        entity_id: event.apiTokenId,
        student_id: null,
        details: JSON.stringify(event.changes),
      };
    case 'attendance.recorded':
    case 'behaviour.recorded':
    case 'assessments.recorded':
      return {
        entity_type: null,
        entity_id: null,
        student_id: null,
        details: JSON.stringify({ records: event.records, students: event.students }),
      };
    case 'student.disclosed':
      return {
        entity_type: 'student',
        entity_id: event.studentId,
        student_id: event.studentId,
        details: JSON.stringify({ via: event.via }),
      };
    case 'roster.upserted':
      return {
        entity_type: null,
        entity_id: null,
        student_id: null,
        details: JSON.stringify({ created: event.created, updated: event.updated }),
      };
    case 'risk.recomputed':
      return {
        entity_type: null,
        entity_id: null,
        student_id: null,
        details: JSON.stringify({
          students: event.students,
          levelChanged: event.levelChanged,
          rulesVersion: event.rulesVersion,
        }),
      };
    case 'audit.purged':
      return {
        entity_type: null,
        entity_id: null,
        student_id: null,
        details: JSON.stringify({
          before: event.before,
          chains: event.chains,
          forced: event.forced,
          operator: event.operator,
        }),
      };
    case 'case_note.restricted_read':
      return {
        entity_type: 'case_event',
        entity_id: event.caseEventId,
        student_id: event.studentId,
        details: JSON.stringify({ caseId: event.caseId }),
      };
  }
}

function unchainedFields(actor: AuditActor, event: AuditEvent, now: Date): UnchainedFields {
  return {
    occurred_at: toTimestamp(now),
    school_id: event.schoolId,
    actor_type: actor.type,
    user_id: actor.userId,
    api_token_id: actor.apiTokenId,
    action: event.action,
    request_id: actor.requestId,
    ip: actor.ip,
    ...entryFields(event),
  };
}

export async function appendAuditEntry(
  trx: Transaction<Database>,
  dialect: EngineDialect,
  actor: AuditActor,
  event: AuditEvent,
  now: Date = new Date(),
): Promise<void> {
  const fields = unchainedFields(actor, event, now);
  if (dialect.engine === 'mysql') await appendHoldingChainHeadBriefly(trx, fields);
  else await appendUnderWriteLock(trx, [fields]);
  actor.onRecorded?.(event);
}

/** Entries per batch: a page of 100 students is one, a `nodes` of 100 cases and their students two at most. */
const ENTRIES_PER_BATCH = 500;

/**
 * Appends many entries that record no change (a request's reads) in one hold of their chains' heads, outside any
 * transaction of the caller's: MySQL in one statement, the stored procedure `append_audit_entries` (see its
 * migration), which hashes each entry onto the previous one of its chain as chainHash does; SQLite in one
 * transaction of its own. Either way all of them are on the record, or none and the call fails.
 */
export async function appendAuditEntries(
  db: Kysely<Database>,
  dialect: EngineDialect,
  actor: AuditActor,
  events: readonly AuditEvent[],
  now: Date,
): Promise<void> {
  for (let start = 0; start < events.length; start += ENTRIES_PER_BATCH) {
    const batch = events.slice(start, start + ENTRIES_PER_BATCH).map((event) => unchainedFields(actor, event, now));
    if (dialect.engine === 'mysql') {
      await appendBatchInProcedure(db, batch);
    } else {
      await db.transaction().execute((trx) => appendUnderWriteLock(trx, batch));
    }
  }
  for (const event of events) actor.onRecorded?.(event);
}

/** Who ran a command that writes an entry (an operator's purge, a password they changed): the system's user name. */
export function operatingSystemUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

/** An entry of its own, in a transaction of its own: for events that change nothing else (a failed sign-in). */
export function recordAuditEvent(
  db: Kysely<Database>,
  dialect: EngineDialect,
  actor: AuditActor,
  event: AuditEvent,
): Promise<void> {
  return db.transaction().execute((trx) => appendAuditEntry(trx, dialect, actor, event));
}
