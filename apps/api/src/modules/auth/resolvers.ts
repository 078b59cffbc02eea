import type { Classroom } from '@pastoral/db';
import { auditActor, type GraphQLContext, requireViewer } from '../../context.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { sessionCookie, SESSION_ABSOLUTE_MS, viewerForSession } from './session.ts';
import { signIn, signOut } from './sign-in.ts';

/** The viewer's classrooms, all of their own school. */
async function classroomsOf(context: GraphQLContext, schoolId: number | null, ids: number[]): Promise<Classroom[]> {
  if (schoolId === null) return [];
  const rows = await context.loaders.classroomById.loadMany(ids.map((id) => ({ schoolId, id })));
  return rows.filter((row): row is Classroom => row !== null && !(row instanceof Error));
}

export const authResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, context) => context.viewer,
  },
  Viewer: {
    user: (viewer) => viewer.user,
    role: (viewer) => viewer.role,
    school: (viewer, _args, context) =>
      viewer.schoolId === null ? null : context.loaders.schoolById.load(viewer.schoolId),
    classrooms: (viewer, _args, context) => classroomsOf(context, viewer.schoolId, viewer.classroomIds),
    canViewRestricted: (viewer) => viewer.canViewRestricted,
    sessionExpiresAt: (viewer) => viewer.session.expiresAt,
  },
  Mutation: {
    signIn: async (_parent, { input }, context) => {
      const result = await signIn(
        context.db,
        context.dialect,
        context.sessions,
        {
          email: input.email,
          password: input.password,
          ip: context.request.ip,
          userAgent: context.request.userAgent,
          requestId: context.request.id,
        },
        context.now,
      );
      if (!result.ok) {
        return {
          viewer: null,
          userErrors: [
            {
              field: result.field ?? ['input'],
              message: result.message,
              code: 'INVALID',
            },
          ],
          retryAfterSeconds: result.retryAfterSeconds,
        };
      }
      context.setCookie(sessionCookie(context.config, result.sessionId, SESSION_ABSOLUTE_MS / 1000));
      return {
        viewer: await viewerForSession(context.sessions, result.sessionId, context.now),
        userErrors: [],
        retryAfterSeconds: null,
      };
    },
    signOut: async (_parent, _args, context) => {
      const viewer = requireViewer(context);
      const signedOut = await signOut(
        context.db,
        context.dialect,
        context.sessions,
        { idHash: viewer.session.idHash, userId: viewer.user.id, schoolId: viewer.schoolId },
        auditActor(context),
      );
      context.setCookie(sessionCookie(context.config, '', 0));
      return { signedOut, userErrors: [] };
    },
  },
};
