import { useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { useViewer } from '../../app/session.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { graphql } from '../../gql/index.ts';
import type { ActorType } from '../../gql/graphql.ts';
import { ApiTokensPanel } from './ApiTokensPanel.tsx';
import { AuditLogItem } from './AuditLogItem.tsx';
import { AUDIT_ACTIONS } from './labels.ts';
import './admin.css';

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
          ...AuditLogItem_AuditLogEntryFragment
        }
      }
    }
    apiTokens(first: 50) {
      nodes {
        id
        ...ApiTokenItem_ApiTokenFragment
      }
    }
  }
`);

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
      <ApiTokensPanel tokens={data?.apiTokens.nodes ?? []} onCreated={() => void refetch()} />

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
            {AUDIT_ACTIONS.map((value) => (
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
            <AuditLogItem key={entry.id} entry={entry} />
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
