import { useId, useState } from 'react';
import { graphql } from '../../gql/index.ts';
import { type CaseMutationReport, useCaseMutation } from './useCaseMutation.ts';

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

/** Adds a note to the case's timeline, restricted to the safeguarding lead when ticked (for those who may). */
export function CaseNoteForm({
  caseId,
  mayRestrict,
  report,
}: {
  caseId: string;
  mayRestrict: boolean;
  report: CaseMutationReport;
}) {
  const [addNote, noting] = useCaseMutation(AddCaseNoteMutation, (data) => data.addCaseNote, report);
  const [note, setNote] = useState('');
  const [restricted, setRestricted] = useState(false);
  const noteId = useId();
  return (
    <form
      className="note-form"
      onSubmit={async (event) => {
        event.preventDefault();
        if (await addNote({ input: { caseId, body: note, restricted } })) {
          setNote('');
          setRestricted(false);
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
      {mayRestrict ? (
        <label className="check">
          <input type="checkbox" checked={restricted} onChange={(event) => setRestricted(event.target.checked)} />{' '}
          Restricted (safeguarding lead only)
        </label>
      ) : null}
      <button type="submit" disabled={noting || note.trim() === ''}>
        {noting ? 'Saving…' : 'Save note'}
      </button>
    </form>
  );
}
