/** API tokens' rows: plain Kysely reads and writes; who may see a token is api-token.policy.ts's. */
import type { ApiToken, ApiTokenTable, Database } from '@pastoral/db';
import { type Insertable, type Kysely, sql } from 'kysely';
import type { ConnectionModel } from '../../paging/connection.ts';
import type { PageArgs, SortKey } from '../../paging/cursor.ts';
import { countCapped, paginate } from '../../paging/keyset.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleApiTokens } from './api-token.policy.ts';

/** The tokens the viewer manages, newest first. */
export async function listApiTokens(db: Kysely<Database>, viewer: Viewer, args: PageArgs): Promise<ConnectionModel> {
  const query = db.selectFrom('api_tokens').where(visibleApiTokens(viewer));
  const keys: SortKey<ApiToken>[] = [
    { expression: sql.ref('api_tokens.created_at'), direction: 'desc', value: (row) => row.created_at },
    { expression: sql.ref('api_tokens.id'), direction: 'desc', value: (row) => row.id },
  ];
  return paginate({ query: query.selectAll('api_tokens'), keys, args, count: () => countCapped(db, query) });
}

/** Tokens by id, if the viewer manages them (for `node` and `nodes`). */
export async function visibleApiTokensById(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db.selectFrom('api_tokens').selectAll().where('id', 'in', ids).where(visibleApiTokens(viewer)).execute();
}

/** A token's own row, as a list: what a token sees of the tokens. */
export async function apiTokenRows(db: Kysely<Database>, id: number) {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).execute();
}

/** A token's row that must exist (one just written in the same transaction). */
export async function apiTokenById(db: Kysely<Database>, id: number) {
  return db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

/** What authenticating a bearer token needs of its row, by the token's hash. */
export async function apiTokenByHash(db: Kysely<Database>, tokenHash: string) {
  return db
    .selectFrom('api_tokens')
    .select(['id', 'school_id', 'scopes', 'expires_at', 'revoked_at', 'last_used_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function recordApiTokenUse(db: Kysely<Database>, id: number, timestamp: string): Promise<void> {
  await db.updateTable('api_tokens').set({ last_used_at: timestamp }).where('id', '=', id).execute();
}

/** A token's row by id, if there is one, whoever manages it: the policy decides who may change it. */
export async function findApiToken(trx: Kysely<Database>, id: number) {
  return trx.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst();
}

/** What tells one new token from another: a new token is never revoked nor used yet. */
export type NewApiToken = Pick<
  Insertable<ApiTokenTable>,
  'school_id' | 'name' | 'token_prefix' | 'token_hash' | 'scopes' | 'created_by' | 'created_at' | 'expires_at'
>;

/** Inserts a new token's row and returns its id. */
export async function insertApiToken(trx: Kysely<Database>, token: NewApiToken): Promise<number> {
  const inserted = await trx
    .insertInto('api_tokens')
    .values({
      school_id: token.school_id,
      name: token.name,
      token_prefix: token.token_prefix,
      token_hash: token.token_hash,
      scopes: token.scopes,
      created_by: token.created_by,
      created_at: token.created_at,
      expires_at: token.expires_at,
      revoked_at: null,
      last_used_at: null,
    })
    .executeTakeFirstOrThrow();
  return Number(inserted.insertId);
}

export async function markApiTokenRevoked(trx: Kysely<Database>, id: number, timestamp: string): Promise<void> {
  await trx.updateTable('api_tokens').set({ revoked_at: timestamp }).where('id', '=', id).execute();
}
