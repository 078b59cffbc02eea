/** A session's loader: a session is its user's alone; staff see their own live sessions, a token none. */
import type { Database } from '@pastoral/db';
import type { Kysely } from 'kysely';
import { type LoaderOptions, visibleById } from '../../keyed-loaders.ts';
import type { Principal } from '../../principal.ts';
import { ownSessions } from './session.policy.ts';
import { liveSessionsById } from './session.repository.ts';
import { liveAt } from './session.ts';

export function sessionLoaders(db: Kysely<Database>, principal: Principal, options: LoaderOptions) {
  return {
    visibleSession: () =>
      visibleById(
        principal.viewer,
        (v, ids) => liveSessionsById(db, ownSessions(v), liveAt(options.now ?? new Date()), ids),
        options,
      ),
  };
}
