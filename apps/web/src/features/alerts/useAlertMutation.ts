import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { usePayloadMutation } from '../../app/usePayloadMutation.ts';

/**
 * A mutation on alerts that reports in the page's status line: `doneText` when it was done, else its problem.
 * Resolves to the payload when done, null when not.
 */
export function useAlertMutation<
  TData,
  TVariables extends OperationVariables,
  TPayload extends { userErrors: readonly { message: string }[] },
>(
  document: TypedDocumentNode<TData, TVariables>,
  payloadOf: (data: TData) => TPayload,
  say: (text: string | null) => void,
) {
  const [mutate] = usePayloadMutation(document, payloadOf);
  return async function run(
    variables: TVariables,
    doneText: (payload: TPayload) => string | null,
  ): Promise<TPayload | null> {
    const outcome = await mutate(variables);
    if (outcome.done) say(doneText(outcome.payload));
    else if (outcome.problem) say(outcome.problem.message);
    return outcome.done ? outcome.payload : null;
  };
}
