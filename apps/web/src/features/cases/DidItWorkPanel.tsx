import { lowerWords } from '../../components/words.ts';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';

export const DidItWorkPanel_CaseFragment = graphql(`
  fragment DidItWorkPanel_CaseFragment on InterventionCase {
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
  }
`);

function percent(rate: number | null | undefined): string {
  return rate == null ? '—' : `${(rate * 100).toFixed(1)}%`;
}

/** The student's risk level and attendance when the case opened, beside today's. */
export function DidItWorkPanel({ case: caseRef }: { case: FragmentType<typeof DidItWorkPanel_CaseFragment> }) {
  const { didItWork } = getFragmentData(DidItWorkPanel_CaseFragment, caseRef);
  return (
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
            <td>{didItWork.atOpening.level ? lowerWords(didItWork.atOpening.level) : '—'}</td>
            <td>{didItWork.now.level ? lowerWords(didItWork.now.level) : '—'}</td>
          </tr>
          <tr>
            <th scope="row">Attendance</th>
            <td>{percent(didItWork.atOpening.attendanceRate)}</td>
            <td>{percent(didItWork.now.attendanceRate)}</td>
          </tr>
        </tbody>
      </table>
    </section>
  );
}
