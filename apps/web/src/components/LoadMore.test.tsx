import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { LoadMore } from './LoadMore.tsx';

describe('LoadMore', () => {
  it('asks for the page after the last cursor', async () => {
    const onLoadMore = vi.fn();
    render(
      <LoadMore pageInfo={{ hasNextPage: true, endCursor: 'Y3Vyc29yOjI1' }} loading={false} onLoadMore={onLoadMore} />,
    );
    await userEvent.setup().click(screen.getByRole('button', { name: 'Load more' }));
    expect(onLoadMore).toHaveBeenCalledWith('Y3Vyc29yOjI1');
  });

  it('is not there once the list has no next page, and waits while a page loads', () => {
    const { rerender } = render(
      <LoadMore pageInfo={{ hasNextPage: false, endCursor: null }} loading={false} onLoadMore={vi.fn()} />,
    );
    expect(screen.queryByRole('button')).toBeNull();
    rerender(<LoadMore pageInfo={{ hasNextPage: true, endCursor: 'x' }} loading onLoadMore={vi.fn()} />);
    expect(screen.getByRole('button', { name: 'Loading…' })).toHaveProperty('disabled', true);
  });
});
