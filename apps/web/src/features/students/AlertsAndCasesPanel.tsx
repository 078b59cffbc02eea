import { Link } from 'react-router';
import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { STATUS_LABEL } from '../cases/labels.ts';

export const AlertsAndCasesPanel_StudentFragment = graphql(`
  fragment AlertsAndCasesPanel_StudentFragment on Student {
    alerts(first: 10) {
      nodes {
        id
        reason
        status
        alertDate
      }
    }
    cases(first: 10) {
      nodes {
        id
        title
        status
      }
    }
  }
`);

/** A student's latest alerts, then their cases, each case a link to its page. */
export function AlertsAndCasesPanel({
  student,
}: {
  student: FragmentType<typeof AlertsAndCasesPanel_StudentFragment>;
}) {
  const viewer = useViewer();
  const { alerts, cases } = getFragmentData(AlertsAndCasesPanel_StudentFragment, student);
  return (
    <section className="panel" aria-labelledby="alerts-title">
      <h2 id="alerts-title">Alerts and cases</h2>
      <ul className="list">
        {alerts.nodes.map((alert) => (
          <li key={alert.id}>
            {formatDate(viewer, alert.alertDate)}: {alert.reason}{' '}
            <span className="muted">({alert.status.toLowerCase()})</span>
          </li>
        ))}
        {cases.nodes.map((item) => (
          <li key={item.id}>
            Case: <Link to={`/cases/${item.id}`}>{item.title}</Link>{' '}
            <span className="muted">({STATUS_LABEL[item.status]})</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
