import { Link } from 'react-router';
import { formatDate, useViewer } from '../../app/session.tsx';
import { lowerWords } from '../../components/words.ts';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { STATUS_LABEL } from './labels.ts';

export const CaseSummary_CaseFragment = graphql(`
  fragment CaseSummary_CaseFragment on InterventionCase {
    title
    category
    status
    outcome
    priority
    tier
    goal
    nextReviewAt
    isOverdue
    student {
      id
      fullName
    }
    assignedTo {
      id
      fullName
    }
  }
`);

/** The top of a case's page: where it sits, its title, and the facts in one line. */
export function CaseSummary({ case: caseRef }: { case: FragmentType<typeof CaseSummary_CaseFragment> }) {
  const viewer = useViewer();
  const item = getFragmentData(CaseSummary_CaseFragment, caseRef);
  return (
    <>
      <p className="muted small">
        <Link to="/cases">Cases</Link> / <Link to={`/students/${item.student.id}`}>{item.student.fullName}</Link>
      </p>
      <h1>{item.title}</h1>
      <p>
        <span className="badge status">{STATUS_LABEL[item.status]}</span>{' '}
        <span className="muted">
          {item.category.toLowerCase()} · tier {item.tier} · {item.priority.toLowerCase()} priority
          {item.assignedTo ? ` · owner ${item.assignedTo.fullName}` : ''}
          {item.nextReviewAt ? ` · review ${formatDate(viewer, item.nextReviewAt)}` : ''}
        </span>
        {item.isOverdue ? <strong className="overdue"> · overdue</strong> : null}
        {item.outcome ? <span> · outcome {lowerWords(item.outcome)}</span> : null}
      </p>
      {item.goal ? <p>Goal: {item.goal}</p> : null}
    </>
  );
}
