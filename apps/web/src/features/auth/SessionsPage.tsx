import { useMutation, useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { formatDateTime, useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';

const SessionsPageQuery = graphql(`
  query SessionsPageQuery {
    viewer {
      sessions {
        id
        current
        device
        ipAddress
        createdAt
        lastSeenAt
        expiresAt
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
  const viewer = useViewer();
  const { data, loading, error, refetch } = useQuery(SessionsPageQuery, { fetchPolicy: 'cache-and-network' });
  const [signOutSession, { loading: ending }] = useMutation(SignOutSessionMutation);
  const [signOutEverywhere, { loading: endingAll }] = useMutation(SignOutEverywhereMutation);
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
          {sessions.map((session) => {
            const signedIn = formatDateTime(viewer, session.createdAt);
            return (
              <li key={session.id} className="session">
                <div>
                  <strong>{session.device}</strong>{' '}
                  {session.current ? <span className="badge status">This session</span> : null}
                  <p className="muted small">
                    Signed in {signedIn}
                    {session.ipAddress ? ` from ${session.ipAddress}` : ''} · last used{' '}
                    {formatDateTime(viewer, session.lastSeenAt)} · ends {formatDateTime(viewer, session.expiresAt)}{' '}
                    unless used
                  </p>
                </div>
                <button
                  disabled={ending || endingAll}
                  aria-label={`Sign out ${session.current ? 'this session' : `${session.device}, signed in ${signedIn}`}`}
                  onClick={async () => {
                    const result = await signOutSession({ variables: { id: session.id } });
                    const outcome = result.data?.signOutSession;
                    if (outcome?.signedOutHere) {
                      window.location.assign('/');
                      return;
                    }
                    const failure = outcome?.userErrors[0]?.message;
                    setMessage(
                      failure
                        ? { text: failure, failed: true }
                        : { text: `Signed out ${session.device}, signed in ${signedIn}.`, failed: false },
                    );
                    void refetch();
                  }}
                >
                  Sign out
                </button>
              </li>
            );
          })}
        </ul>
        <p>
          <button
            className="primary"
            disabled={others === 0 || ending || endingAll}
            onClick={async () => {
              const result = await signOutEverywhere();
              const ended = result.data?.signOutEverywhere.endedSessions ?? 0;
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
