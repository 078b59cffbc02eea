import { useState } from 'react';
import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { SEVERITY_LABEL } from './labels.ts';

export const AlertCard_AlertFragment = graphql(`
  fragment AlertCard_AlertFragment on Alert {
    id
    type
    severity
    status
    alertDate
    reason
    student {
      id
      fullName
      classroom {
        name
      }
    }
  }
`);

/** One alert: who, why, when, and the triage it still allows. */
export function AlertCard(props: {
  alert: FragmentType<typeof AlertCard_AlertFragment>;
  selected: boolean;
  onToggle: () => void;
  onAcknowledge: () => void;
  onEscalate: () => void;
  /** Resolves to true when the alert was dismissed. */
  onDismiss: (reason: string) => Promise<boolean>;
}) {
  const viewer = useViewer();
  const alert = getFragmentData(AlertCard_AlertFragment, props.alert);
  const [dismissing, setDismissing] = useState(false);
  const open = alert.status === 'NEW' || alert.status === 'ACKNOWLEDGED';
  return (
    <li className="card">
      <div className="card-head">
        {open ? (
          <input
            type="checkbox"
            aria-label={`Select the alert about ${alert.student.fullName}`}
            checked={props.selected}
            onChange={props.onToggle}
          />
        ) : null}
        <strong>{alert.student.fullName}</strong>
        <span className="muted">{alert.student.classroom.name}</span>
        <span className={`badge level-${alert.severity}`}>{SEVERITY_LABEL[alert.severity]}</span>
        <span className="muted">{alert.type.toLowerCase()}</span>
      </div>
      <p>{alert.reason}</p>
      <p className="muted small">
        {formatDate(viewer, alert.alertDate)} · {alert.status.toLowerCase()}
      </p>
      {open ? (
        <div className="actions">
          {alert.status === 'NEW' ? <button onClick={props.onAcknowledge}>Acknowledge</button> : null}
          <button onClick={props.onEscalate}>Escalate to a case</button>
          <button onClick={() => setDismissing(!dismissing)} aria-expanded={dismissing}>
            Dismiss…
          </button>
        </div>
      ) : null}
      {dismissing ? (
        <form
          className="inline-form"
          onSubmit={async (event) => {
            event.preventDefault();
            const reason = String(new FormData(event.currentTarget).get('reason') ?? '');
            if (await props.onDismiss(reason)) setDismissing(false);
          }}
        >
          <label htmlFor={`reason-${alert.id}`}>Why does it need no action?</label>
          <input id={`reason-${alert.id}`} name="reason" required maxLength={500} />
          <button type="submit">Dismiss</button>
        </form>
      ) : null}
    </li>
  );
}
