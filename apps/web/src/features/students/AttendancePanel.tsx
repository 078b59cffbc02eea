import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { ATTENDANCE_LABEL } from './labels.ts';

export const AttendancePanel_StudentFragment = graphql(`
  fragment AttendancePanel_StudentFragment on Student {
    attendance(first: 30) {
      nodes {
        date
        status
      }
    }
  }
`);

/** The last school days as a strip of coloured marks, oldest first, each named for screen readers. */
export function AttendancePanel({ student }: { student: FragmentType<typeof AttendancePanel_StudentFragment> }) {
  const viewer = useViewer();
  const { attendance } = getFragmentData(AttendancePanel_StudentFragment, student);
  const days = [...attendance.nodes].reverse();
  return (
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
  );
}
