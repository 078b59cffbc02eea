/**
 * Who a request is, and who reads each kind of record for it: a member of staff reads every kind through their
 * role's scopes; an integrator's token reads a kind only with the kind's scope (graphql/type-access.ts), as its
 * school's admin would; nobody reads nothing.
 */
import type { TokenPrincipal } from './modules/api-tokens/token-principal.ts';
import type { Viewer } from './modules/auth/viewer.ts';
import { type RecordKind, TOKEN_SCOPE_OF_KIND } from './graphql/type-access.ts';

/** Who a request is: a member of staff, an integrator's token, or nobody. */
export interface Principal {
  viewer: Viewer | null;
  token: TokenPrincipal | null;
}

const tokenReaders = new WeakMap<TokenPrincipal, Viewer>();

/**
 * A token as a reader: its school's admin (or, district-wide, the district's), so that it reads through the
 * same visibility scopes as staff do. No staff member has id 0: scopes that compare with the viewer's own id
 * (cases and alerts assigned to them) match nothing.
 */
export function tokenReader(token: TokenPrincipal): Viewer {
  let reader = tokenReaders.get(token);
  if (!reader) {
    const now = '1970-01-01 00:00:00.000';
    const role = token.schoolId === null ? 'DISTRICT_ADMIN' : 'SCHOOL_ADMIN';
    reader = {
      user: {
        id: 0,
        school_id: token.schoolId,
        email: '',
        full_name: `API token ${token.tokenId}`,
        role,
        can_view_restricted: 0,
        password_hash: null,
        is_active: 1,
        last_sign_in_at: null,
        created_at: now,
        updated_at: now,
      },
      role,
      schoolId: token.schoolId,
      classroomIds: [],
      canViewRestricted: false,
      session: { idHash: '', expiresAt: now },
    };
    tokenReaders.set(token, reader);
  }
  return reader;
}

/**
 * Who reads records of `kind` in this request, through that kind's visibility scope: the signed-in member of
 * staff (their role scopes every kind), a token that holds the kind's scope (graphql/type-access.ts), or
 * nobody (null: the records do not exist for the request).
 */
export function readerOf(principal: Principal, kind: RecordKind): Viewer | null {
  if (principal.viewer) return principal.viewer;
  const token = principal.token;
  if (!token) return null;
  const scope = TOKEN_SCOPE_OF_KIND[kind];
  return scope === null || token.scopes.includes(scope) ? tokenReader(token) : null;
}
