import { Link } from 'react-router';
import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { STATUS_LABEL } from './labels.ts';

export const CaseCard_CaseFragment = graphql(`
  fragment CaseCard_CaseFragment on InterventionCase {
    id
    title
    status
    priority
    isOverdue
    nextReviewAt
    student {
      fullName
    }
    assignedTo {
      fullName
    }
  }
`);

/** One case in a list: what, for whom, where it stands, and when it is next reviewed. */
export function CaseCard({ case: caseRef }: { case: FragmentType<typeof CaseCard_CaseFragment> }) {
  const viewer = useViewer();
  const item = getFragmentData(CaseCard_CaseFragment, caseRef);
  return (
    <li className="card">
      <div className="card-head">
        <Link to={`/cases/${item.id}`}>
          <strong>{item.title}</strong>
        </Link>
        <span className="muted">{item.student.fullName}</span>
        <span className="badge status">{STATUS_LABEL[item.status]}</span>
        <span className="muted">{item.priority.toLowerCase()} priority</span>
      </div>
      <p className="muted small">
        {item.assignedTo ? `Owner: ${item.assignedTo.fullName}. ` : ''}
        {item.nextReviewAt ? `Review ${formatDate(viewer, item.nextReviewAt)}` : 'No review date'}
        {item.isOverdue ? <strong className="overdue"> · overdue</strong> : null}
      </p>
    </li>
  );
}
