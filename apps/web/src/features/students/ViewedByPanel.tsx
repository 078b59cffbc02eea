/**
 * Who on the staff has viewed a student's record, one line per person and day, newest first: for the admins
 * who answer "who has looked at this child's file?". Integrators' reads are in DisclosuresPanel.
 */
import { useQuery } from '@apollo/client/react';
import { LoadMore } from '../../components/LoadMore.tsx';
import { formatDate, useViewer } from '../../app/session.tsx';
import { lowerWords } from '../../components/words.ts';
import { graphql } from '../../gql/index.ts';

const StudentViewedByQuery = graphql(`
  query StudentViewedByQuery($id: ID!, $after: String) {
    node(id: $id) {
      ... on Student {
        id
        viewedBy(first: 10, after: $after) {
          totalCount
          totalCountIsCapped
          pageInfo {
            hasNextPage
            endCursor
          }
          edges {
            cursor
            node {
              viewedOn
              firstViewedAt
              viewer {
                id
                fullName
                role
              }
            }
          }
        }
      }
    }
  }
`);

export function ViewedByPanel({ studentId }: { studentId: string }) {
  const viewer = useViewer();
  const { data, loading, error, fetchMore } = useQuery(StudentViewedByQuery, {
    variables: { id: studentId },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const views = data?.node && 'viewedBy' in data.node ? data.node.viewedBy : null;
  // Null for staff who do not read the audit log: nothing to show them, not even the heading.
  if (!views) {
    return error && !data ? (
      <p role="alert">The record of who viewed this student cannot be loaded just now. Try again in a moment.</p>
    ) : null;
  }
  const time = (value: string) =>
    new Date(value).toLocaleTimeString(viewer.school?.locale ?? 'en-GB', { hour: '2-digit', minute: '2-digit' });
  return (
    <section className="panel" aria-labelledby="viewed-by-title">
      <h2 id="viewed-by-title">Viewed by</h2>
      <p className="muted small">
        Staff who opened this record or saw it in a list, once a day each, newest first
        {views.totalCount > 0
          ? ` (${views.totalCount.toLocaleString('en-GB')}${views.totalCountIsCapped ? '+' : ''} in all).`
          : '.'}
      </p>
      <ul className="list" aria-label="Staff who viewed this student's record">
        {views.edges.map(({ cursor, node: view }) => (
          <li key={cursor}>
            {formatDate(viewer, view.viewedOn)}: {view.viewer?.fullName ?? 'a member of staff'}
            <span className="muted">
              {view.viewer ? ` (${view.viewer.role ? lowerWords(view.viewer.role) : 'staff'})` : ''}, first at{' '}
              {time(view.firstViewedAt)}
            </span>
          </li>
        ))}
      </ul>
      <LoadMore
        pageInfo={views.pageInfo}
        loading={loading}
        onLoadMore={(after) => void fetchMore({ variables: { after } })}
      />
    </section>
  );
}
