import { useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';
import type { CaseFilter, CaseOrder } from '../../gql/graphql.ts';
import { LoadMore } from '../../components/LoadMore.tsx';
import { CaseCard } from './CaseCard.tsx';

const CasesPageQuery = graphql(`
  query CasesPageQuery($after: String, $filter: CaseFilter, $orderBy: CaseOrder) {
    cases(first: 25, after: $after, filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo {
        hasNextPage
        endCursor
      }
      edges {
        node {
          id
          ...CaseCard_CaseFragment
        }
      }
    }
  }
`);

const VIEWS: { key: string; label: string; filter: (mine: boolean) => CaseFilter }[] = [
  {
    key: 'open',
    label: 'Open',
    filter: (mine) => ({ status: ['OPEN', 'IN_PROGRESS', 'MONITORING'], assignedToMe: mine || null }),
  },
  { key: 'overdue', label: 'Overdue reviews', filter: (mine) => ({ overdue: true, assignedToMe: mine || null }) },
  { key: 'closed', label: 'Closed', filter: (mine) => ({ status: ['CLOSED'], assignedToMe: mine || null }) },
];

const SORTS: { label: string; orderBy: CaseOrder }[] = [
  { label: 'Review date, soonest first', orderBy: { field: 'NEXT_REVIEW_AT', direction: 'ASC' } },
  { label: 'Newest first', orderBy: { field: 'CREATED_AT', direction: 'DESC' } },
  { label: 'Recently updated', orderBy: { field: 'UPDATED_AT', direction: 'DESC' } },
  { label: 'Most urgent first', orderBy: { field: 'PRIORITY', direction: 'DESC' } },
];

export function CasesPage() {
  const viewer = useViewer();
  const [params, setParams] = useSearchParams();
  const view = Math.max(
    0,
    VIEWS.findIndex((option) => option.key === params.get('view')),
  );
  const [sort, setSort] = useState(0);
  const sortId = useId();
  const filter = VIEWS[view]!.filter(viewer.defaultsToOwnWork);
  const { data, loading, error, fetchMore } = useQuery(CasesPageQuery, {
    variables: { filter, orderBy: SORTS[sort]!.orderBy },
    fetchPolicy: 'cache-and-network',
    notifyOnNetworkStatusChange: true,
  });
  const cases = data?.cases.edges.map((edge) => edge.node) ?? [];
  return (
    <>
      <h1>Cases</h1>
      <div className="tabs" role="group" aria-label="Which cases">
        {VIEWS.map((option, index) => (
          <button key={option.label} aria-pressed={index === view} onClick={() => setParams({ view: option.key })}>
            {option.label}
          </button>
        ))}
      </div>
      <p>
        <label htmlFor={sortId}>Order </label>
        <select id={sortId} value={sort} onChange={(event) => setSort(Number(event.target.value))}>
          {SORTS.map((option, index) => (
            <option key={option.label} value={index}>
              {option.label}
            </option>
          ))}
        </select>
      </p>
      <p role="status" className="muted">
        {data ? `${data.cases.totalCount} case${data.cases.totalCount === 1 ? '' : 's'}` : ''}
      </p>
      {error && !data ? <p role="alert">The cases cannot be loaded just now. Try again in a moment.</p> : null}
      {loading && !data ? <p role="status">Loading cases…</p> : null}
      {data && cases.length === 0 ? <p>No cases in this view.</p> : null}
      <ul className="cards">
        {cases.map((item) => (
          <CaseCard key={item.id} case={item} />
        ))}
      </ul>
      <LoadMore
        pageInfo={data?.cases.pageInfo}
        loading={loading}
        onLoadMore={(after) => void fetchMore({ variables: { after } })}
      />
    </>
  );
}
