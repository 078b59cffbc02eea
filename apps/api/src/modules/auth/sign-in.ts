/**
 * Sign-in and sign-out. A wrong e-mail and a wrong password get the same answer in the same time (an unknown
 * e-mail is verified against a dummy hash); failures are throttled per account and per address.
 */
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { type AuditActor, appendAuditEntry, recordAuditEvent } from '../audit-log/audit.writer.ts';
import { hashPassword, verifyPassword } from './password.ts';
import type { SessionStore } from './session-store.ts';
import { hashSessionId, newSessionId, SESSION_ABSOLUTE_MS } from './session.ts';
import { claimAttempt, clearFailures, releaseAttempt, SIGN_IN_RULES } from './throttle.ts';

export interface SignInRequest {
  email: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export type SignInResult =
  | { ok: true; sessionId: string; userId: number }
  | { ok: false; message: string; retryAfterSeconds: number | null; field?: string[] };

/** Something@somewhere.tld, within the 254 characters an address may have: anything else is a typing mistake. */
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const WRONG_CREDENTIALS = 'The e-mail address or password is not right. Check both and try again.';

/** Verified against when the e-mail is unknown, so that both failures take the same time. */
let dummyHash: Promise<string> | undefined;

export async function signIn(
  db: Kysely<Database>,
  dialect: EngineDialect,
  sessions: SessionStore,
  request: SignInRequest,
  now: Date = new Date(),
): Promise<SignInResult> {
  const email = request.email.trim().toLowerCase();
  // No account has such an address: the mistake is named, and counted against no one.
  if (email.length > 254 || !EMAIL_ADDRESS.test(email)) {
    return {
      ok: false,
      message: 'Enter your e-mail address, like name@school.org.',
      retryAfterSeconds: null,
      field: ['input', 'email'],
    };
  }
  const accountKey = `signin:account:${email}`.slice(0, 191);
  const addressKey = `signin:ip:${request.ip ?? 'unknown'}`;
  const anonymous: AuditActor = {
    type: 'ANONYMOUS',
    userId: null,
    apiTokenId: null,
    requestId: request.requestId,
    ip: request.ip,
  };

  // Each attempt is counted before the password is checked, so concurrent guesses cannot all slip in under
  // the limit; an attempt that succeeds, or that the address's limit stops, is given back.
  const accountBlockedUntil = await claimAttempt(db, accountKey, SIGN_IN_RULES.account, now);
  const addressBlockedUntil = accountBlockedUntil
    ? null
    : await claimAttempt(db, addressKey, SIGN_IN_RULES.address, now);
  if (addressBlockedUntil) await releaseAttempt(db, accountKey);
  const blocked = [accountBlockedUntil, addressBlockedUntil].filter((until): until is Date => until !== null);
  if (blocked.length > 0) {
    const until = Math.max(...blocked.map((date) => date.getTime()));
    const retryAfterSeconds = Math.ceil((until - now.getTime()) / 1000);
    await recordAuditEvent(db, dialect, anonymous, {
      action: 'session.sign_in_failed',
      schoolId: null,
      userId: null,
      reason: 'throttled',
    });
    return {
      ok: false,
      message: `Too many failed sign-ins. Try again in ${Math.ceil(retryAfterSeconds / 60)} minute(s), or ask an administrator to reset your password.`,
      retryAfterSeconds,
    };
  }

  const user = await db
    .selectFrom('users')
    .select(['id', 'school_id', 'password_hash', 'is_active'])
    .where('email', '=', email)
    .executeTakeFirst();
  const storedHash = user?.is_active === 1 ? user.password_hash : null;
  const verified = await verifyPassword(
    storedHash ?? (await (dummyHash ??= hashPassword(newSessionId()))),
    request.password,
  );

  if (!user || !storedHash || !verified) {
    await recordAuditEvent(db, dialect, anonymous, {
      action: 'session.sign_in_failed',
      schoolId: user?.school_id ?? null,
      userId: user?.id ?? null,
      reason: 'wrong_credentials',
    });
    return { ok: false, message: WRONG_CREDENTIALS, retryAfterSeconds: null };
  }

  // A fresh session id at every sign-in: an id planted before sign-in is never promoted.
  const sessionId = newSessionId();
  const idHash = hashSessionId(sessionId);
  await db
    .transaction()
    .execute(async (trx) => {
      await sessions.create(
        {
          idHash,
          userId: user.id,
          now: toTimestamp(now),
          expiresAt: toTimestamp(new Date(now.getTime() + SESSION_ABSOLUTE_MS)),
          ip: request.ip,
          userAgent: request.userAgent?.slice(0, 300) ?? null,
        },
        trx,
      );
      await trx
        .updateTable('users')
        .set({ last_sign_in_at: toTimestamp(now) })
        .where('id', '=', user.id)
        .execute();
      await appendAuditEntry(
        trx,
        dialect,
        { ...anonymous, type: 'USER', userId: user.id },
        { action: 'session.signed_in', schoolId: user.school_id, userId: user.id },
        now,
      );
    })
    .catch(async (error: unknown) => {
      // A session kept outside the database (Redis) must not outlive the sign-in that failed to be recorded.
      await sessions.delete(idHash, db).catch(() => undefined);
      throw error;
    });
  await clearFailures(db, accountKey);
  // Staff behind one school's address sign in all morning: only failures count against it.
  await releaseAttempt(db, addressKey);
  return { ok: true, sessionId, userId: user.id };
}

export async function signOut(
  db: Kysely<Database>,
  dialect: EngineDialect,
  sessions: SessionStore,
  session: { idHash: string; userId: number; schoolId: number | null },
  actor: AuditActor,
): Promise<boolean> {
  const ended = await db
    .transaction()
    .execute(async (trx) => {
      // The entry first: if it cannot be written, the session is not ended either.
      await appendAuditEntry(trx, dialect, actor, {
        action: 'session.signed_out',
        schoolId: session.schoolId,
        userId: session.userId,
      });
      const deleted = await sessions.delete(session.idHash, trx);
      if (!deleted) throw new SessionAlreadyEndedError();
      return true;
    })
    .catch((error: unknown) => {
      if (error instanceof SessionAlreadyEndedError) return false;
      throw error;
    });
  // Whoever ended it, no copy of the session may outlive this response.
  await sessions.ended(session.idHash);
  return ended;
}

/** Rolls back the sign-out's audit entry when another request ended the session first. */
class SessionAlreadyEndedError extends Error {}
