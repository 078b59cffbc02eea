import { useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';

export const AuditLogItem_AuditLogEntryFragment = graphql(`
  fragment AuditLogItem_AuditLogEntryFragment on AuditLogEntry {
    action
    occurredAt
    actorType
    actor {
      fullName
    }
    school {
      code
    }
    entityType
    entityId
  }
`);

/** One audit entry: when, what, who, and on what. */
export function AuditLogItem({ entry: entryRef }: { entry: FragmentType<typeof AuditLogItem_AuditLogEntryFragment> }) {
  const viewer = useViewer();
  const entry = getFragmentData(AuditLogItem_AuditLogEntryFragment, entryRef);
  return (
    <li>
      <span className="muted small">{new Date(entry.occurredAt).toLocaleString(viewer.school?.locale ?? 'en-GB')}</span>{' '}
      <strong>{entry.action}</strong> {entry.actor?.fullName ?? entry.actorType.toLowerCase()}
      {entry.entityType ? ` · ${entry.entityType} ${entry.entityId ?? ''}` : ''}
      {entry.school ? ` · ${entry.school.code}` : ''}
    </li>
  );
}
