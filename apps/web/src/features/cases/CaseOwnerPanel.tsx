import { useId } from 'react';
import { lowerWords } from '../../components/words.ts';
import { type FragmentType, getFragmentData, graphql } from '../../gql/index.ts';
import { type CaseMutationReport, useCaseMutation } from './useCaseMutation.ts';

export const CaseOwnerPanel_CaseFragment = graphql(`
  fragment CaseOwnerPanel_CaseFragment on InterventionCase {
    id
    version
    assignedTo {
      id
    }
  }
`);

export const CaseOwnerPanel_StaffFragment = graphql(`
  fragment CaseOwnerPanel_StaffFragment on User {
    id
    fullName
    role
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

/** Gives the case to another member of the school's staff. */
export function CaseOwnerPanel(props: {
  case: FragmentType<typeof CaseOwnerPanel_CaseFragment>;
  staff: FragmentType<typeof CaseOwnerPanel_StaffFragment>[];
  report: CaseMutationReport;
}) {
  const item = getFragmentData(CaseOwnerPanel_CaseFragment, props.case);
  const staff = getFragmentData(CaseOwnerPanel_StaffFragment, props.staff);
  const [reassign, reassigning] = useCaseMutation(ReassignCaseMutation, (data) => data.updateCase, props.report);
  const ownerId = useId();
  return (
    <section className="panel" aria-labelledby="owner-title">
      <h2 id="owner-title">Owner</h2>
      <form
        className="inline-form"
        onSubmit={(event) => {
          event.preventDefault();
          const assignedToId = String(new FormData(event.currentTarget).get('owner'));
          void reassign({ input: { id: item.id, expectedVersion: item.version, assignedToId } });
        }}
      >
        <label htmlFor={ownerId}>Give the case to</label>
        <select id={ownerId} name="owner" defaultValue={item.assignedTo?.id ?? ''}>
          {staff.map((member) => (
            <option key={member.id} value={member.id}>
              {member.fullName} ({lowerWords(member.role)})
            </option>
          ))}
        </select>
        <button type="submit" disabled={reassigning}>
          Reassign
        </button>
      </form>
    </section>
  );
}
