/**
 * Which chain an entry is on, and how to read one chain. The log is one hash chain per school (the chain is the
 * school's id) and one for the district's own entries (school_id null, chain 0), so writes in different schools
 * never wait on each other and a school's chain lives with its entries when the log is sharded by school.
 *
 * The entries written before there were per-school chains stay what they were: one chain, the legacy chain
 * (-1), linked by `seq` from its anchor to its head, which no longer moves. Every other chain is linked by
 * `chain_seq` and starts from the legacy head's hash (migration 20261216090000_audit_chain_per_school.ts).
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import { districtWide } from '../../school-scope.ts';

export const LEGACY_CHAIN = -1;
export const DISTRICT_CHAIN = 0;

export function chainOf(schoolId: number | null): number {
  return schoolId ?? DISTRICT_CHAIN;
}

/** The chain's name inside a sentence; `atStart` for the start of one. */
export function describeChain(chain: number, atStart = false): string {
  const name =
    chain === LEGACY_CHAIN
      ? 'the legacy chain (entries before per-school chains)'
      : chain === DISTRICT_CHAIN
        ? "the district's chain"
        : `school ${chain}'s chain`;
  return atStart ? name.charAt(0).toUpperCase() + name.slice(1) : name;
}

/** The column that orders a chain and that its hashes cover. */
export function positionColumn(chain: number): 'seq' | 'chain_seq' {
  return chain === LEGACY_CHAIN ? 'seq' : 'chain_seq';
}

/**
 * A where-clause for one chain's entries. A school's chain names its school, as every statement on a school's
 * table must, and the district's names `school_id is null`; the legacy chain spans the district.
 */
export function onChain(chain: number): RawBuilder<SqlBool> {
  if (chain === LEGACY_CHAIN) return sql<SqlBool>`${districtWide('audit-chain')} and chain_seq is null`;
  if (chain === DISTRICT_CHAIN) return sql<SqlBool>`school_id is null and chain_seq is not null`;
  return sql<SqlBool>`school_id = ${chain} and chain_seq is not null`;
}
