/**
 * API tokens for integrators: 256 random bits behind a recognisable prefix (`pst_`), shown once and stored only
 * as a SHA-256. A token acts for one school (or the district) within its scopes; a revoked or expired token is
 * refused from the next request on.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ApiTokenScope, type Database, fromTimestamp, toTimestamp } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { apiTokenByHash, recordApiTokenUse } from './api-token.repository.ts';
import type { TokenPrincipal } from './token-principal.ts';

export const TOKEN_PREFIX = 'pst_';

export function newApiToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
}

export function hashApiToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** ATTENDANCE_WRITE ↔ attendance:write */
export function scopeFromName(name: string): ApiTokenScope {
  return name.toLowerCase().replace('_', ':') as ApiTokenScope;
}

export function scopeName(scope: string): string {
  return scope.toUpperCase().replace(':', '_');
}

/** The principal behind a bearer token, or null when it is unknown, revoked or expired. */
export async function authenticateToken(
  db: Kysely<Database>,
  token: string,
  now: Date,
): Promise<TokenPrincipal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length !== TOKEN_PREFIX.length + 43) return null;
  const row = await apiTokenByHash(db, hashApiToken(token));
  const timestamp = toTimestamp(now);
  if (!row || row.revoked_at !== null || (row.expires_at !== null && row.expires_at <= timestamp)) return null;
  // Last use is recorded to the minute: a busy integrator costs one write a minute, not one per request.
  if (row.last_used_at === null || now.getTime() - fromTimestamp(row.last_used_at).getTime() >= 60_000) {
    await recordApiTokenUse(db, row.id, timestamp);
  }
  return { tokenId: row.id, schoolId: row.school_id, scopes: row.scopes.split(' ').filter(Boolean) as ApiTokenScope[] };
}
