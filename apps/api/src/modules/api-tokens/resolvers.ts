import type { ApiToken } from '@pastoral/db';
import { sql } from 'kysely';
import { mutationContext, requireViewer } from '../../context.ts';
import { payload } from '../../graphql/mutations.ts';
import { countCapped, idOfType, paginate, type SortKey, toGlobalId } from '../../graphql/relay.ts';
import type { ApiTokenScope, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { scopeFromName, scopeName } from './api-token.ts';
import { createApiToken, revokeApiToken } from './api-token.mutations.ts';
import { mayRevokeApiToken, visibleApiTokens } from './api-token.policy.ts';

export const apiTokenResolvers: Resolvers = {
  Query: {
    apiTokens: (_parent, args, context) => {
      const viewer = requireViewer(context);
      const query = context.db.selectFrom('api_tokens').where(visibleApiTokens(viewer));
      const keys: SortKey<ApiToken>[] = [
        { expression: sql.ref('api_tokens.created_at'), direction: 'desc', value: (row) => row.created_at },
        { expression: sql.ref('api_tokens.id'), direction: 'desc', value: (row) => row.id },
      ];
      return paginate({
        query: query.selectAll('api_tokens'),
        keys,
        args,
        count: () => countCapped(context.db, query),
      });
    },
  },
  Mutation: {
    createApiToken: async (_parent, { input }, context) => {
      const outcome = await createApiToken(mutationContext(context), {
        name: input.name,
        scopes: input.scopes.map(scopeFromName),
        schoolId: input.schoolId == null ? null : idOfType(input.schoolId, 'School', 'input.schoolId'),
        expiresAt: input.expiresAt ?? null,
      });
      return payload(outcome, (created) => created, { token: null, apiToken: null });
    },
    revokeApiToken: async (_parent, { input }, context) => {
      const outcome = await revokeApiToken(mutationContext(context), idOfType(input.id, 'ApiToken', 'input.id'));
      return payload(outcome, (apiToken) => ({ apiToken }), { apiToken: null });
    },
  },
  ApiToken: {
    id: (token) => toGlobalId('ApiToken', token.id),
    prefix: (token) => token.token_prefix,
    scopes: (token) =>
      token.scopes
        .split(' ')
        .filter(Boolean)
        .map((scope) => scopeName(scope) as ApiTokenScope),
    school: (token, _args, context) =>
      token.school_id === null ? null : context.loaders.schoolById.load(token.school_id),
    createdBy: (token, _args, context) =>
      token.created_by === null ? null : context.loaders.userById.load(token.created_by),
    createdAt: (token) => token.created_at,
    expiresAt: (token) => token.expires_at,
    revokedAt: (token) => token.revoked_at,
    lastUsedAt: (token) => token.last_used_at,
    viewerCan: (token, _args, context) => ({
      revoke: context.viewer ? mayRevokeApiToken(context.viewer, token) : false,
    }),
  },
};
