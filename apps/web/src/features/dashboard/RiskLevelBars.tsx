import { Link } from 'react-router';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { LEVEL_LABEL } from '../students/labels.ts';

export const RiskLevelBars_DashboardFragment = graphql(`
  fragment RiskLevelBars_DashboardFragment on Dashboard {
    studentsByRiskLevel {
      level
      count
    }
  }
`);

/** How many students are at each risk level, as bars scaled to the largest. */
export function RiskLevelBars({ dashboard }: { dashboard: FragmentType<typeof RiskLevelBars_DashboardFragment> }) {
  const { studentsByRiskLevel } = getFragmentData(RiskLevelBars_DashboardFragment, dashboard);
  const largest = Math.max(1, ...studentsByRiskLevel.map((level) => level.count));
  return (
    <section aria-labelledby="risk-title" className="panel">
      <h2 id="risk-title">Students by risk level</h2>
      <p className="small">
        <Link to="/students">See the students, highest risk first</Link>
      </p>
      <ul className="list bars">
        {studentsByRiskLevel.map((entry) => (
          <li key={entry.level}>
            <span className="bar-label">{LEVEL_LABEL[entry.level]}</span>
            <span className={`bar level-${entry.level}`} style={{ width: `${(100 * entry.count) / largest}%` }} />
            <span className="bar-value">{entry.count}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}
