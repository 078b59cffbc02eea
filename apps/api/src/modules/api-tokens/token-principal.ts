/**
 * An integrator's token as a request carries it: which token, for which school, with which scopes. Its own file
 * (it imports nothing of ours) because the viewer types need it and the token code needs the viewer types.
 */
import type { ApiTokenScope } from '@pastoral/db';

export interface TokenPrincipal {
  tokenId: number;
  /** Null for a district-wide token. */
  schoolId: number | null;
  scopes: ApiTokenScope[];
}
