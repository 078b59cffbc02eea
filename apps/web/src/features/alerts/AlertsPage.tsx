import { useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { Link } from 'react-router';
import { useViewer } from '../../app/session.tsx';
import { LoadMore } from '../../components/LoadMore.tsx';
import { graphql } from '../../gql/index.ts';
import type { AlertSeverity, AlertStatus, AlertType } from '../../gql/graphql.ts';
import { AlertCard } from './AlertCard.tsx';
import { SEVERITY_LABEL } from './labels.ts';
import { useAlertMutation } from './useAlertMutation.ts';
import './alerts.css';

const AlertsPageQuery = graphql(`
  query AlertsPageQuery($after: String, $filter: AlertFilter) {
    alerts(first: 25, after: $after, filter: $filter) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        cursor
        node {
          id
          status
          ...AlertCard_AlertFragment
        }
      }
    }
  }
`);

const AcknowledgeAlertsMutation = graphql(`
  mutation AcknowledgeAlertsMutation($ids: [ID!]!) {
    acknowledgeAlerts(input: { alertIds: $ids }) {
      alerts {
        id
        status
      }
      userErrors {
        message
      }
    }
  }
`);

const DismissAlertMutation = graphql(`
  mutation DismissAlertMutation($id: ID!, $reason: String!) {
    dismissAlert(input: { alertId: $id, reason: $reason }) {
      alert {
        id
        status
      }
      userErrors {
        message
      }
    }
  }
`);

const EscalateAlertMutation = graphql(`
  mutation EscalateAlertMutation($id: ID!) {
    escalateAlert(input: { alertIds: [$id] }) {
      case {
        id
        title
      }
      alerts {
        id
        status
      }
      userErrors {
        message
      }
    }
  }
`);

const VIEWS: { label: string; status: AlertStatus[] }[] = [
  { label: 'Waiting for me', status: ['NEW', 'ACKNOWLEDGED'] },
  { label: 'New', status: ['NEW'] },
  { label: 'Escalated', status: ['ESCALATED'] },
  { label: 'Closed', status: ['DISMISSED', 'RESOLVED'] },
];

export function AlertsPage() {
  const viewer = useViewer();
  const [view, setView] = useState(0);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [message, setMessage] = useState<string | null>(null);
  const [opened, setOpened] = useState<string | null>(null);
  const [type, setType] = useState<AlertType | ''>('');
  const [severity, setSeverity] = useState<AlertSeverity | ''>('');
  const typeId = useId();
  const severityId = useId();
  const filter = {
    status: VIEWS[view]!.status,
    ...(viewer.defaultsToOwnWork ? { assignedToMe: true } : {}),
    ...(type ? { type: [type] } : {}),
    ...(severity ? { severity: [severity] } : {}),
  };
  const { data, loading, error, fetchMore, refetch } = useQuery(AlertsPageQuery, {
    variables: { filter },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const acknowledge = useAlertMutation(AcknowledgeAlertsMutation, (data) => data.acknowledgeAlerts, setMessage);
  const dismiss = useAlertMutation(DismissAlertMutation, (data) => data.dismissAlert, setMessage);
  const escalate = useAlertMutation(EscalateAlertMutation, (data) => data.escalateAlert, setMessage);

  const alerts = data?.alerts.edges.map((edge) => edge.node) ?? [];
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });

  async function acknowledgeSelected(ids: string[]) {
    await acknowledge({ ids }, () => `${ids.length} alert${ids.length === 1 ? '' : 's'} acknowledged.`);
    setSelected(new Set());
  }

  return (
    <>
      <h1>Alerts</h1>
      <div className="tabs" role="group" aria-label="Which alerts">
        {VIEWS.map((option, index) => (
          <button
            key={option.label}
            aria-pressed={index === view}
            onClick={() => (setView(index), setSelected(new Set()))}
          >
            {option.label}
          </button>
        ))}
      </div>
      <p className="filters">
        <label htmlFor={typeId}>Type </label>
        <select id={typeId} value={type} onChange={(event) => setType(event.target.value as AlertType | '')}>
          <option value="">all</option>
          {(['ATTENDANCE', 'BEHAVIOUR', 'ACADEMIC', 'WELLBEING'] as AlertType[]).map((value) => (
            <option key={value} value={value}>
              {value.toLowerCase()}
            </option>
          ))}
        </select>{' '}
        <label htmlFor={severityId}>Severity </label>
        <select
          id={severityId}
          value={severity}
          onChange={(event) => setSeverity(event.target.value as AlertSeverity | '')}
        >
          <option value="">all</option>
          {(['WATCH', 'AT_RISK', 'CRITICAL'] as AlertSeverity[]).map((value) => (
            <option key={value} value={value}>
              {SEVERITY_LABEL[value]}
            </option>
          ))}
        </select>
      </p>
      <p role="status" className="muted">
        {message ?? (data ? `${data.alerts.totalCount} alert${data.alerts.totalCount === 1 ? '' : 's'}` : '')}
      </p>
      {opened ? (
        <p>
          <Link to={`/cases/${opened}`}>Go to the new case</Link>
        </p>
      ) : null}
      {selected.size > 0 ? (
        <button className="primary" onClick={() => void acknowledgeSelected([...selected])}>
          Acknowledge {selected.size} selected
        </button>
      ) : null}
      {error && !data ? <p role="alert">The alerts cannot be loaded just now. Try again in a moment.</p> : null}
      {loading && !data ? <p role="status">Loading alerts…</p> : null}
      {data && alerts.length === 0 ? <p>Nothing here: no alerts in this view.</p> : null}
      <ul className="cards">
        {alerts.map((alert) => (
          <AlertCard
            key={alert.id}
            alert={alert}
            selected={selected.has(alert.id)}
            onToggle={() => toggle(alert.id)}
            onAcknowledge={() => void acknowledgeSelected([alert.id])}
            onEscalate={async () => {
              const made = await escalate({ id: alert.id }, (payload) =>
                payload.case ? `Case opened: ${payload.case.title}.` : null,
              );
              setOpened(made?.case?.id ?? null);
              void refetch();
            }}
            onDismiss={async (reason) => (await dismiss({ id: alert.id, reason }, () => 'Alert dismissed.')) !== null}
          />
        ))}
      </ul>
      <LoadMore
        pageInfo={data?.alerts.pageInfo}
        loading={loading}
        onLoadMore={(after) => void fetchMore({ variables: { after } })}
      />
    </>
  );
}
