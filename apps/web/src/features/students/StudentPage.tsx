import { useQuery } from '@apollo/client/react';
import { Link, useParams } from 'react-router';
import { graphql } from '../../gql/index.ts';
import { AlertsAndCasesPanel } from './AlertsAndCasesPanel.tsx';
import { AttendancePanel } from './AttendancePanel.tsx';
import { BehaviourPanel } from './BehaviourPanel.tsx';
import { CourseworkPanel } from './CourseworkPanel.tsx';
import { DisclosuresPanel } from './DisclosuresPanel.tsx';
import { RiskPanel } from './RiskPanel.tsx';
import { ViewedByPanel } from './ViewedByPanel.tsx';
import './students.css';

const StudentPageQuery = graphql(`
  query StudentPageQuery($id: ID!) {
    node(id: $id) {
      ... on Student {
        id
        fullName
        classroom {
          name
        }
        riskProfile {
          ...RiskPanel_RiskProfileFragment
        }
        ...AttendancePanel_StudentFragment
        ...BehaviourPanel_StudentFragment
        ...CourseworkPanel_StudentFragment
        ...AlertsAndCasesPanel_StudentFragment
        viewerCan {
          readViewedBy
          readDisclosures
        }
      }
    }
  }
`);

export function StudentPage() {
  const { id = '' } = useParams();
  const { data, loading, error } = useQuery(StudentPageQuery, { variables: { id }, fetchPolicy: 'cache-and-network' });
  if (loading && !data) return <p role="status">Loading the student…</p>;
  if (error && !data) return <p role="alert">The student cannot be loaded just now. Try again in a moment.</p>;
  // Another type's id answers with an empty object: treat it as not found.
  const student = data?.node && 'fullName' in data.node ? data.node : null;
  if (!student) return <p role="status">Not found: no student at this address, or not one you can see.</p>;

  return (
    <>
      <p className="muted small">
        <Link to="/students">Students</Link> / {student.classroom.name}
      </p>
      <h1>{student.fullName}</h1>
      {student.riskProfile ? <RiskPanel riskProfile={student.riskProfile} /> : null}
      <AttendancePanel student={student} />
      <BehaviourPanel student={student} />
      <CourseworkPanel student={student} />
      <AlertsAndCasesPanel student={student} />
      {student.viewerCan.readViewedBy ? <ViewedByPanel studentId={student.id} /> : null}
      {student.viewerCan.readDisclosures ? <DisclosuresPanel studentId={student.id} /> : null}
    </>
  );
}
