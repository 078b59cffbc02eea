/** The "Load more" button under a cursor-paged list; nothing once the list has no next page. */
export function LoadMore({
  pageInfo,
  loading,
  onLoadMore,
}: {
  pageInfo: { hasNextPage: boolean; endCursor?: string | null | undefined } | undefined;
  loading: boolean;
  onLoadMore: (after: string | null) => void;
}) {
  if (!pageInfo?.hasNextPage) return null;
  return (
    <button disabled={loading} onClick={() => onLoadMore(pageInfo.endCursor ?? null)}>
      {loading ? 'Loading…' : 'Load more'}
    </button>
  );
}
