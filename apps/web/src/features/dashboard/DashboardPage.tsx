import { useQuery } from '@apollo/client/react';
import { Link } from 'react-router';
import { formatDate, useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';

const DashboardPageQuery = graphql(`
  query DashboardPageQuery {
    dashboard {
      newAlerts
      overdueReviews
      computedAt
      openCasesByStatus {
        status
        count
      }
      studentsByRiskLevel {
        level
        count
      }
      newlyAtRisk(first: 10) {
        totalCount
        nodes {
          id
          fullName
          classroom {
            name
          }
          riskProfile {
            level
            reasons
            worsenedAt
          }
        }
      }
    }
  }
`);

const LEVEL_LABEL: Record<string, string> = {
  ON_TRACK: 'On track',
  WATCH: 'Watch',
  AT_RISK: 'At risk',
  CRITICAL: 'Critical',
};
const STATUS_LABEL: Record<string, string> = { OPEN: 'Open', IN_PROGRESS: 'In progress', MONITORING: 'Monitoring' };

export function DashboardPage() {
  const viewer = useViewer();
  const { data, loading, error } = useQuery(DashboardPageQuery, { fetchPolicy: 'cache-and-network' });
  if (loading && !data) return <p role="status">Loading your dashboard…</p>;
  if (error && !data) return <p role="alert">The dashboard cannot be loaded just now. Try again in a moment.</p>;
  const dashboard = data!.dashboard;
  const largest = Math.max(1, ...dashboard.studentsByRiskLevel.map((level) => level.count));

  return (
    <>
      <h1>Good to see you, {viewer.user.fullName.split(' ')[0]}</h1>
      <section className="figures" aria-label="Today">
        <Link className="figure" to="/alerts">
          <span className="figure-value">{dashboard.newAlerts}</span>
          <span className="figure-label">new alerts</span>
        </Link>
        <Link className="figure" to="/cases?view=overdue">
          <span className="figure-value">{dashboard.overdueReviews}</span>
          <span className="figure-label">overdue reviews</span>
        </Link>
        {dashboard.openCasesByStatus.map((entry) => (
          <Link className="figure" key={entry.status} to="/cases">
            <span className="figure-value">{entry.count}</span>
            <span className="figure-label">{STATUS_LABEL[entry.status]?.toLowerCase()} cases</span>
          </Link>
        ))}
      </section>

      <section aria-labelledby="risk-title" className="panel">
        <h2 id="risk-title">Students by risk level</h2>
        <p className="small">
          <Link to="/students">See the students, highest risk first</Link>
        </p>
        <ul className="bars">
          {dashboard.studentsByRiskLevel.map((entry) => (
            <li key={entry.level}>
              <span className="bar-label">{LEVEL_LABEL[entry.level]}</span>
              <span className={`bar level-${entry.level}`} style={{ width: `${(100 * entry.count) / largest}%` }} />
              <span className="bar-value">{entry.count}</span>
            </li>
          ))}
        </ul>
      </section>

      <section aria-labelledby="newly-title" className="panel">
        <h2 id="newly-title">Newly at risk this week</h2>
        {dashboard.newlyAtRisk.nodes.length === 0 ? (
          <p>No student's level worsened this week.</p>
        ) : (
          <ul className="list">
            {dashboard.newlyAtRisk.nodes.map((student) => (
              <li key={student.id}>
                <strong>{student.fullName}</strong> <span className="muted">{student.classroom.name}</span>
                {student.riskProfile ? (
                  <>
                    {' '}
                    <span className={`badge level-${student.riskProfile.level}`}>
                      {LEVEL_LABEL[student.riskProfile.level]}
                    </span>
                    <span className="muted">
                      {' '}
                      {student.riskProfile.reasons.join('; ')}
                      {student.riskProfile.worsenedAt
                        ? ` · since ${formatDate(viewer, student.riskProfile.worsenedAt)}`
                        : ''}
                    </span>
                  </>
                ) : null}
              </li>
            ))}
          </ul>
        )}
      </section>
      <p className="muted small">Figures as of {formatDate(viewer, dashboard.computedAt)}.</p>
    </>
  );
}
