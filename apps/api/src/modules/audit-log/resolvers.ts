import { toTimestamp } from '@pastoral/db';
import { requireReader } from '../../context.ts';
import { idOfType, toGlobalId } from '../../graphql/relay.ts';
import { schoolKeyOf } from '../../school-scope.ts';
import type { ActorType, Resolvers } from '../../graphql/resolvers-types.generated.ts';
import { listAuditEntries } from './audit-log.repository.ts';

const DEFAULT_WINDOW_MS = 30 * 86_400_000;

export const auditLogResolvers: Resolvers = {
  Query: {
    auditLog: (_parent, { filter, ...page }, context) => {
      const viewer = requireReader(context, 'audit');
      const to = filter?.to ?? toTimestamp(context.now);
      const from = filter?.from ?? toTimestamp(new Date(context.now.getTime() - DEFAULT_WINDOW_MS));
      return listAuditEntries(
        context.db,
        viewer,
        {
          actorId: filter?.actorId == null ? undefined : idOfType(filter.actorId, 'User', 'filter.actorId'),
          actorType: filter?.actorType ?? undefined,
          action: filter?.action ?? undefined,
          entityType: filter?.entityType ?? undefined,
          entityId: filter?.entityId ?? undefined,
          schoolId: filter?.schoolId == null ? undefined : idOfType(filter.schoolId, 'School', 'filter.schoolId'),
          // An explicit range may reach past the archival cut-off, so it reads the archive too.
          includeArchived: filter?.includeArchived ?? filter?.from != null,
          from,
          to,
        },
        page,
      );
    },
  },
  Student: {
    disclosures: (student, args, context) =>
      context.loaders.disclosuresByStudentId?.load({ parent: schoolKeyOf(student), args }) ?? null,
    viewedBy: (student, args, context) =>
      context.loaders.recordViewsByStudentId?.load({ parent: schoolKeyOf(student), args }) ?? null,
  },
  StudentRecordView: {
    viewer: (view, _args, context) => context.loaders.visibleUser.load(view.user_id),
    viewedOn: (view) => view.viewed_on,
    firstViewedAt: (view) => view.first_viewed_at,
  },
  AuditLogEntry: {
    id: (entry) => toGlobalId('AuditLogEntry', { schoolId: entry.school_id, id: Number(entry.id) }),
    occurredAt: (entry) => entry.occurred_at,
    actorType: (entry) => entry.actor_type as ActorType,
    actor: (entry, _args, context) => (entry.user_id === null ? null : context.loaders.userById.load(entry.user_id)),
    apiToken: (entry, _args, context) =>
      entry.api_token_id === null ? null : context.loaders.visibleApiToken.load(entry.api_token_id),
    school: (entry, _args, context) =>
      entry.school_id === null ? null : context.loaders.schoolById.load(entry.school_id),
    entityType: (entry) => entry.entity_type,
    entityId: (entry) => entry.entity_id,
    requestId: (entry) => entry.request_id,
    sequence: (entry) => Number(entry.seq),
  },
};
