import { formatDate, useViewer } from '../../app/session.tsx';
import { lowerWords } from '../../components/words.ts';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';

export const BehaviourPanel_StudentFragment = graphql(`
  fragment BehaviourPanel_StudentFragment on Student {
    behaviourIncidents(first: 10) {
      nodes {
        occurredOn
        category
        severity
        suspensionDays
      }
    }
  }
`);

/** A student's latest behaviour incidents. */
export function BehaviourPanel({ student }: { student: FragmentType<typeof BehaviourPanel_StudentFragment> }) {
  const viewer = useViewer();
  const { behaviourIncidents } = getFragmentData(BehaviourPanel_StudentFragment, student);
  return (
    <section className="panel" aria-labelledby="behaviour-title">
      <h2 id="behaviour-title">Behaviour</h2>
      {behaviourIncidents.nodes.length === 0 ? <p>No incidents recorded.</p> : null}
      <ul className="list">
        {behaviourIncidents.nodes.map((incident, index) => (
          <li key={`${incident.occurredOn}-${index}`}>
            {formatDate(viewer, incident.occurredOn)}: {lowerWords(incident.category)} (
            {incident.severity.toLowerCase()})
            {incident.suspensionDays > 0 ? `, ${incident.suspensionDays} days' suspension` : ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
