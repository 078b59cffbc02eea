/** An API token's loader: staff see the tokens they manage; a token sees itself, and no other token. */
import type { ApiToken, Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { byKey, type LoaderOptions, rowId } from '../../keyed-loaders.ts';
import type { Principal } from '../../principal.ts';
import { apiTokenRows, visibleApiTokensById } from './api-token.repository.ts';

export function apiTokenLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  return {
    // A token's own scopes do not matter here: whatever it may read, the only token it sees is itself.
    visibleApiToken: () =>
      byKey<number, ApiToken>(
        async (ids) => {
          if (principal.viewer) return visibleApiTokensById(db, principal.viewer, ids);
          const own = principal.token?.tokenId;
          return own !== undefined && ids.includes(own) ? apiTokenRows(db, own) : [];
        },
        rowId,
        options,
      ),
  };
}
