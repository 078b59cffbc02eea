import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';

export const CourseworkPanel_StudentFragment = graphql(`
  fragment CourseworkPanel_StudentFragment on Student {
    assessmentResults {
      subject
      score
      grade
      passing
    }
  }
`);

/** This term's results, subject by subject, with the ones not passing marked. */
export function CourseworkPanel({ student }: { student: FragmentType<typeof CourseworkPanel_StudentFragment> }) {
  const { assessmentResults } = getFragmentData(CourseworkPanel_StudentFragment, student);
  return (
    <section className="panel" aria-labelledby="coursework-title">
      <h2 id="coursework-title">Coursework this term</h2>
      {assessmentResults.length === 0 ? <p>No results yet this term.</p> : null}
      <ul className="list">
        {assessmentResults.map((result) => (
          <li key={result.subject}>
            {result.subject.toLowerCase()}: {result.grade ?? result.score ?? '—'}{' '}
            {result.passing ? '' : <strong className="overdue">not passing</strong>}
          </li>
        ))}
      </ul>
    </section>
  );
}
