import { type FormEvent, useId, useState } from 'react';
import { usePayloadMutation } from '../../app/usePayloadMutation.ts';
import { graphql } from '../../gql/index.ts';
import './auth.css';

export const SignInMutation = graphql(`
  mutation SignInMutation($input: SignInInput!) {
    signIn(input: $input) {
      viewer {
        sessionExpiresAt
      }
      userErrors {
        message
      }
    }
  }
`);

/** E-mail and password; on success the caller refetches who is signed in. */
export function SignInForm({ onSignedIn }: { onSignedIn: () => void }) {
  const [signIn, loading] = usePayloadMutation(SignInMutation, (data) => data.signIn);
  const [error, setError] = useState<string | null>(null);
  const emailId = useId();
  const passwordId = useId();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setError(null);
    const outcome = await signIn({
      input: { email: String(form.get('email')), password: String(form.get('password')) },
    });
    if (outcome.done) onSignedIn();
    else setError(outcome.problem?.message ?? null);
  }

  return (
    <form className="sign-in" onSubmit={submit} noValidate>
      <label htmlFor={emailId}>E-mail address</label>
      <input id={emailId} name="email" type="email" autoComplete="username" required />
      <label htmlFor={passwordId}>Password</label>
      <input id={passwordId} name="password" type="password" autoComplete="current-password" required />
      {error ? (
        <p className="form-error" role="alert">
          {error}
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={loading}>
        {loading ? 'Signing in…' : 'Sign in'}
      </button>
    </form>
  );
}
