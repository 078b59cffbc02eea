import { mutationContext, requireViewer } from '../../context.ts';
import { payload } from '../../graphql/mutations.ts';
import { idOfType, toGlobalId } from '../../graphql/relay.ts';
import type { ApiTokenScope, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { scopeFromName, scopeName } from './api-token.ts';
import { createApiToken, revokeApiToken } from './api-token.mutations.ts';
import { mayRevokeApiToken } from './api-token.policy.ts';
import { listApiTokens } from './api-token.repository.ts';

export const apiTokenResolvers: Resolvers = {
  Query: {
    apiTokens: (_parent, args, context) => listApiTokens(context.db, requireViewer(context), args),
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
