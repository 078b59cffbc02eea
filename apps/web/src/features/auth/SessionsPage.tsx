import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { usePayloadMutation } from '../../app/usePayloadMutation.ts';
import { graphql } from '../../gql/index.ts';
import { SessionItem } from './SessionItem.tsx';
import './auth.css';

const SessionsPageQuery = graphql(`
  query SessionsPageQuery {
    viewer {
      sessions {
        id
        current
        ...SessionItem_SessionFragment
      }
    }
  }
`);

const SignOutSessionMutation = graphql(`
  mutation SignOutSessionMutation($id: ID!) {
    signOutSession(input: { id: $id }) {
      endedSessionId
      signedOutHere
      userErrors {
        message
      }
    }
  }
`);

const SignOutEverywhereMutation = graphql(`
  mutation SignOutEverywhereMutation {
    signOutEverywhere {
      endedSessions
    }
  }
`);

/**
 * Where the signed-in user sees the browsers and devices signed in as them, and ends any of them: one that was
 * lost or shared, or every one but this ("sign out everywhere else").
 */
export function SessionsPage() {
  const { data, loading, error, refetch } = useQuery(SessionsPageQuery, { fetchPolicy: 'cache-and-network' });
  const [signOutSession, ending] = usePayloadMutation(SignOutSessionMutation, (data) => data.signOutSession);
  const [signOutEverywhere, endingAll] = usePayloadMutation(
    SignOutEverywhereMutation,
    (data) => data.signOutEverywhere,
  );
  const [message, setMessage] = useState<{ text: string; failed: boolean } | null>(null);
  const sessions = data?.viewer?.sessions ?? [];
  const others = sessions.filter((session) => !session.current).length;

  if (error && !data) return <p role="alert">Your sessions cannot be loaded just now. Try again in a moment.</p>;

  return (
    <>
      <h1>Your sessions</h1>
      <p className="muted">
        Every browser or device signed in as you. Sign out any you do not recognise, or have left signed in somewhere
        else; a session ends by itself after 30 minutes unused, and all of them end when your password or role changes.
      </p>
      <section className="panel" aria-labelledby="sessions-title">
        <h2 id="sessions-title">{loading && !data ? 'Loading…' : `${sessions.length} signed in`}</h2>
        <ul className="list sessions" aria-label="Sessions">
          {sessions.map((session) => (
            <SessionItem
              key={session.id}
              session={session}
              disabled={ending || endingAll}
              onSignOut={async (id, description) => {
                const outcome = await signOutSession({ id });
                if (outcome.done && outcome.payload.signedOutHere) {
                  window.location.assign('/');
                  return;
                }
                if (outcome.done) setMessage({ text: `Signed out ${description}.`, failed: false });
                else if (outcome.problem) setMessage({ text: outcome.problem.message, failed: true });
                void refetch();
              }}
            />
          ))}
        </ul>
        <p>
          <button
            className="primary"
            disabled={others === 0 || ending || endingAll}
            onClick={async () => {
              const outcome = await signOutEverywhere({});
              if (!outcome.done) {
                if (outcome.problem) setMessage({ text: outcome.problem.message, failed: true });
                return;
              }
              const ended = outcome.payload.endedSessions;
              setMessage({
                text: `Signed out ${ended} other session${ended === 1 ? '' : 's'}: only this one is left.`,
                failed: false,
              });
              void refetch();
            }}
          >
            Sign out everywhere else
          </button>
        </p>
        <p role="status">{message && !message.failed ? message.text : ''}</p>
        {message?.failed ? (
          <p role="alert" className="form-error">
            {message.text}
          </p>
        ) : null}
      </section>
    </>
  );
}
