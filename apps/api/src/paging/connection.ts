/**
 * The Relay connection a list answers with (edges, nodes, pageInfo, a count read only when asked for), built
 * from the rows one page's statement read.
 */
import { encodeCursor, type Page, type SortKey } from './cursor.ts';

/** Counts stop here: a count of a large list reads at most this many index entries. */
export const COUNT_CAP = 10_000;

export interface EdgeModel {
  cursor: string;
  node: unknown;
}

export interface ConnectionModel {
  edges: EdgeModel[];
  nodes: unknown[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  /** Resolved only when asked for: counting costs a query. */
  totalCount: () => Promise<number>;
  totalCountIsCapped: () => Promise<boolean>;
}

/** A connection from the rows a page query read: up to `size + 1` rows, in the page's reading order. */
export function connectionFromRows<Row>(
  rows: Row[],
  page: Page,
  keys: SortKey<Row>[],
  count: () => Promise<number>,
): ConnectionModel {
  const hasMore = rows.length > page.size;
  const pageRows = rows.slice(0, page.size);
  if (page.backward) pageRows.reverse();
  const edges = pageRows.map((row) => ({ cursor: encodeCursor(keys.map((key) => key.value(row))), node: row }));
  let counted: Promise<number> | undefined;
  const total = () => (counted ??= count());
  return {
    edges,
    nodes: pageRows,
    pageInfo: {
      hasNextPage: page.backward ? page.cursor !== null : hasMore,
      hasPreviousPage: page.backward ? hasMore : page.cursor !== null,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
    totalCount: async () => Math.min(await total(), COUNT_CAP),
    totalCountIsCapped: async () => (await total()) > COUNT_CAP,
  };
}
