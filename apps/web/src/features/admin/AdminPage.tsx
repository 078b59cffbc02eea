import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { formatDate, useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';
import type { ActorType, ApiTokenScope } from '../../gql/graphql.ts';
import { LoadMore } from '../../app/LoadMore.tsx';

const AdminPageQuery = graphql(`
  query AdminPageQuery($after: String, $filter: AuditLogFilter) {
    auditLog(first: 25, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          action
          occurredAt
          actorType
          actor {
            fullName
          }
          school {
            code
          }
          entityType
          entityId
        }
      }
    }
    apiTokens(first: 50) {
      nodes {
        id
        name
        prefix
        scopes
        createdAt
        expiresAt
        revokedAt
        lastUsedAt
        school {
          code
        }
      }
    }
  }
`);

const CreateApiTokenMutation = graphql(`
  mutation CreateApiTokenMutation($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      apiToken {
        id
      }
      userErrors {
        message
      }
    }
  }
`);

const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiTokenMutation($id: ID!) {
    revokeApiToken(input: { id: $id }) {
      apiToken {
        id
        revokedAt
      }
      userErrors {
        message
      }
    }
  }
`);

const SCOPES: ApiTokenScope[] = [
  'ROSTER_WRITE',
  'ATTENDANCE_WRITE',
  'BEHAVIOUR_WRITE',
  'ASSESSMENTS_WRITE',
  'STUDENTS_READ',
  'CASES_READ',
  'ALERTS_READ',
  'AUDIT_READ',
];

/** For school and district admins: the audit log and the integrators' API tokens. */
export function AdminPage() {
  const viewer = useViewer();
  const [action, setAction] = useState('');
  const [from, setFrom] = useState('');
  const [actorType, setActorType] = useState('');
  const filter = {
    ...(action ? { action } : {}),
    ...(from ? { from: `${from}T00:00:00Z` } : {}),
    ...(actorType ? { actorType: actorType as ActorType } : {}),
  };
  const { data, loading, error, fetchMore, refetch } = useQuery(AdminPageQuery, {
    variables: { filter },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const [create] = useMutation(CreateApiTokenMutation);
  const [revoke] = useMutation(RevokeApiTokenMutation);
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const nameId = useId();
  const actionId = useId();
  const fromId = useId();
  const actorId = useId();

  if (!viewer.viewerCan.administer) {
    return <p role="status">Not found: the admin pages are for school and district admins.</p>;
  }
  if (error && !data) return <p role="alert">The admin pages cannot be loaded just now. Try again in a moment.</p>;

  return (
    <>
      <h1>Admin</h1>
      <section className="panel" aria-labelledby="tokens-title">
        <h2 id="tokens-title">API tokens</h2>
        <form
          className="note-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const formElement = event.currentTarget;
            const form = new FormData(formElement);
            const scopes = SCOPES.filter((scope) => form.get(scope) === 'on');
            const result = await create({ variables: { input: { name: String(form.get('name')), scopes } } });
            const made = result.data?.createApiToken;
            if (made?.token) {
              setSecret(made.token);
              setMessage(null);
              formElement.reset();
              void refetch();
            } else setMessage(made?.userErrors[0]?.message ?? null);
          }}
        >
          <label htmlFor={nameId}>What the token is for</label>
          <input id={nameId} name="name" required maxLength={100} />
          <fieldset>
            <legend>Scopes</legend>
            {SCOPES.map((scope) => (
              <label key={scope} className="check">
                <input type="checkbox" name={scope} /> {scope.toLowerCase().replace('_', ':')}
              </label>
            ))}
          </fieldset>
          <button type="submit" className="primary">
            Create token
          </button>
        </form>
        {message ? (
          <p role="alert" className="form-error">
            {message}
          </p>
        ) : null}
        {secret ? (
          <div className="secret" role="status">
            <p>
              <strong>Copy this token now: it is not shown again.</strong>
            </p>
            <code>{secret}</code>
            <button onClick={() => void navigator.clipboard?.writeText(secret)}>Copy</button>
          </div>
        ) : null}
        <ul className="list">
          {(data?.apiTokens.nodes ?? []).map((token) => (
            <li key={token.id}>
              <strong>{token.name}</strong> <code>{token.prefix}…</code>{' '}
              <span className="muted small">
                {token.scopes.map((scope) => scope.toLowerCase().replace('_', ':')).join(', ')} · created{' '}
                {formatDate(viewer, token.createdAt)}
                {token.lastUsedAt ? ` · last used ${formatDate(viewer, token.lastUsedAt)}` : ' · never used'}
              </span>{' '}
              {token.revokedAt ? (
                <span className="badge status">revoked</span>
              ) : (
                <button onClick={() => void revoke({ variables: { id: token.id } })}>Revoke {token.name}</button>
              )}
            </li>
          ))}
        </ul>
      </section>

      <section className="panel" aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log</h2>
        <p className="filters">
          <label htmlFor={fromId}>From </label>
          <input id={fromId} type="date" value={from} onChange={(event) => setFrom(event.target.value)} />{' '}
          <label htmlFor={actorId}>Who </label>
          <select id={actorId} value={actorType} onChange={(event) => setActorType(event.target.value)}>
            <option value="">anyone</option>
            <option value="USER">staff</option>
            <option value="TOKEN">integrators (API tokens)</option>
            <option value="SYSTEM">Pastoral itself</option>
            <option value="ANONYMOUS">not signed in</option>
          </select>
        </p>
        <p className="muted small">Without a date: the last 30 days.</p>
        <p>
          <label htmlFor={actionId}>Only the action </label>
          <select id={actionId} value={action} onChange={(event) => setAction(event.target.value)}>
            <option value="">(every action)</option>
            {[
              'session.signed_in',
              'session.sign_in_failed',
              'session.sign_in_throttled',
              'session.ended',
              'case.opened',
              'case.status_changed',
              'alert.escalated',
              'student.disclosed',
            ].map((value) => (
              <option key={value} value={value}>
                {value}
              </option>
            ))}
          </select>
        </p>
        <p role="status" className="muted">
          {data ? `${data.auditLog.totalCount} entries` : loading ? 'Loading…' : ''}
        </p>
        <ul className="list">
          {(data?.auditLog.edges ?? []).map(({ node: entry }) => (
            <li key={entry.id}>
              <span className="muted small">
                {new Date(entry.occurredAt).toLocaleString(viewer.school?.locale ?? 'en-GB')}
              </span>{' '}
              <strong>{entry.action}</strong> {entry.actor?.fullName ?? entry.actorType.toLowerCase()}
              {entry.entityType ? ` · ${entry.entityType} ${entry.entityId ?? ''}` : ''}
              {entry.school ? ` · ${entry.school.code}` : ''}
            </li>
          ))}
        </ul>
        <LoadMore
          pageInfo={data?.auditLog.pageInfo}
          loading={loading}
          onLoadMore={(after) => void fetchMore({ variables: { after } })}
        />
      </section>
    </>
  );
}
