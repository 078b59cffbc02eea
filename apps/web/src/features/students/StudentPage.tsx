import { useQuery } from '@apollo/client/react';
import { Link, useParams } from 'react-router';
import { formatDate, useViewer } from '../../app/session.tsx';
import { graphql } from '../../gql/index.ts';
import { STATUS_LABEL } from '../cases/CasesPage.tsx';
import { DisclosuresPanel } from './DisclosuresPanel.tsx';
import { ViewedByPanel } from './ViewedByPanel.tsx';
import { LEVEL_LABEL } from './StudentsPage.tsx';

const StudentPageQuery = graphql(`
  query StudentPageQuery($id: ID!) {
    node(id: $id) {
      ... on Student {
        id
        fullName
        yearGroup
        classroom {
          name
        }
        riskProfile {
          level
          reasons
          attendanceRate
          attendanceDays
          computedAt
        }
        attendance(first: 30) {
          nodes {
            date
            status
          }
        }
        behaviourIncidents(first: 10) {
          nodes {
            occurredOn
            category
            severity
            suspensionDays
          }
        }
        assessmentResults {
          subject
          score
          grade
          passing
        }
        alerts(first: 10) {
          nodes {
            id
            reason
            status
            alertDate
          }
        }
        viewerCan {
          readViewedBy
          readDisclosures
        }
        cases(first: 10) {
          nodes {
            id
            title
            status
          }
        }
      }
    }
  }
`);

const ATTENDANCE_LABEL: Record<string, string> = {
  PRESENT: 'present',
  LATE: 'late',
  ABSENT_AUTHORISED: 'absent (authorised)',
  ABSENT_UNAUTHORISED: 'absent (unauthorised)',
};

export function StudentPage() {
  const { id = '' } = useParams();
  const viewer = useViewer();
  const { data, loading, error } = useQuery(StudentPageQuery, { variables: { id }, fetchPolicy: 'cache-and-network' });
  if (loading && !data) return <p role="status">Loading the student…</p>;
  if (error && !data) return <p role="alert">The student cannot be loaded just now. Try again in a moment.</p>;
  // Another type's id answers with an empty object: treat it as not found.
  const student = data?.node && 'fullName' in data.node ? data.node : null;
  if (!student) return <p role="status">Not found: no student at this address, or not one you can see.</p>;
  const days = [...student.attendance.nodes].reverse();

  return (
    <>
      <p className="muted small">
        <Link to="/students">Students</Link> / {student.classroom.name}
      </p>
      <h1>{student.fullName}</h1>
      {student.riskProfile ? (
        <section className="panel" aria-labelledby="risk-title">
          <h2 id="risk-title">
            Risk:{' '}
            <span className={`badge level-${student.riskProfile.level}`}>{LEVEL_LABEL[student.riskProfile.level]}</span>
          </h2>
          {student.riskProfile.reasons.length ? (
            <ul>
              {student.riskProfile.reasons.map((reason) => (
                <li key={reason}>{reason}</li>
              ))}
            </ul>
          ) : (
            <p>No concerns from attendance, behaviour or coursework.</p>
          )}
          <p className="muted small">As computed {formatDate(viewer, student.riskProfile.computedAt)}.</p>
        </section>
      ) : null}

      <section className="panel" aria-labelledby="attendance-title">
        <h2 id="attendance-title">Attendance, last {days.length} school days</h2>
        <ol className="days" aria-label="Each school day, oldest first">
          {days.map((day) => (
            <li
              key={day.date}
              className={`day day-${day.status}`}
              title={`${formatDate(viewer, day.date)}: ${ATTENDANCE_LABEL[day.status]}`}
            >
              <span className="visually-hidden">
                {formatDate(viewer, day.date)}: {ATTENDANCE_LABEL[day.status]}
              </span>
            </li>
          ))}
        </ol>
      </section>

      <section className="panel" aria-labelledby="behaviour-title">
        <h2 id="behaviour-title">Behaviour</h2>
        {student.behaviourIncidents.nodes.length === 0 ? <p>No incidents recorded.</p> : null}
        <ul className="list">
          {student.behaviourIncidents.nodes.map((incident, index) => (
            <li key={`${incident.occurredOn}-${index}`}>
              {formatDate(viewer, incident.occurredOn)}: {incident.category.toLowerCase().replace('_', ' ')} (
              {incident.severity.toLowerCase()})
              {incident.suspensionDays > 0 ? `, ${incident.suspensionDays} days' suspension` : ''}
            </li>
          ))}
        </ul>
      </section>

      <section className="panel" aria-labelledby="coursework-title">
        <h2 id="coursework-title">Coursework this term</h2>
        {student.assessmentResults.length === 0 ? <p>No results yet this term.</p> : null}
        <ul className="list">
          {student.assessmentResults.map((result) => (
            <li key={result.subject}>
              {result.subject.toLowerCase()}: {result.grade ?? result.score ?? '—'}{' '}
              {result.passing ? '' : <strong className="overdue">not passing</strong>}
            </li>
          ))}
        </ul>
      </section>

      <section className="panel" aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts and cases</h2>
        <ul className="list">
          {student.alerts.nodes.map((alert) => (
            <li key={alert.id}>
              {formatDate(viewer, alert.alertDate)}: {alert.reason}{' '}
              <span className="muted">({alert.status.toLowerCase()})</span>
            </li>
          ))}
          {student.cases.nodes.map((item) => (
            <li key={item.id}>
              Case: <Link to={`/cases/${item.id}`}>{item.title}</Link>{' '}
              <span className="muted">({STATUS_LABEL[item.status]})</span>
            </li>
          ))}
        </ul>
      </section>
      {student.viewerCan.readViewedBy ? <ViewedByPanel studentId={student.id} /> : null}
      {student.viewerCan.readDisclosures ? <DisclosuresPanel studentId={student.id} /> : null}
    </>
  );
}
