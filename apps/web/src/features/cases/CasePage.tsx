import { useQuery } from '@apollo/client/react';
import { useState } from 'react';
import { useParams } from 'react-router';
import { useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';
import { CaseNoteForm } from './CaseNoteForm.tsx';
import { CaseOwnerPanel } from './CaseOwnerPanel.tsx';
import { CaseReviewPanel } from './CaseReviewPanel.tsx';
import { CaseStatusPanel } from './CaseStatusPanel.tsx';
import { CaseSummary } from './CaseSummary.tsx';
import { CaseTimeline } from './CaseTimeline.tsx';
import { DidItWorkPanel } from './DidItWorkPanel.tsx';
import type { CaseProblem } from './useCaseMutation.ts';
import './cases.css';

export const CasePageQuery = graphql(`
  query CasePageQuery($id: ID!) {
    node(id: $id) {
      ... on InterventionCase {
        id
        status
        ...CaseSummary_CaseFragment
        ...DidItWorkPanel_CaseFragment
        ...CaseStatusPanel_CaseFragment
        ...CaseOwnerPanel_CaseFragment
        ...CaseReviewPanel_CaseFragment
        viewerCan {
          update
          reassign
          addNote
          addRestrictedNote
        }
        ...CaseTimeline_CaseFragment
      }
    }
  }
`);

const CaseStaffQuery = graphql(`
  query CaseStaffQuery {
    viewer {
      school {
        id
        staff {
          id
          ...CaseOwnerPanel_StaffFragment
        }
      }
    }
  }
`);

export function CasePage() {
  const { id = '' } = useParams();
  const viewer = useViewer();
  const { data, loading, error, refetch } = useQuery(CasePageQuery, {
    variables: { id },
    fetchPolicy: 'cache-and-network',
  });
  // The staff list is fetched beside the case for those who may give cases to someone else.
  const staff = useQuery(CaseStaffQuery, { skip: !viewer.viewerCan.reassignCases });
  const [problem, setProblem] = useState<CaseProblem | null>(null);
  // Every change on the page reports here: its problem shows under the status, and a change reloads the case.
  const report = { onProblem: setProblem, onDone: () => void refetch() };

  if (loading && !data) return <p role="status">Loading the case…</p>;
  if (error && !data) return <p role="alert">The case cannot be loaded just now. Try again in a moment.</p>;
  // Another type's id answers with an empty object: treat it as not found.
  const item = data?.node && 'status' in data.node ? data.node : null;
  if (!item) return <p role="status">Not found: no case at this address, or not one you can see.</p>;

  return (
    <>
      <CaseSummary case={item} />
      <DidItWorkPanel case={item} />
      <CaseStatusPanel
        case={item}
        problem={problem}
        report={report}
        onReload={() => (setProblem(null), void refetch())}
      />

      {item.viewerCan.reassign && item.status !== 'CLOSED' && staff.data?.viewer?.school ? (
        <CaseOwnerPanel case={item} staff={staff.data.viewer.school.staff} report={report} />
      ) : null}

      {item.viewerCan.update && item.status !== 'CLOSED' ? <CaseReviewPanel case={item} report={report} /> : null}

      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <CaseTimeline case={item} />
        {item.viewerCan.addNote ? (
          <CaseNoteForm caseId={item.id} mayRestrict={item.viewerCan.addRestrictedNote} report={report} />
        ) : null}
      </section>
    </>
  );
}
