/**
 * Changes to a member of staff's account that an operator makes from the command line (no API request changes
 * accounts): a new password, a new role. Either ends every session of the user (endSessionsOfUser) in the same
 * transaction as the change and its audit entry, so nobody stays signed in on the strength of an old password
 * or with an old role's view.
 */
import { type Database, type EngineDialect, ROLES, type Role, toTimestamp } from '@pastoral/db';
import type { Kysely, Transaction } from 'kysely';
import { type AuditActor, appendAuditEntry, operatingSystemUser } from '../audit-log/audit.writer.ts';
import { hashPassword } from '../auth/password.ts';
import { endSessionsOfUser } from '../auth/session.mutations.ts';
import { schoolExists } from '../schools/school.repository.ts';
import { accountByEmail, setPasswordHash, setRole } from './user.repository.ts';

/** A mistake in what the operator asked for: one line that says what to change. */
export class AccountChangeError extends Error {
  override name = 'AccountChangeError';
}

export interface AccountChangeContext {
  db: Kysely<Database>;
  dialect: EngineDialect;
  now: Date;
}

export interface AccountChanged {
  userId: number;
  /** The hashes of the sessions ended: tell every process to forget them (forgetEndedSessions). */
  endedSessions: string[];
}

/** The shortest and longest passwords taken (NIST SP 800-63B: at least 8, and room for a passphrase). */
export const PASSWORD_LENGTH = { min: 8, max: 256 } as const;

const SYSTEM: AuditActor = { type: 'SYSTEM', userId: null, apiTokenId: null, requestId: null, ip: null };

async function accountOf(trx: Transaction<Database>, email: string) {
  const user = await accountByEmail(trx, email.trim().toLowerCase());
  if (!user) throw new AccountChangeError(`No member of staff has the e-mail address ${email.trim()}: check it.`);
  return user;
}

export async function changePassword(
  context: AccountChangeContext,
  email: string,
  password: string,
): Promise<AccountChanged> {
  if (password.length < PASSWORD_LENGTH.min || password.length > PASSWORD_LENGTH.max) {
    throw new AccountChangeError(
      `The new password is ${password.length} characters; give one of ${PASSWORD_LENGTH.min} to ${PASSWORD_LENGTH.max}.`,
    );
  }
  // Hashed before the transaction: argon2 takes tens of milliseconds, which no lock should wait for.
  const passwordHash = await hashPassword(password);
  return context.db.transaction().execute(async (trx) => {
    const user = await accountOf(trx, email);
    await setPasswordHash(trx, user.id, passwordHash, toTimestamp(context.now));
    const owner = { userId: user.id, schoolId: user.school_id };
    await appendAuditEntry(
      trx,
      context.dialect,
      SYSTEM,
      { action: 'user.password_changed', ...owner, operator: operatingSystemUser() },
      context.now,
    );
    const endedSessions = await endSessionsOfUser(trx, context.dialect, SYSTEM, owner, 'password_changed', {
      now: context.now,
    });
    return { userId: user.id, endedSessions };
  });
}

/**
 * A new role. District admins belong to no school; every other role to one: a district admin given another
 * role needs `schoolId`, and staff do not move between schools here (their classrooms are their school's).
 */
export async function changeRole(
  context: AccountChangeContext,
  email: string,
  role: string,
  schoolId?: number,
): Promise<AccountChanged> {
  if (!(ROLES as readonly string[]).includes(role)) {
    throw new AccountChangeError(`There is no role ${role}: give one of ${ROLES.join(', ')}.`);
  }
  const to = role as Role;
  return context.db.transaction().execute(async (trx) => {
    const user = await accountOf(trx, email);
    if (user.role === to) throw new AccountChangeError(`This member of staff is a ${to} already: nothing changed.`);
    const school = to === 'DISTRICT_ADMIN' ? null : (user.school_id ?? schoolId ?? null);
    if (to === 'DISTRICT_ADMIN' && schoolId !== undefined) {
      throw new AccountChangeError('A district admin belongs to no school: leave out --school.');
    }
    if (to !== 'DISTRICT_ADMIN' && school === null) {
      throw new AccountChangeError(`A ${to} belongs to a school: give its id with --school.`);
    }
    if (schoolId !== undefined && user.school_id !== null && schoolId !== user.school_id) {
      throw new AccountChangeError(
        `This member of staff is at school ${user.school_id}; moving staff between schools is not done here: leave out --school.`,
      );
    }
    if (school !== null && !(await schoolExists(trx, school))) {
      throw new AccountChangeError(`There is no school ${school}: give the id of one (its database id).`);
    }
    await setRole(trx, user.id, { role: to, schoolId: school }, toTimestamp(context.now));
    const owner = { userId: user.id, schoolId: school };
    await appendAuditEntry(
      trx,
      context.dialect,
      SYSTEM,
      { action: 'user.role_changed', ...owner, from: user.role, to, operator: operatingSystemUser() },
      context.now,
    );
    const endedSessions = await endSessionsOfUser(trx, context.dialect, SYSTEM, owner, 'role_changed', {
      now: context.now,
    });
    return { userId: user.id, endedSessions };
  });
}
