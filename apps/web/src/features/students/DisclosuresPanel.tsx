/**
 * A student's disclosure record on their page: every read of their data by an integrator, newest first, for
 * the admins who answer a family's or a regulator's question "who has seen this child's data?".
 */
import { useQuery } from '@apollo/client/react';
import { LoadMore } from '../../components/LoadMore.tsx';
import { formatDate, useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';

const StudentDisclosuresQuery = graphql(`
  query StudentDisclosuresQuery($id: ID!, $after: String) {
    node(id: $id) {
      ... on Student {
        id
        disclosures(first: 10, after: $after) {
          totalCount
          totalCountIsCapped
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            node {
              id
              occurredAt
              details
              apiToken {
                name
              }
            }
          }
        }
      }
    }
  }
`);

/** Which part of the API read the data, from the entry's details ({"via": "students"}). */
function readThrough(details: string | null | undefined): string | null {
  if (!details) return null;
  try {
    const via = (JSON.parse(details) as { via?: unknown }).via;
    return typeof via === 'string' ? via : null;
  } catch {
    return null;
  }
}

export function DisclosuresPanel({ studentId }: { studentId: string }) {
  const viewer = useViewer();
  const { data, loading, error, fetchMore } = useQuery(StudentDisclosuresQuery, {
    variables: { id: studentId },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const disclosures = data?.node && 'disclosures' in data.node ? data.node.disclosures : null;
  // Null for staff who do not read the audit log: nothing to show them, not even the heading.
  if (!disclosures) {
    return error && !data ? (
      <p role="alert">The record of integrator reads cannot be loaded just now. Try again in a moment.</p>
    ) : null;
  }
  const total = `${disclosures.totalCount.toLocaleString('en-GB')}${disclosures.totalCountIsCapped ? '+' : ''}`;
  return (
    <section className="panel" aria-labelledby="disclosures-title">
      <h2 id="disclosures-title">Shared with integrators</h2>
      {disclosures.totalCount === 0 ? (
        <p>No integrator has read this student&apos;s data.</p>
      ) : (
        <p className="muted small">
          {total} {disclosures.totalCount === 1 ? 'read' : 'reads'} in all, archived ones included; newest first.
        </p>
      )}
      <ul className="list" aria-label="Reads of this student's data by integrators">
        {disclosures.edges.map(({ node: entry }) => {
          const via = readThrough(entry.details);
          return (
            <li key={entry.id}>
              {formatDate(viewer, entry.occurredAt)}: {entry.apiToken?.name ?? 'an API token'}
              {via ? <span className="muted"> (through {via})</span> : null}
            </li>
          );
        })}
      </ul>
      <LoadMore
        pageInfo={disclosures.pageInfo}
        loading={loading}
        onLoadMore={(after) => void fetchMore({ variables: { after } })}
      />
    </section>
  );
}
