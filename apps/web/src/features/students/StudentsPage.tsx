import { useQuery } from '@apollo/client/react';
import { graphql } from '../../gql/index.ts';
import { LoadMore } from '../../components/LoadMore.tsx';
import { StudentCard } from './StudentCard.tsx';

export const StudentsPageQuery = graphql(`
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
          ...StudentCard_StudentFragment
        }
      }
    }
  }
`);

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
          <StudentCard key={student.id} student={student} />
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
