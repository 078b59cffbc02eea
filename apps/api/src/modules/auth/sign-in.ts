/**
 * Sign-in and sign-out. A wrong e-mail and a wrong password get the same answer in the same time (an unknown
 * e-mail is verified against a dummy hash); failures are throttled (throttle.ts) so that guessing is held back
 * and the owner, from an address they signed in from, still gets in.
 */
import { type Database, type EngineDialect, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { recordSummarisedEvent } from '../audit-log/audit-summary.ts';
import { type AuditActor, appendAuditEntry, recordAuditEvent } from '../audit-log/audit.writer.ts';
import { hashPassword, verifyPassword } from './password.ts';
import { endSessionsBeyondLimit, sessionsBeyondLimit } from './session.mutations.ts';
import { accountSigningIn, recordSignInTime, rememberSignInAddress } from './sign-in.repository.ts';
import type { SessionStore } from './session-store.ts';
import { hashSessionId, newSessionId, SESSION_ABSOLUTE_MS } from './session.ts';
import { clearFailures, releaseAttempt } from './sign-in-throttle.repository.ts';
import {
  claimAttempt,
  firstHeldBack,
  KNOWN_ADDRESS_MS,
  networkOf,
  SIGN_IN_RULES,
  type SignInRuleName,
  signInKeys,
} from './throttle.ts';

export interface SignInRequest {
  email: string;
  password: string;
  ip: string | null;
  userAgent: string | null;
  requestId: string;
}

export interface SignInSettings {
  /** Live sessions a user may have; signing in beyond it ends the oldest (SESSION_MAX_PER_USER). */
  maxSessionsPerUser: number;
}

export type SignInResult =
  | { ok: true; sessionId: string; userId: number }
  | { ok: false; message: string; retryAfterSeconds: number | null; field?: string[] };

/** Something@somewhere.tld, within the 254 characters an address may have: anything else is a typing mistake. */
const EMAIL_ADDRESS = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

const WRONG_CREDENTIALS = 'The e-mail address or password is not right. Check both and try again.';

/** Throttled attempts of one key are audited as one summarised entry per quarter of an hour (audit-summary.ts). */
export const THROTTLED_SUMMARY_MS = 15 * 60_000;

/** Verified against when the e-mail is unknown, so that both failures take the same time. */
let dummyHash: Promise<string> | undefined;

export async function signIn(
  db: Kysely<Database>,
  dialect: EngineDialect,
  sessions: SessionStore,
  request: SignInRequest,
  settings: SignInSettings,
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
  const network = networkOf(request.ip);
  const keys = signInKeys(email, network);
  const anonymous: AuditActor = {
    type: 'ANONYMOUS',
    userId: null,
    apiTokenId: null,
    requestId: request.requestId,
    ip: request.ip,
  };

  // The account, and whether it signed in from this address lately: one statement, whether or not it exists.
  const user = await accountSigningIn(db, email, network, toTimestamp(new Date(now.getTime() - KNOWN_ADDRESS_MS)));
  const known = Boolean(user?.known_since);

  // Each attempt is claimed under every rule it answers to before the password is checked, so concurrent guesses
  // cannot all slip in under a limit. From a known address only the pair's rule applies: neither guesses from
  // elsewhere nor a crowd of failures behind the same address stop the owner. The pair goes last, because its
  // back-off cannot be given back; the others are, when a later rule holds the attempt or it succeeds.
  const rules: SignInRuleName[] = known ? ['pair'] : ['account', 'address', 'pair'];
  const claims = rules.map((name) => ({ name, key: keys[name], rule: SIGN_IN_RULES[name] }));
  // Most attempts of a flood are held back already: answered from one read, with nothing claimed or given back.
  let heldBack = await firstHeldBack(db, claims, now);
  const claimed: SignInRuleName[] = [];
  for (const { name, key, rule } of heldBack ? [] : claims) {
    const until = await claimAttempt(db, key, rule, now);
    if (until) {
      for (const earlier of claimed) await releaseAttempt(db, keys[earlier]);
      heldBack = { name, until };
      break;
    }
    claimed.push(name);
  }
  if (heldBack) {
    // An address's rule spans accounts: its summary names none.
    const account = heldBack.name === 'address' ? null : user;
    await recordSummarisedEvent(
      db,
      dialect,
      { key: `session.sign_in_throttled:${keys[heldBack.name]}`, windowMs: THROTTLED_SUMMARY_MS },
      anonymous,
      {
        action: 'session.sign_in_throttled',
        schoolId: account?.school_id ?? null,
        userId: account?.id ?? null,
        rule: heldBack.name,
      },
      now,
    );
    const retryAfterSeconds = Math.max(1, Math.ceil((heldBack.until.getTime() - now.getTime()) / 1000));
    return {
      ok: false,
      message: `Too many failed sign-ins. Try again in ${inWords(retryAfterSeconds)}, or ask an administrator to reset your password.`,
      retryAfterSeconds,
    };
  }

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
  const owner = { userId: user.id, schoolId: user.school_id };
  const actor: AuditActor = { ...anonymous, type: 'USER', userId: user.id };
  const endedByLimit = await db
    .transaction()
    .execute(async (trx) => {
      // First, so that concurrent sign-ins of one user queue here and each sees the others' sessions.
      await recordSignInTime(trx, user.id, toTimestamp(now));
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
      await rememberSignInAddress(trx, dialect, user.id, network, toTimestamp(now));
      const beyondLimit = await sessionsBeyondLimit(trx, user.id, settings.maxSessionsPerUser, now);
      // The audit entry comes last: it locks the school's chain head until commit, and every audited write in the
      // school waits behind it, so nothing that need not be is done while it is held.
      await appendAuditEntry(trx, dialect, actor, { action: 'session.signed_in', ...owner }, now);
      return endSessionsBeyondLimit(trx, dialect, actor, owner, beyondLimit, now);
    })
    .catch(async (error: unknown) => {
      // A session kept outside the database (Redis) must not outlive the sign-in that failed to be recorded.
      await sessions.delete(idHash, db).catch(() => undefined);
      throw error;
    });
  await sessions.ended(endedByLimit);
  // The owner proved who they are: the pair's failures and back-off are over.
  await clearFailures(db, keys.pair);
  // Staff behind one school's address sign in all morning: only failures count against the address and account.
  for (const rule of claimed) if (rule !== 'pair') await releaseAttempt(db, keys[rule]);
  return { ok: true, sessionId, userId: user.id };
}

/** 40 seconds, 2 minutes, 24 hours: when to try again, in words, rounded up. */
function inWords(seconds: number): string {
  const [count, unit] =
    seconds < 60
      ? [seconds, 'second']
      : seconds < 90 * 60
        ? [Math.ceil(seconds / 60), 'minute']
        : [Math.ceil(seconds / 3600), 'hour'];
  return `${count} ${unit}${count === 1 ? '' : 's'}`;
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
  await sessions.ended([session.idHash]);
  return ended;
}

/** Rolls back the sign-out's audit entry when another request ended the session first. */
class SessionAlreadyEndedError extends Error {}
