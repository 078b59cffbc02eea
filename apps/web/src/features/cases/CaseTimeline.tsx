import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { formatDate, useViewer } from '../../app/session.tsx';
import { STATUS_LABEL } from './labels.ts';

export const CaseTimeline_CaseFragment = graphql(`
  fragment CaseTimeline_CaseFragment on InterventionCase {
    timeline(first: 100) {
      nodes {
        id
        kind
        body
        restricted
        fromStatus
        toStatus
        createdAt
        author {
          fullName
        }
        toUser {
          fullName
        }
      }
    }
  }
`);

/** A case's notes, moves and reassignments, oldest first; a restricted note shows only that it exists. */
export function CaseTimeline({ case: caseRef }: { case: FragmentType<typeof CaseTimeline_CaseFragment> }) {
  const viewer = useViewer();
  const { timeline } = getFragmentData(CaseTimeline_CaseFragment, caseRef);
  return (
    <ol className="list">
      {timeline.nodes.map((event) => (
        <li key={event.id}>
          <span className="muted small">
            {formatDate(viewer, event.createdAt)} · {event.author?.fullName ?? 'Pastoral'}
          </span>
          <br />
          {event.kind === 'NOTE' ? (
            event.restricted && event.body === null ? (
              <em>A restricted note (visible to the safeguarding lead only).</em>
            ) : (
              event.body
            )
          ) : event.kind === 'STATUS_CHANGED' ? (
            `Status: ${STATUS_LABEL[event.fromStatus ?? ''] ?? '—'} → ${STATUS_LABEL[event.toStatus ?? ''] ?? '—'}${event.body ? ` (${event.body})` : ''}`
          ) : event.kind === 'OPENED' ? (
            'Case opened'
          ) : event.kind === 'REASSIGNED' ? (
            `Reassigned to ${event.toUser?.fullName ?? 'someone else'}`
          ) : (
            `Updated: ${event.body ?? ''}`
          )}
          {event.restricted && event.body !== null ? <span className="badge status"> restricted</span> : null}
        </li>
      ))}
    </ol>
  );
}
