import { mutationContext, requireViewer } from '../../context.ts';
import { idOfType, toGlobalId } from '../../graphql/relay.ts';
import type { ApiTokenScope, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { scopeFromName, scopeName } from './api-token.ts';
import { createApiToken, revokeApiToken } from './api-token.mutations.ts';
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
      return outcome.ok
        ? { token: outcome.value.token, apiToken: outcome.value.apiToken, userErrors: [] }
        : { token: null, apiToken: null, userErrors: outcome.userErrors };
    },
    revokeApiToken: async (_parent, { input }, context) => {
      const outcome = await revokeApiToken(mutationContext(context), idOfType(input.id, 'ApiToken', 'input.id'));
      return outcome.ok
        ? { apiToken: outcome.value, userErrors: [] }
        : { apiToken: null, userErrors: outcome.userErrors };
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
  },
};
