import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { formatDate, useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';
import type { CaseOutcome, CaseStatus } from '../../gql/graphql.ts';
import { CaseTimeline } from './CaseTimeline.tsx';
import { STATUS_LABEL } from './CasesPage.tsx';

const CasePageQuery = graphql(`
  query CasePageQuery($id: ID!) {
    node(id: $id) {
      ... on InterventionCase {
        id
        title
        category
        status
        outcome
        priority
        tier
        goal
        version
        nextReviewAt
        isOverdue
        viewerCan {
          update
          reassign
          addNote
          addRestrictedNote
        }
        allowedStatusMoves
        student {
          id
          fullName
        }
        assignedTo {
          id
          fullName
        }
        didItWork {
          atOpening {
            level
            attendanceRate
          }
          now {
            level
            attendanceRate
          }
        }
        ...CaseTimeline_CaseFragment
      }
    }
  }
`);

const ChangeCaseStatusMutation = graphql(`
  mutation ChangeCaseStatusMutation($input: ChangeCaseStatusInput!) {
    changeCaseStatus(input: $input) {
      case {
        id
        status
        version
      }
      userErrors {
        code
        message
      }
    }
  }
`);

const UpdateCaseReviewMutation = graphql(`
  mutation UpdateCaseReviewMutation($input: UpdateCaseInput!) {
    updateCase(input: $input) {
      case {
        id
        nextReviewAt
        version
      }
      userErrors {
        code
        message
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
          fullName
          role
        }
      }
    }
  }
`);

const ReassignCaseMutation = graphql(`
  mutation ReassignCaseMutation($input: UpdateCaseInput!) {
    updateCase(input: $input) {
      case {
        id
        version
        assignedTo {
          id
          fullName
        }
      }
      userErrors {
        code
        message
      }
    }
  }
`);

const AddCaseNoteMutation = graphql(`
  mutation AddCaseNoteMutation($input: AddCaseNoteInput!) {
    addCaseNote(input: $input) {
      event {
        id
      }
      userErrors {
        message
      }
    }
  }
`);

const OUTCOMES: CaseOutcome[] = ['IMPROVED', 'NO_CHANGE', 'WORSENED', 'TRANSFERRED'];

function percent(rate: number | null | undefined): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

export function CasePage() {
  const { id = '' } = useParams();
  const viewer = useViewer();
  const { data, loading, error, refetch } = useQuery(CasePageQuery, {
    variables: { id },
    fetchPolicy: 'cache-and-network',
  });
  const [changeStatus, { loading: moving }] = useMutation(ChangeCaseStatusMutation);
  const [addNote, { loading: noting }] = useMutation(AddCaseNoteMutation);
  const [updateReview, { loading: rescheduling }] = useMutation(UpdateCaseReviewMutation);
  const reviewId = useId();
  const ownerId = useId();
  // The staff list is fetched beside the case for those who may give cases to someone else.
  const staff = useQuery(CaseStaffQuery, { skip: !viewer.viewerCan.reassignCases });
  const [reassign, { loading: reassigning }] = useMutation(ReassignCaseMutation);
  const [note, setNote] = useState('');
  const [restricted, setRestricted] = useState(false);
  const [outcome, setOutcome] = useState<CaseOutcome>('IMPROVED');
  const [problem, setProblem] = useState<{ message: string; stale: boolean } | null>(null);
  const noteId = useId();
  const outcomeId = useId();

  if (loading && !data) return <p role="status">Loading the case…</p>;
  if (error && !data) return <p role="alert">The case cannot be loaded just now. Try again in a moment.</p>;
  // Another type's id answers with an empty object: treat it as not found.
  const item = data?.node && 'title' in data.node ? data.node : null;
  if (!item) return <p role="status">Not found: no case at this address, or not one you can see.</p>;

  async function move(to: CaseStatus) {
    setProblem(null);
    const result = await changeStatus({
      variables: {
        input: { id: item!.id, expectedVersion: item!.version, status: to, ...(to === 'CLOSED' ? { outcome } : {}) },
      },
    });
    const failure = result.data?.changeCaseStatus.userErrors[0];
    if (failure) setProblem({ message: failure.message, stale: failure.code === 'STALE_VERSION' });
    else void refetch();
  }

  return (
    <>
      <p className="muted small">
        <Link to="/cases">Cases</Link> / <Link to={`/students/${item.student.id}`}>{item.student.fullName}</Link>
      </p>
      <h1>{item.title}</h1>
      <p>
        <span className="badge status">{STATUS_LABEL[item.status]}</span>{' '}
        <span className="muted">
          {item.category.toLowerCase()} · tier {item.tier} · {item.priority.toLowerCase()} priority
          {item.assignedTo ? ` · owner ${item.assignedTo.fullName}` : ''}
          {item.nextReviewAt ? ` · review ${formatDate(viewer, item.nextReviewAt)}` : ''}
        </span>
        {item.isOverdue ? <strong className="overdue"> · overdue</strong> : null}
        {item.outcome ? <span> · outcome {item.outcome.toLowerCase().replace('_', ' ')}</span> : null}
      </p>
      {item.goal ? <p>Goal: {item.goal}</p> : null}

      <section className="panel" aria-labelledby="worked-title">
        <h2 id="worked-title">Did it work?</h2>
        <table className="compare">
          <thead>
            <tr>
              <th scope="col" />
              <th scope="col">When opened</th>
              <th scope="col">Now</th>
            </tr>
          </thead>
          <tbody>
            <tr>
              <th scope="row">Risk level</th>
              <td>{item.didItWork.atOpening.level?.replace('_', ' ').toLowerCase() ?? '—'}</td>
              <td>{item.didItWork.now.level?.replace('_', ' ').toLowerCase() ?? '—'}</td>
            </tr>
            <tr>
              <th scope="row">Attendance</th>
              <td>{percent(item.didItWork.atOpening.attendanceRate)}</td>
              <td>{percent(item.didItWork.now.attendanceRate)}</td>
            </tr>
          </tbody>
        </table>
      </section>

      <section className="panel" aria-labelledby="status-title">
        <h2 id="status-title">Status</h2>
        {item.allowedStatusMoves.includes('CLOSED') ? (
          <p>
            <label htmlFor={outcomeId}>Outcome </label>
            <select id={outcomeId} value={outcome} onChange={(event) => setOutcome(event.target.value as CaseOutcome)}>
              {OUTCOMES.map((value) => (
                <option key={value} value={value}>
                  {value.toLowerCase().replace('_', ' ')}
                </option>
              ))}
            </select>
          </p>
        ) : null}
        {item.allowedStatusMoves.length === 0 ? (
          <p className="muted">Only the case's owner, a pastoral lead or an admin moves this case along.</p>
        ) : null}
        <div className="actions">
          {item.allowedStatusMoves.map((to) => (
            <button key={to} className="primary" disabled={moving} onClick={() => void move(to)}>
              {to === 'OPEN' ? 'Reopen' : `Move to ${STATUS_LABEL[to]?.toLowerCase()}`}
            </button>
          ))}
        </div>
        {problem ? (
          <div role="alert" className="form-error">
            <p>
              {problem.stale
                ? 'Someone changed this case while you had it open, so your change was not made. Reload it to see theirs; your note below is kept.'
                : problem.message}
            </p>
            {problem.stale ? <button onClick={() => (setProblem(null), void refetch())}>Reload the case</button> : null}
          </div>
        ) : null}
      </section>

      {item.viewerCan.reassign && item.status !== 'CLOSED' && staff.data?.viewer?.school ? (
        <section className="panel" aria-labelledby="owner-title">
          <h2 id="owner-title">Owner</h2>
          <form
            className="inline-form"
            onSubmit={async (event) => {
              event.preventDefault();
              const assignedToId = String(new FormData(event.currentTarget).get('owner'));
              setProblem(null);
              const result = await reassign({
                variables: { input: { id: item.id, expectedVersion: item.version, assignedToId } },
              });
              const failure = result.data?.updateCase.userErrors[0];
              if (failure) setProblem({ message: failure.message, stale: failure.code === 'STALE_VERSION' });
              else void refetch();
            }}
          >
            <label htmlFor={ownerId}>Give the case to</label>
            <select id={ownerId} name="owner" defaultValue={item.assignedTo?.id ?? ''}>
              {staff.data.viewer.school.staff.map((member) => (
                <option key={member.id} value={member.id}>
                  {member.fullName} ({member.role.toLowerCase().replace('_', ' ')})
                </option>
              ))}
            </select>
            <button type="submit" disabled={reassigning}>
              Reassign
            </button>
          </form>
        </section>
      ) : null}

      {item.viewerCan.update && item.status !== 'CLOSED' ? (
        <section className="panel" aria-labelledby="review-title">
          <h2 id="review-title">Next review</h2>
          <form
            className="inline-form"
            onSubmit={async (event) => {
              event.preventDefault();
              const date = String(new FormData(event.currentTarget).get('review'));
              setProblem(null);
              const result = await updateReview({
                variables: { input: { id: item.id, expectedVersion: item.version, nextReviewAt: date } },
              });
              const failure = result.data?.updateCase.userErrors[0];
              if (failure) setProblem({ message: failure.message, stale: failure.code === 'STALE_VERSION' });
              else void refetch();
            }}
          >
            <label htmlFor={reviewId}>Review on</label>
            <input id={reviewId} name="review" type="date" defaultValue={item.nextReviewAt ?? ''} required />
            <button type="submit" disabled={rescheduling}>
              Set review date
            </button>
          </form>
        </section>
      ) : null}

      <section className="panel" aria-labelledby="timeline-title">
        <h2 id="timeline-title">Timeline</h2>
        <CaseTimeline case={item} />
        {item.viewerCan.addNote ? (
          <form
            className="note-form"
            onSubmit={async (event) => {
              event.preventDefault();
              const result = await addNote({ variables: { input: { caseId: item.id, body: note, restricted } } });
              const failure = result.data?.addCaseNote.userErrors[0];
              if (failure) setProblem({ message: failure.message, stale: false });
              else {
                setNote('');
                setRestricted(false);
                void refetch();
              }
            }}
          >
            <label htmlFor={noteId}>Add a note</label>
            <textarea
              id={noteId}
              value={note}
              onChange={(event) => setNote(event.target.value)}
              rows={3}
              maxLength={10000}
              required
            />
            {item.viewerCan.addRestrictedNote ? (
              <label className="check">
                <input type="checkbox" checked={restricted} onChange={(event) => setRestricted(event.target.checked)} />{' '}
                Restricted (safeguarding lead only)
              </label>
            ) : null}
            <button type="submit" disabled={noting || note.trim() === ''}>
              {noting ? 'Saving…' : 'Save note'}
            </button>
          </form>
        ) : null}
      </section>
    </>
  );
}
