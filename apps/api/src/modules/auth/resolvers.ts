import type { Classroom } from '@pastoral/db';
import { auditActor, type GraphQLContext, mutationContext, requireViewer } from '../../context.ts';
import { payload } from '../../graphql/mutations.ts';
import { idOfType, toGlobalId } from '../../graphql/relay.ts';
import type { Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { ownSessions } from './session.policy.ts';
import { liveSessions } from './session.repository.ts';
import { signOutEverywhere, signOutSession } from './session.mutations.ts';
import { liveAt, sessionCookie, sessionEndsAt, SESSION_ABSOLUTE_MS, viewerForSession } from './session.ts';
import { signIn, signOut } from './sign-in.ts';
import { isStaffViewer } from './viewer.ts';
import { managesApiTokens } from '../api-tokens/api-token.policy.ts';
import { readsAuditLog } from '../audit-log/audit-log.policy.ts';
import { mayReassign } from '../cases/case.policy.ts';
import { startsFromOwnWork } from '../students/student.policy.ts';
import { describeUserAgent } from './user-agent.ts';

/** The viewer's classrooms, all of their own school. */
async function classroomsOf(context: GraphQLContext, schoolId: number | null, ids: number[]): Promise<Classroom[]> {
  if (schoolId === null) return [];
  const rows = await context.loaders.classroomById.loadMany(ids.map((id) => ({ schoolId, id })));
  return rows.filter((row): row is Classroom => row !== null && !(row instanceof Error));
}

export const authResolvers: Resolvers = {
  Query: {
    viewer: (_parent, _args, context) => context.viewer ?? (context.token ? { token: context.token } : null),
  },
  Viewer: {
    user: (viewer) => (isStaffViewer(viewer) ? viewer.user : null),
    role: (viewer) => (isStaffViewer(viewer) ? viewer.role : null),
    school: (viewer, _args, context) => {
      const schoolId = isStaffViewer(viewer) ? viewer.schoolId : viewer.token.schoolId;
      return schoolId === null ? null : context.loaders.schoolById.load(schoolId);
    },
    classrooms: (viewer, _args, context) =>
      isStaffViewer(viewer) ? classroomsOf(context, viewer.schoolId, viewer.classroomIds) : [],
    canViewRestricted: (viewer) => isStaffViewer(viewer) && viewer.canViewRestricted,
    sessionExpiresAt: (viewer) => (isStaffViewer(viewer) ? viewer.session.expiresAt : null),
    apiToken: (viewer, _args, context) =>
      isStaffViewer(viewer) ? null : context.loaders.visibleApiToken.load(viewer.token.tokenId),
    viewerCan: (viewer) => {
      if (!isStaffViewer(viewer))
        return { administer: false, manageApiTokens: false, readAuditLog: false, reassignCases: false };
      return {
        administer: managesApiTokens(viewer) || readsAuditLog(viewer),
        manageApiTokens: managesApiTokens(viewer),
        readAuditLog: readsAuditLog(viewer),
        reassignCases: mayReassign(viewer),
      };
    },
    defaultsToOwnWork: (viewer) => isStaffViewer(viewer) && startsFromOwnWork(viewer),
    sessions: async (viewer, _args, context) => {
      if (!isStaffViewer(viewer)) return [];
      const live = await liveSessions(context.db, ownSessions(viewer), liveAt(context.now)).execute();
      // This one first: it is in use now, though its last use is recorded only once a minute.
      return [
        ...live.filter((session) => session.id_hash === viewer.session.idHash),
        ...live.filter((session) => session.id_hash !== viewer.session.idHash),
      ];
    },
  },
  Session: {
    id: (session) => toGlobalId('Session', session.id),
    createdAt: (session) => session.created_at,
    lastSeenAt: (session) => session.last_seen_at,
    expiresAt: (session, _args, context) =>
      sessionEndsAt({ lastSeenAt: session.last_seen_at, expiresAt: session.expires_at }, context.now),
    ipAddress: (session) => session.ip,
    device: (session) => describeUserAgent(session.user_agent),
    userAgent: (session) => session.user_agent,
    current: (session, _args, context) => session.id_hash === context.viewer?.session.idHash,
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
        { maxSessionsPerUser: context.config.maxSessionsPerUser },
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
    signOutSession: async (_parent, { input }, context) => {
      const outcome = await signOutSession(
        mutationContext(context),
        context.sessions,
        idOfType(input.id, 'Session', 'input.id'),
      );
      if (outcome.ok && outcome.value.current) context.setCookie(sessionCookie(context.config, '', 0));
      return payload(outcome, (ended) => ({ endedSessionId: input.id, signedOutHere: ended.current }), {
        endedSessionId: null,
        signedOutHere: false,
      });
    },
    signOutEverywhere: async (_parent, _args, context) => ({
      endedSessions: await signOutEverywhere(mutationContext(context), context.sessions),
      userErrors: [],
    }),
  },
};
