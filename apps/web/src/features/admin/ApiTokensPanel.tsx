import { useId, useState } from 'react';
import { usePayloadMutation } from '../../app/usePayloadMutation.ts';
import { type FragmentType, graphql } from '../../gql/index.ts';
import { ApiTokenItem, type ApiTokenItem_ApiTokenFragment } from './ApiTokenItem.tsx';
import { SCOPES, scopeLabel } from './labels.ts';

const CreateApiTokenMutation = graphql(`
  mutation CreateApiTokenMutation($input: CreateApiTokenInput!) {
    createApiToken(input: $input) {
      token
      apiToken {
        id
      }
      userErrors {
        message
      }
    }
  }
`);

const RevokeApiTokenMutation = graphql(`
  mutation RevokeApiTokenMutation($id: ID!) {
    revokeApiToken(input: { id: $id }) {
      apiToken {
        id
        revokedAt
      }
      userErrors {
        message
      }
    }
  }
`);

/** The integrators' API tokens: a form to make one (its secret shown once), and the list to revoke them from. */
export function ApiTokensPanel(props: {
  tokens: ({ id: string } & FragmentType<typeof ApiTokenItem_ApiTokenFragment>)[];
  onCreated: () => void;
}) {
  const [create] = usePayloadMutation(CreateApiTokenMutation, (data) => data.createApiToken);
  const [revoke] = usePayloadMutation(RevokeApiTokenMutation, (data) => data.revokeApiToken);
  const [secret, setSecret] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const nameId = useId();
  return (
    <section className="panel" aria-labelledby="tokens-title">
      <h2 id="tokens-title">API tokens</h2>
      <form
        className="note-form"
        onSubmit={async (event) => {
          event.preventDefault();
          const formElement = event.currentTarget;
          const form = new FormData(formElement);
          const scopes = SCOPES.filter((scope) => form.get(scope) === 'on');
          const outcome = await create({ input: { name: String(form.get('name')), scopes } });
          if (outcome.done && outcome.payload.token) {
            setSecret(outcome.payload.token);
            setMessage(null);
            formElement.reset();
            props.onCreated();
          } else setMessage(outcome.done ? null : (outcome.problem?.message ?? null));
        }}
      >
        <label htmlFor={nameId}>What the token is for</label>
        <input id={nameId} name="name" required maxLength={100} />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map((scope) => (
            <label key={scope} className="check">
              <input type="checkbox" name={scope} /> {scopeLabel(scope)}
            </label>
          ))}
        </fieldset>
        <button type="submit" className="primary">
          Create token
        </button>
      </form>
      {message ? (
        <p role="alert" className="form-error">
          {message}
        </p>
      ) : null}
      {secret ? (
        <div className="secret" role="status">
          <p>
            <strong>Copy this token now: it is not shown again.</strong>
          </p>
          <code>{secret}</code>
          <button onClick={() => void navigator.clipboard?.writeText(secret)}>Copy</button>
        </div>
      ) : null}
      <ul className="list">
        {props.tokens.map((token) => (
          <ApiTokenItem
            key={token.id}
            token={token}
            onRevoke={async (id) => {
              const outcome = await revoke({ id });
              if (!outcome.done && outcome.problem) setMessage(outcome.problem.message);
            }}
          />
        ))}
      </ul>
    </section>
  );
}
