import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { usePayloadMutation } from '../../app/usePayloadMutation.ts';

/** What the case page shows when a change was not made; `stale` when someone else changed the case first. */
export interface CaseProblem {
  message: string;
  stale: boolean;
}

/** Where a change to a case reports: the problem to show (null clears it), or that the case changed. */
export interface CaseMutationReport {
  onProblem: (problem: CaseProblem | null) => void;
  onDone: () => void;
}

/**
 * A mutation on the open case: clears the last problem, runs, then reports either the problem or that the case
 * changed (the page reloads it). Resolves to whether the change was made.
 */
export function useCaseMutation<
  TData,
  TVariables extends OperationVariables,
  TPayload extends { userErrors: readonly { message: string; code?: string | null }[] },
>(document: TypedDocumentNode<TData, TVariables>, payloadOf: (data: TData) => TPayload, report: CaseMutationReport) {
  const [mutate, loading] = usePayloadMutation(document, payloadOf);
  async function run(variables: TVariables): Promise<boolean> {
    report.onProblem(null);
    const outcome = await mutate(variables);
    if (outcome.done) report.onDone();
    else if (outcome.problem)
      report.onProblem({ message: outcome.problem.message, stale: outcome.problem.code === 'STALE_VERSION' });
    return outcome.done;
  }
  return [run, loading] as const;
}
