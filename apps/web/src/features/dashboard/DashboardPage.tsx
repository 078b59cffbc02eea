import { useQuery } from '@apollo/client/react';
import { useDeferredValue } from 'react';
import { formatDate, useViewer } from '../../app/session.tsx';
import { DASHBOARD_HEADING } from '../../app/static-shells.ts';
import { graphql } from '../../gql/index.ts';
import { NewlyAtRiskPanel } from './NewlyAtRiskPanel.tsx';
import { RiskLevelBars } from './RiskLevelBars.tsx';
import { TodayFigures } from './TodayFigures.tsx';
import './dashboard.css';

const DashboardPageQuery = graphql(`
  query DashboardPageQuery {
    dashboard {
      computedAt
      ...TodayFigures_DashboardFragment
      ...RiskLevelBars_DashboardFragment
      ...NewlyAtRiskPanel_DashboardFragment
    }
  }
`);

export function DashboardPage() {
  const viewer = useViewer();
  // Deferred, as the viewer is in App.tsx's Shell: the figures, when they arrive, are rendered as a transition that
  // yields to the browser, not in the one task of the urgent update that brings them.
  const { data, loading, error } = useDeferredValue(useQuery(DashboardPageQuery, { fetchPolicy: 'cache-and-network' }));
  // The heading is in the HTML already (static-shells.ts): the same words here, so that it stays as it was painted
  // while the figures are on their way.
  const greeting = <h1>{DASHBOARD_HEADING}</h1>;
  if (loading && !data)
    return (
      <>
        {greeting}
        <p role="status">Loading your dashboard…</p>
      </>
    );
  if (error && !data)
    return (
      <>
        {greeting}
        <p role="alert">The dashboard cannot be loaded just now. Try again in a moment.</p>
      </>
    );
  const dashboard = data!.dashboard;

  return (
    <>
      {greeting}
      <TodayFigures dashboard={dashboard} />
      <RiskLevelBars dashboard={dashboard} />
      <NewlyAtRiskPanel dashboard={dashboard} />
      <p className="muted small">Figures as of {formatDate(viewer, dashboard.computedAt)}.</p>
    </>
  );
}
