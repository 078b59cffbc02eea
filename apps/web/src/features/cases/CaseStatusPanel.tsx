import { useId, useState } from 'react';
import { lowerWords } from '../../components/words.ts';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import type { CaseOutcome } from '../../gql/graphql.ts';
import { STATUS_LABEL } from './labels.ts';
import { type CaseMutationReport, type CaseProblem, useCaseMutation } from './useCaseMutation.ts';

export const CaseStatusPanel_CaseFragment = graphql(`
  fragment CaseStatusPanel_CaseFragment on InterventionCase {
    id
    version
    allowedStatusMoves
  }
`);

export const ChangeCaseStatusMutation = graphql(`
  mutation ChangeCaseStatusMutation($input: ChangeCaseStatusInput!) {
    changeCaseStatus(input: $input) {
      case {
        id
        status
        version
      }
      userErrors {
        code
        message
      }
    }
  }
`);

const OUTCOMES: CaseOutcome[] = ['IMPROVED', 'NO_CHANGE', 'WORSENED', 'TRANSFERRED'];

/**
 * The moves the API says this viewer may make next, a button each (with the outcome to record when one closes it), and the
 * problem the last change on the page ran into.
 */
export function CaseStatusPanel(props: {
  case: FragmentType<typeof CaseStatusPanel_CaseFragment>;
  problem: CaseProblem | null;
  report: CaseMutationReport;
  onReload: () => void;
}) {
  const item = getFragmentData(CaseStatusPanel_CaseFragment, props.case);
  const [changeStatus, moving] = useCaseMutation(
    ChangeCaseStatusMutation,
    (data) => data.changeCaseStatus,
    props.report,
  );
  const [outcome, setOutcome] = useState<CaseOutcome>('IMPROVED');
  const outcomeId = useId();
  const { problem } = props;
  return (
    <section className="panel" aria-labelledby="status-title">
      <h2 id="status-title">Status</h2>
      {item.allowedStatusMoves.includes('CLOSED') ? (
        <p>
          <label htmlFor={outcomeId}>Outcome </label>
          <select id={outcomeId} value={outcome} onChange={(event) => setOutcome(event.target.value as CaseOutcome)}>
            {OUTCOMES.map((value) => (
              <option key={value} value={value}>
                {lowerWords(value)}
              </option>
            ))}
          </select>
        </p>
      ) : null}
      {item.allowedStatusMoves.length === 0 ? (
        <p className="muted">Only the case's owner, a pastoral lead or an admin moves this case along.</p>
      ) : null}
      <div className="actions">
        {item.allowedStatusMoves.map((to) => (
          <button
            key={to}
            className="primary"
            disabled={moving}
            onClick={() =>
              void changeStatus({
                input: {
                  id: item.id,
                  expectedVersion: item.version,
                  status: to,
                  ...(to === 'CLOSED' ? { outcome } : {}),
                },
              })
            }
          >
            {to === 'OPEN' ? 'Reopen' : `Move to ${STATUS_LABEL[to]?.toLowerCase()}`}
          </button>
        ))}
      </div>
      {problem ? (
        <div role="alert" className="form-error">
          <p>
            {problem.stale
              ? 'Someone changed this case while you had it open, so your change was not made. Reload it to see theirs; your note below is kept.'
              : problem.message}
          </p>
          {problem.stale ? <button onClick={props.onReload}>Reload the case</button> : null}
        </div>
      ) : null}
    </section>
  );
}
