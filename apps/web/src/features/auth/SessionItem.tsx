import { formatDateTime, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';

export const SessionItem_SessionFragment = graphql(`
  fragment SessionItem_SessionFragment on Session {
    id
    current
    device
    ipAddress
    createdAt
    lastSeenAt
    expiresAt
  }
`);

/** One browser or device signed in as the viewer, with a button to sign it out. */
export function SessionItem(props: {
  session: FragmentType<typeof SessionItem_SessionFragment>;
  disabled: boolean;
  /** Told the session and how it reads ("Firefox on Linux, signed in 7 Dec 2026, 09:12"). */
  onSignOut: (id: string, description: string) => void;
}) {
  const viewer = useViewer();
  const session = getFragmentData(SessionItem_SessionFragment, props.session);
  const signedIn = formatDateTime(viewer, session.createdAt);
  return (
    <li className="session">
      <div>
        <strong>{session.device}</strong> {session.current ? <span className="badge status">This session</span> : null}
        <p className="muted small">
          Signed in {signedIn}
          {session.ipAddress ? ` from ${session.ipAddress}` : ''} · last used{' '}
          {formatDateTime(viewer, session.lastSeenAt)} · ends {formatDateTime(viewer, session.expiresAt)} unless used
        </p>
      </div>
      <button
        disabled={props.disabled}
        aria-label={`Sign out ${session.current ? 'this session' : `${session.device}, signed in ${signedIn}`}`}
        onClick={() => props.onSignOut(session.id, `${session.device}, signed in ${signedIn}`)}
      >
        Sign out
      </button>
    </li>
  );
}
