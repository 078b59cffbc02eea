import type { AuditEntry, Database } from '@pastoral/db';
import { type Kysely, sql } from 'kysely';
import { type ConnectionModel, countCapped, type PageArgs, paginate, type SortKey } from '../../graphql/relay.ts';
import type { Viewer } from '../auth/viewer.ts';
import { visibleAuditEntries } from './audit-log.policy.ts';

export interface AuditFilterValues {
  actorId?: number;
  actorType?: string;
  action?: string;
  entityType?: string;
  entityId?: number;
  schoolId?: number;
  /** Timestamps as stored; `from` defaults to 30 days before `to`. */
  from: string;
  to: string;
}

export async function listAuditEntries(
  db: Kysely<Database>,
  viewer: Viewer,
  filter: AuditFilterValues,
  args: PageArgs,
): Promise<ConnectionModel> {
  let query = db
    .selectFrom('audit_log')
    .where(visibleAuditEntries(viewer))
    .where('audit_log.occurred_at', '>=', filter.from)
    .where('audit_log.occurred_at', '<', filter.to);
  if (filter.actorId !== undefined) query = query.where('audit_log.user_id', '=', filter.actorId);
  if (filter.actorType !== undefined) query = query.where('audit_log.actor_type', '=', filter.actorType);
  if (filter.action !== undefined) query = query.where('audit_log.action', '=', filter.action);
  if (filter.entityType !== undefined) query = query.where('audit_log.entity_type', '=', filter.entityType);
  if (filter.entityId !== undefined) query = query.where('audit_log.entity_id', '=', filter.entityId);
  if (filter.schoolId !== undefined) query = query.where('audit_log.school_id', '=', filter.schoolId);
  const keys: SortKey<AuditEntry>[] = [
    { expression: sql.ref('audit_log.occurred_at'), direction: 'desc', value: (r) => r.occurred_at },
    { expression: sql.ref('audit_log.id'), direction: 'desc', value: (r) => r.id },
  ];
  return paginate({ query: query.selectAll('audit_log'), keys, args, count: () => countCapped(db, query) });
}

export async function visibleAuditEntriesById(db: Kysely<Database>, viewer: Viewer, ids: readonly number[]) {
  return db.selectFrom('audit_log').selectAll().where('id', 'in', ids).where(visibleAuditEntries(viewer)).execute();
}
