/**
 * Ending sessions other than by signing out of the one in hand: a user ends another of their sessions, or all of
 * them but this one; signing in past the limit of sessions per user ends the oldest; a password or role change
 * ends them all. Each ended session has its audit entry in the transaction that deletes it, and once that has
 * committed every process forgets its cached copy (SessionStore.ended), so the session's cookie is refused by
 * the next request wherever it goes.
 */
import type { Database, EngineDialect, Session } from '@pastoral/db';
import type { Transaction } from 'kysely';
import type { MutationContext } from '../../context.ts';
import { failure, inTransaction, type Outcome, success, userError } from '../../graphql/mutations.ts';
import { type AuditActor, appendAuditEntry, type SessionEndReason } from '../audit-log/audit.writer.ts';
import { ownSessions, sessionsOfUser } from './session.policy.ts';
import { deleteSessionsOfUser, liveSessions } from './session.repository.ts';
import type { SessionStore } from './session-store.ts';
import { liveAt } from './session.ts';

/** Whose sessions end, as the audit log names them. */
export interface SessionOwner {
  userId: number;
  schoolId: number | null;
}

/** Ends each of `sessions` that is still there, with its entry; returns the hashes to forget once committed. */
async function endSessions(
  trx: Transaction<Database>,
  dialect: EngineDialect,
  actor: AuditActor,
  owner: SessionOwner,
  sessions: Pick<Session, 'id' | 'id_hash'>[],
  reason: SessionEndReason,
  now: Date,
): Promise<string[]> {
  const ended: string[] = [];
  for (const session of sessions) {
    // One at a time: a session another request ended meanwhile gets no entry of this one.
    if ((await deleteSessionsOfUser(trx, owner.userId, [session.id])) === 0) continue;
    await appendAuditEntry(
      trx,
      dialect,
      actor,
      { action: 'session.ended', schoolId: owner.schoolId, userId: owner.userId, sessionId: session.id, reason },
      now,
    );
    ended.push(session.id_hash);
  }
  return ended;
}

/**
 * The rule for a change that must not leave a user signed in as they were (a new password, a new role): every
 * live session of theirs ends (but `except`, the session making the change for its own user), in the caller's
 * transaction. Returns the sessions' hashes: give them to SessionStore.ended (or forgetEndedSessions) once the
 * transaction has committed.
 */
export async function endSessionsOfUser(
  trx: Transaction<Database>,
  dialect: EngineDialect,
  actor: AuditActor,
  owner: SessionOwner,
  reason: SessionEndReason,
  { now, except }: { now: Date; except?: string },
): Promise<string[]> {
  const live = await liveSessions(trx, sessionsOfUser(owner.userId), liveAt(now)).execute();
  const ending = live.filter((session) => session.id_hash !== except);
  return endSessions(trx, dialect, actor, owner, ending, reason, now);
}

/**
 * At sign-in, in its transaction, after the new session is in: the sessions a user with more than `limit` live
 * sessions loses, the oldest (by when they began). Concurrent sign-ins of one user queue on the user's row, which
 * the sign-in updates first, so each counts the others' sessions.
 */
export async function sessionsBeyondLimit(
  trx: Transaction<Database>,
  userId: number,
  limit: number,
  now: Date,
): Promise<Pick<Session, 'id' | 'id_hash'>[]> {
  const live = await liveSessions(trx, sessionsOfUser(userId), liveAt(now)).execute();
  if (live.length <= limit) return [];
  const newestFirst = live.sort((a, b) =>
    a.created_at === b.created_at ? b.id - a.id : a.created_at < b.created_at ? 1 : -1,
  );
  return newestFirst.slice(limit);
}

/** Ends the sessions sessionsBeyondLimit found, each audited as ended by the limit; their hashes, as endSessions. */
export function endSessionsBeyondLimit(
  trx: Transaction<Database>,
  dialect: EngineDialect,
  actor: AuditActor,
  owner: SessionOwner,
  beyondLimit: Pick<Session, 'id' | 'id_hash'>[],
  now: Date,
): Promise<string[]> {
  return endSessions(trx, dialect, actor, owner, beyondLimit, 'session_limit', now);
}

/**
 * A user ends one of their sessions by its id: another browser's, or this one (then it is signing out). A session
 * that is not theirs, or not live, is NOT_FOUND and nothing changes.
 */
export async function signOutSession(
  context: MutationContext,
  sessions: SessionStore,
  id: number,
): Promise<Outcome<{ current: boolean }>> {
  const { viewer, now } = context;
  let ended: string | null = null;
  const outcome = await inTransaction<{ current: boolean }>(context.db, async (trx) => {
    const session = await liveSessions(trx, ownSessions(viewer), liveAt(now)).where('id', '=', id).executeTakeFirst();
    const deleted = session ? await deleteSessionsOfUser(trx, viewer.user.id, [id]) : 0;
    if (!session || deleted === 0) {
      return failure(
        userError('NOT_FOUND', 'No such session of yours: it has ended already, or it is not yours.', ['input', 'id']),
      );
    }
    const current = session.id_hash === viewer.session.idHash;
    const owner = { schoolId: viewer.schoolId, userId: viewer.user.id };
    await appendAuditEntry(
      trx,
      context.dialect,
      context.actor,
      current
        ? { action: 'session.signed_out', ...owner }
        : { action: 'session.ended', ...owner, sessionId: id, reason: 'signed_out_elsewhere' },
      now,
    );
    ended = session.id_hash;
    return success({ current });
  });
  if (ended) await sessions.ended([ended]);
  return outcome;
}

/** "Sign out everywhere else": every live session of the viewer's but this one ends. Returns how many did. */
export async function signOutEverywhere(context: MutationContext, sessions: SessionStore): Promise<number> {
  const { viewer } = context;
  const ended = await context.db
    .transaction()
    .execute((trx) =>
      endSessionsOfUser(
        trx,
        context.dialect,
        context.actor,
        { userId: viewer.user.id, schoolId: viewer.schoolId },
        'signed_out_everywhere',
        { now: context.now, except: viewer.session.idHash },
      ),
    );
  await sessions.ended(ended);
  return ended.length;
}
