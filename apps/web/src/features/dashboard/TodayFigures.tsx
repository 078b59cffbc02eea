import { Link } from 'react-router';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { STATUS_LABEL } from '../cases/labels.ts';

export const TodayFigures_DashboardFragment = graphql(`
  fragment TodayFigures_DashboardFragment on Dashboard {
    newAlerts
    overdueReviews
    openCasesByStatus {
      status
      count
    }
  }
`);

/** Today's counts, each a link to the list it counts. */
export function TodayFigures({ dashboard }: { dashboard: FragmentType<typeof TodayFigures_DashboardFragment> }) {
  const today = getFragmentData(TodayFigures_DashboardFragment, dashboard);
  return (
    <section className="figures" aria-label="Today">
      <Link className="figure" to="/alerts">
        <span className="figure-value">{today.newAlerts}</span>
        <span className="figure-label">new alerts</span>
      </Link>
      <Link className="figure" to="/cases?view=overdue">
        <span className="figure-value">{today.overdueReviews}</span>
        <span className="figure-label">overdue reviews</span>
      </Link>
      {today.openCasesByStatus.map((entry) => (
        <Link className="figure" key={entry.status} to="/cases">
          <span className="figure-value">{entry.count}</span>
          <span className="figure-label">{STATUS_LABEL[entry.status]?.toLowerCase()} cases</span>
        </Link>
      ))}
    </section>
  );
}
