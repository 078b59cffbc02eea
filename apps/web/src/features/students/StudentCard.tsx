import { Link } from 'react-router';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { LEVEL_LABEL } from './labels.ts';

export const StudentCard_StudentFragment = graphql(`
  fragment StudentCard_StudentFragment on Student {
    id
    fullName
    classroom {
      name
    }
    riskProfile {
      level
      reasons
    }
  }
`);

/** One student in a list: name, class, risk level and why. */
export function StudentCard({ student: studentRef }: { student: FragmentType<typeof StudentCard_StudentFragment> }) {
  const student = getFragmentData(StudentCard_StudentFragment, studentRef);
  return (
    <li className="card">
      <div className="card-head">
        <Link to={`/students/${student.id}`}>
          <strong>{student.fullName}</strong>
        </Link>
        <span className="muted">{student.classroom.name}</span>
        {student.riskProfile ? (
          <span className={`badge level-${student.riskProfile.level}`}>{LEVEL_LABEL[student.riskProfile.level]}</span>
        ) : null}
      </div>
      {student.riskProfile?.reasons.length ? (
        <p className="muted small">{student.riskProfile.reasons.join('; ')}</p>
      ) : null}
    </li>
  );
}
