import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { scopeLabel } from './labels.ts';

export const ApiTokenItem_ApiTokenFragment = graphql(`
  fragment ApiTokenItem_ApiTokenFragment on ApiToken {
    id
    name
    prefix
    scopes
    createdAt
    revokedAt
    lastUsedAt
  }
`);

/** One integrator's token: what it may do, when it was last used, and a button to revoke it. */
export function ApiTokenItem(props: {
  token: FragmentType<typeof ApiTokenItem_ApiTokenFragment>;
  onRevoke: (id: string) => void;
}) {
  const viewer = useViewer();
  const token = getFragmentData(ApiTokenItem_ApiTokenFragment, props.token);
  return (
    <li>
      <strong>{token.name}</strong> <code>{token.prefix}…</code>{' '}
      <span className="muted small">
        {token.scopes.map(scopeLabel).join(', ')} · created {formatDate(viewer, token.createdAt)}
        {token.lastUsedAt ? ` · last used ${formatDate(viewer, token.lastUsedAt)}` : ' · never used'}
      </span>{' '}
      {token.revokedAt ? (
        <span className="badge status">revoked</span>
      ) : (
        <button onClick={() => props.onRevoke(token.id)}>Revoke {token.name}</button>
      )}
    </li>
  );
}
