/**
 * The one place a mutation's failures are handled: a payload's `userErrors`, the network, and a session that
 * ended. Each feature's hook (useCaseMutation, …) builds on it, so every form reports the same way.
 */
import type { OperationVariables, TypedDocumentNode } from '@apollo/client';
import { useMutation } from '@apollo/client/react';
import { isSessionExpiry } from './apollo.ts';

export const UNREACHABLE = 'Pastoral cannot be reached just now. Check your connection and try again.';

/** What went wrong, in words for the person who tried; `code` is the userError's code when there is one. */
export interface MutationProblem {
  message: string;
  code: string | null;
}

/**
 * Done with its payload, or not done with the problem to show. The problem is null when the session had
 * ended: the sign-in dialog opens over the page and says so itself.
 */
export type MutationOutcome<TPayload> =
  { done: true; payload: TPayload } | { done: false; problem: MutationProblem | null };

/** Most payloads carry userErrors; the few that cannot fail (signOutEverywhere) do not. */
interface UserErrorsPayload {
  userErrors?: readonly { message: string; code?: string | null }[];
}

/**
 * `useMutation` that answers an outcome instead of throwing: `payloadOf` picks the mutation's payload out of
 * its data (`(data) => data.changeCaseStatus`).
 */
export function usePayloadMutation<TData, TVariables extends OperationVariables, TPayload extends object>(
  document: TypedDocumentNode<TData, TVariables>,
  payloadOf: (data: TData) => TPayload,
) {
  const [mutate, { loading }] = useMutation(document);
  async function run(variables: TVariables): Promise<MutationOutcome<TPayload>> {
    try {
      // useMutation's options type is conditional on TVariables, which TypeScript cannot resolve for a generic.
      const result = await mutate(...([{ variables }] as unknown as Parameters<typeof mutate>));
      const payload = result.data ? payloadOf(result.data as TData) : null;
      const failure = (payload as UserErrorsPayload | null)?.userErrors?.[0];
      if (payload && !failure) return { done: true, payload };
      return { done: false, problem: { message: failure?.message ?? UNREACHABLE, code: failure?.code ?? null } };
    } catch (error) {
      return { done: false, problem: isSessionExpiry(error) ? null : { message: UNREACHABLE, code: null } };
    }
  }
  return [run, loading] as const;
}
