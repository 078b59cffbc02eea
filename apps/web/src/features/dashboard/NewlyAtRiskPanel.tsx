import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { LEVEL_LABEL } from '../students/labels.ts';

export const NewlyAtRiskPanel_DashboardFragment = graphql(`
  fragment NewlyAtRiskPanel_DashboardFragment on Dashboard {
    newlyAtRisk(first: 10) {
      nodes {
        id
        fullName
        classroom {
          name
        }
        riskProfile {
          level
          reasons
          worsenedAt
        }
      }
    }
  }
`);

/**
 * The students whose risk level worsened this week, and why: the newest ten. It asks for no total, which it does
 * not show: counting the district's week of changes (3,373 profiles on the district seed, each joined with its
 * student) was the slowest statement of its dashboard, 40 ms.
 */
export function NewlyAtRiskPanel({
  dashboard,
}: {
  dashboard: FragmentType<typeof NewlyAtRiskPanel_DashboardFragment>;
}) {
  const viewer = useViewer();
  const { newlyAtRisk } = getFragmentData(NewlyAtRiskPanel_DashboardFragment, dashboard);
  return (
    <section aria-labelledby="newly-title" className="panel">
      <h2 id="newly-title">Newly at risk this week</h2>
      {newlyAtRisk.nodes.length === 0 ? (
        <p>No student's level worsened this week.</p>
      ) : (
        <ul className="list">
          {newlyAtRisk.nodes.map((student) => (
            <li key={student.id}>
              <strong>{student.fullName}</strong> <span className="muted">{student.classroom.name}</span>
              {student.riskProfile ? (
                <>
                  {' '}
                  <span className={`badge level-${student.riskProfile.level}`}>
                    {LEVEL_LABEL[student.riskProfile.level]}
                  </span>
                  <span className="muted">
                    {' '}
                    {student.riskProfile.reasons.join('; ')}
                    {student.riskProfile.worsenedAt
                      ? ` · since ${formatDate(viewer, student.riskProfile.worsenedAt)}`
                      : ''}
                  </span>
                </>
              ) : null}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
