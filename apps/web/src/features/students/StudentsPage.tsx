import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { graphql } from '../../gql/index.ts';
import { LoadMore } from '../../app/LoadMore.tsx';

const StudentsPageQuery = graphql(`
  query StudentsPageQuery($after: String) {
    students(first: 25, after: $after, orderBy: { field: RISK, direction: DESC }) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          fullName
          classroom {
            name
          }
          riskProfile {
            level
            reasons
          }
        }
      }
    }
  }
`);

export const LEVEL_LABEL: Record<string, string> = {
  ON_TRACK: 'On track',
  WATCH: 'Watch',
  AT_RISK: 'At risk',
  CRITICAL: 'Critical',
};

/** The students you can see, highest risk first: a form master's own classes. */
export function StudentsPage() {
  const { data, loading, error, fetchMore } = useQuery(StudentsPageQuery, {
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const students = data?.students.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <h1>Students</h1>
      <p role="status" className="muted">
        {data ? `${data.students.totalCount} students, highest risk first` : ''}
      </p>
      {error && !data ? <p role="alert">The students cannot be loaded just now. Try again in a moment.</p> : null}
      {loading && !data ? <p role="status">Loading students…</p> : null}
      <ul className="cards">
        {students.map((student) => (
          <li key={student.id} className="card">
            <div className="card-head">
              <Link to={`/students/${student.id}`}>
                <strong>{student.fullName}</strong>
              </Link>
              <span className="muted">{student.classroom.name}</span>
              {student.riskProfile ? (
                <span className={`badge level-${student.riskProfile.level}`}>
                  {LEVEL_LABEL[student.riskProfile.level]}
                </span>
              ) : null}
            </div>
            {student.riskProfile?.reasons.length ? (
              <p className="muted small">{student.riskProfile.reasons.join('; ')}</p>
            ) : null}
          </li>
        ))}
      </ul>
      <LoadMore
        pageInfo={data?.students.pageInfo}
        loading={loading}
        onLoadMore={(after) => void fetchMore({ variables: { after } })}
      />
    </>
  );
}
