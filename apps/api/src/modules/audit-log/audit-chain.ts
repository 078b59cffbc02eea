/**
 * The audit log's hash chain. Each entry's hash is SHA-256 over the previous entry's hash and a canonical
 * encoding of the entry, so editing, deleting, inserting or reordering an entry breaks every hash after it.
 *
 * The encoding is a JSON array of the entry's fields in a fixed order: stable across engines, key order and
 * JSON libraries. Changing it invalidates every existing chain: add a versioned encoding instead.
 */
import { createHash } from 'node:crypto';
import type { AuditLogTable } from '@pastoral/db';
import type { Selectable } from 'kysely';

export const GENESIS_HASH = '0'.repeat(64);

/**
 * The fields the hash covers: everything but the row id (which archival keeps), the hash itself and the
 * district-wide order, with `seq` the entry's position in its chain: `chain_seq`, or `seq` on the legacy chain
 * (audit-chains.ts). The chain itself is covered by school_id.
 */
export type ChainedFields = Omit<Selectable<AuditLogTable>, 'id' | 'hash' | 'chain_seq'>;

export function canonicalEncoding(entry: ChainedFields): string {
  return `[${entry.seq}${encodingAfterSeq(entry)}`;
}

/**
 * The canonical encoding from just after the sequence number (a comma, the other fields, the closing bracket):
 * what a writer can encode before it knows its place in the chain, so that the database can finish the hash
 * while it holds the chain head (see appendAuditEntry).
 */
export function encodingAfterSeq(entry: Omit<ChainedFields, 'seq'>): string {
  const rest = JSON.stringify([
    entry.occurred_at,
    entry.school_id,
    entry.actor_type,
    entry.user_id,
    entry.api_token_id,
    entry.action,
    entry.entity_type,
    entry.entity_id,
    entry.student_id,
    entry.request_id,
    entry.ip,
    entry.details,
  ]);
  return `,${rest.slice(1)}`;
}

export function chainHash(previousHash: string, entry: ChainedFields): string {
  return createHash('sha256').update(previousHash).update('\n').update(canonicalEncoding(entry)).digest('hex');
}

export interface StoredChainEntry extends ChainedFields {
  hash: string;
}

/**
 * Walks one chain's entries in position order from a known previous hash. Returns the position of the first entry
 * whose number or hash does not follow (an edit, deletion, insertion or swap), or null when all verify.
 */
export function firstBrokenLink(
  entries: Iterable<StoredChainEntry>,
  previous = { seq: 0, hash: GENESIS_HASH },
): number | null {
  let { seq, hash } = previous;
  for (const entry of entries) {
    if (entry.seq !== seq + 1) return seq + 1;
    const expected = chainHash(hash, entry);
    if (entry.hash !== expected) return entry.seq;
    seq = entry.seq;
    hash = expected;
  }
  return null;
}
