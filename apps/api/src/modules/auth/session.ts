/**
 * Staff sessions: an opaque random id (256 bits) in an HttpOnly cookie, stored server-side only as its SHA-256,
 * ending after 30 minutes idle or 12 hours in all. The last-seen time is written at most once a minute.
 */
import { createHash, randomBytes } from 'node:crypto';
import { fromTimestamp, type Role, toTimestamp } from '@pastoral/db';
import type { Config } from '../../config.ts';
import type { SessionStore } from './session-store.ts';
import type { Viewer } from './viewer.ts';

export const SESSION_IDLE_MS = 30 * 60_000;
export const SESSION_ABSOLUTE_MS = 12 * 60 * 60_000;
/** Activity is recorded at this granularity: a busy user costs one write a minute, not one per request. */
export const SESSION_TOUCH_INTERVAL_MS = 60_000;

export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex');
}

/**
 * The cookie's name: in production `__Host-` binds it to this exact origin over HTTPS (no Domain, Path=/,
 * Secure), so a sibling subdomain cannot set or read it.
 */
export function sessionCookieName(config: Pick<Config, 'env'>): string {
  return config.env === 'production' ? '__Host-pastoral_session' : 'pastoral_session';
}

export function sessionCookie(config: Pick<Config, 'env'>, value: string, maxAgeSeconds: number): string {
  return serverCookie(config, sessionCookieName(config), value, maxAgeSeconds);
}

/** A cookie only the server reads: HttpOnly, SameSite=Lax, for the whole site, and Secure in production. */
export function serverCookie(
  config: Pick<Config, 'env'>,
  name: string,
  value: string | number,
  maxAgeSeconds: number,
): string {
  const attributes = [`${name}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax', `Max-Age=${maxAgeSeconds}`];
  if (config.env === 'production') attributes.push('Secure');
  return attributes.join('; ');
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    if (separator > 0 && part.slice(0, separator).trim() === name) return part.slice(separator + 1).trim();
  }
  return undefined;
}

/** What a session must satisfy to be usable at `now`: not past its end, and used since `idleSince`. */
export function liveAt(now: Date): { now: string; idleSince: string } {
  return { now: toTimestamp(now), idleSince: toTimestamp(new Date(now.getTime() - SESSION_IDLE_MS)) };
}

/** When a session used last at `lastSeenAt` ends unless used again: idle, or at its absolute end if sooner. */
export function sessionEndsAt(session: { lastSeenAt: string; expiresAt: string }, now: Date): string {
  const idleEnd = Math.max(now.getTime(), fromTimestamp(session.lastSeenAt).getTime()) + SESSION_IDLE_MS;
  return toTimestamp(new Date(Math.min(idleEnd, fromTimestamp(session.expiresAt).getTime())));
}

/** The viewer a session id belongs to, or null when it is unknown, expired or idle too long. */
export async function viewerForSession(sessions: SessionStore, sessionId: string, now: Date): Promise<Viewer | null> {
  if (!/^[A-Za-z0-9_-]{43}$/.test(sessionId)) return null;
  const idHash = hashSessionId(sessionId);
  const live = liveAt(now);
  const found = await sessions.findWithUser(idHash, live.idleSince, live.now);
  if (!found) return null;
  const { user, session, classroomIds } = found;
  if (now.getTime() - fromTimestamp(session.lastSeenAt).getTime() >= SESSION_TOUCH_INTERVAL_MS) {
    await sessions.touch(idHash, toTimestamp(now), SESSION_IDLE_MS);
  }
  return {
    user,
    role: user.role as Role,
    schoolId: user.school_id,
    classroomIds: user.role === 'FORM_MASTER' ? classroomIds : [],
    canViewRestricted: user.can_view_restricted === 1,
    session: { idHash, expiresAt: sessionEndsAt(session, now) },
  };
}
