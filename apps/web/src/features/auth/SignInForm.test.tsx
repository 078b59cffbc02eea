import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { renderWithApp } from '../../testing/render.tsx';
import { SignInForm, SignInMutation } from './SignInForm.tsx';

const input = { email: 'form.master@s01.pastoral.example', password: 'pastoral-demo' };

async function signIn() {
  const user = userEvent.setup();
  await user.type(screen.getByLabelText('E-mail address'), input.email);
  await user.type(screen.getByLabelText('Password'), input.password);
  await user.click(screen.getByRole('button', { name: 'Sign in' }));
}

/** The API's answer to the sign-in: `viewer` once signed in, else the userErrors. */
function answers(signIn: { viewer: { sessionExpiresAt: string } | null; userErrors: { message: string }[] }) {
  return {
    request: { query: SignInMutation, variables: { input } },
    result: {
      data: {
        signIn: {
          __typename: 'SignInPayload',
          viewer: signIn.viewer && { __typename: 'Viewer', ...signIn.viewer },
          userErrors: signIn.userErrors.map((error) => ({ __typename: 'UserError', ...error })),
        },
      },
    },
  };
}

describe('SignInForm', () => {
  it('shows why the API refused the sign-in, and stays on the form', async () => {
    const onSignedIn = vi.fn();
    renderWithApp(<SignInForm onSignedIn={onSignedIn} />, {
      mocks: [answers({ viewer: null, userErrors: [{ message: 'The e-mail address or password is not right.' }] })],
    });
    await signIn();
    expect((await screen.findByRole('alert')).textContent).toBe('The e-mail address or password is not right.');
    expect(onSignedIn).not.toHaveBeenCalled();
  });

  it('says Pastoral cannot be reached when the request fails', async () => {
    renderWithApp(<SignInForm onSignedIn={vi.fn()} />, {
      mocks: [{ request: { query: SignInMutation, variables: { input } }, error: new Error('Failed to fetch') }],
    });
    await signIn();
    expect((await screen.findByRole('alert')).textContent).toMatch(/^Pastoral cannot be reached just now/);
  });

  it('hands over to the app once signed in', async () => {
    const onSignedIn = vi.fn();
    renderWithApp(<SignInForm onSignedIn={onSignedIn} />, {
      mocks: [answers({ viewer: { sessionExpiresAt: '2026-12-07T15:00:00Z' }, userErrors: [] })],
    });
    await signIn();
    await vi.waitFor(() => expect(onSignedIn).toHaveBeenCalledOnce());
    expect(screen.queryByRole('alert')).toBeNull();
  });
});
