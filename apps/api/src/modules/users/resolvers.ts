import type { Role } from '@pastoral/db';
import { toGlobalId } from '../../graphql/relay.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';

export const userResolvers: Resolvers = {
  User: {
    id: (user) => toGlobalId('User', user.id),
    fullName: (user) => user.full_name,
    role: (user) => user.role as Role,
    school: (user, _args, context) =>
      user.school_id === null ? null : context.loaders.schoolById.load(user.school_id),
  },
};
