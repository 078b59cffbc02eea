import { useId } from 'react';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { type CaseMutationReport, useCaseMutation } from './useCaseMutation.ts';

export const CaseReviewPanel_CaseFragment = graphql(`
  fragment CaseReviewPanel_CaseFragment on InterventionCase {
    id
    version
    nextReviewAt
  }
`);

const UpdateCaseReviewMutation = graphql(`
  mutation UpdateCaseReviewMutation($input: UpdateCaseInput!) {
    updateCase(input: $input) {
      case {
        id
        nextReviewAt
        version
      }
      userErrors {
        code
        message
      }
    }
  }
`);

/** Sets the day the case is next reviewed. */
export function CaseReviewPanel(props: {
  case: FragmentType<typeof CaseReviewPanel_CaseFragment>;
  report: CaseMutationReport;
}) {
  const item = getFragmentData(CaseReviewPanel_CaseFragment, props.case);
  const [updateReview, rescheduling] = useCaseMutation(
    UpdateCaseReviewMutation,
    (data) => data.updateCase,
    props.report,
  );
  const reviewId = useId();
  return (
    <section className="panel" aria-labelledby="review-title">
      <h2 id="review-title">Next review</h2>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          const date = String(new FormData(event.currentTarget).get('review'));
          void updateReview({ input: { id: item.id, expectedVersion: item.version, nextReviewAt: date } });
        }}
      >
        <label htmlFor={reviewId}>Review on</label>
        <input id={reviewId} name="review" type="date" defaultValue={item.nextReviewAt ?? ''} required />
        <button type="submit" disabled={rescheduling}>
          Set review date
        </button>
      </form>
    </section>
  );
}
