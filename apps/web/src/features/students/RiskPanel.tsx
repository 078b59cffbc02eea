import { formatDate, useViewer } from '../../app/session.tsx';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { LEVEL_LABEL } from './labels.ts';

export const RiskPanel_RiskProfileFragment = graphql(`
  fragment RiskPanel_RiskProfileFragment on RiskProfile {
    level
    reasons
    computedAt
  }
`);

/** A student's risk level and the reasons for it, as last computed. */
export function RiskPanel({ riskProfile }: { riskProfile: FragmentType<typeof RiskPanel_RiskProfileFragment> }) {
  const viewer = useViewer();
  const risk = getFragmentData(RiskPanel_RiskProfileFragment, riskProfile);
  return (
    <section className="panel" aria-labelledby="risk-title">
      <h2 id="risk-title">
        Risk: <span className={`badge level-${risk.level}`}>{LEVEL_LABEL[risk.level]}</span>
      </h2>
      {risk.reasons.length ? (
        <ul>
          {risk.reasons.map((reason) => (
            <li key={reason}>{reason}</li>
          ))}
        </ul>
      ) : (
        <p>No concerns from attendance, behaviour or coursework.</p>
      )}
      <p className="muted small">As computed {formatDate(viewer, risk.computedAt)}.</p>
    </section>
  );
}
