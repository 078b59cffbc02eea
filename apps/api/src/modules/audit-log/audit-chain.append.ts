/**
 * Appending entries to their chains: one hash chain per school and one for the district's own entries
 * (audit-chains.ts), so a write locks only its own chain's head and writes in different schools never wait on
 * each other. Before, every audited write in the district queued on one head row (1,199 statements over
 * 500 ms in the load test).
 */
import type { Database } from '@pastoral/db';
import { type Kysely, type Transaction, sql } from 'kysely';
import { districtWide } from '../../school-scope.ts';
import { type ChainedFields, chainHash, encodingAfterSeq } from './audit-chain.ts';
import { chainOf, LEGACY_CHAIN } from './audit-chains.ts';

/** An entry's columns but its places (seq, chain_seq) and hash. */
export type UnchainedFields = Omit<ChainedFields, 'seq'>;

const AUDIT_FIELD_NAMES = [
  'occurred_at',
  'school_id',
  'actor_type',
  'user_id',
  'api_token_id',
  'action',
  'request_id',
  'ip',
  'entity_type',
  'entity_id',
  'student_id',
  'details',
] as const satisfies readonly (keyof UnchainedFields)[];

/** No head, no entry: fail the whole transaction rather than commit a change the log does not record. */
function headMissing(): Error {
  return new Error('The audit chain head is missing: nothing was recorded.');
}

/**
 * MySQL: one CALL of the stored procedure `append_audit_entry` (see its migration) advances the chain's head and
 * inserts the entry from it, the database finishing the hash itself exactly as chainHash does. The head's row lock
 * is taken inside that call and held until the commit, so a caller that appends last holds it for no client round
 * trip but the COMMIT's. It used to be two statements, the lock held across both round trips: under a CPU crowded
 * by sign-ins, each waited to be scheduled and every audited write of the school queued behind it (904
 * statements over 500 ms in the load test's sign-in ramp).
 */
export async function appendHoldingChainHeadBriefly(trx: Transaction<Database>, fields: UnchainedFields) {
  const values = AUDIT_FIELD_NAMES.map((name) => fields[name]);
  await sql`call append_audit_entry(${chainOf(fields.school_id)}, ${encodingAfterSeq(fields)}, ${sql.join(values)})`.execute(
    trx,
  );
}

/**
 * SQLite: one writer at a time, so the heads are read, each entry hashed here onto the one before it in its
 * chain, and the heads advanced, all within the write lock. Four statements, however many chains the batch
 * spans. `seq` follows the last number anywhere: nobody else can take it while the write lock is held.
 */
export async function appendUnderWriteLock(trx: Transaction<Database>, unsorted: UnchainedFields[]) {
  // Numbered chain by chain, as the stored procedure does, so that both engines order a batch alike.
  const batch = inChainOrder(unsorted);
  const chains = [...new Set(batch.map((fields) => chainOf(fields.school_id)))].sort((a, b) => a - b);
  // Writing first takes the database's write lock, so no other writer can read the same heads. A chain's first
  // entry finds its head created here from the legacy head's hash, the genesis of every chain.
  await sql`insert into audit_chain_head (id, seq, hash)
    select chain.id, 0, legacy.hash
    from (${sql.join(
      chains.map((chain) => sql`select ${chain} as id`),
      sql` union all `,
    )}) as chain
    join audit_chain_head as legacy on legacy.id = ${LEGACY_CHAIN}
    where true
    on conflict (id) do nothing`.execute(trx);
  const heads = await trx
    .selectFrom('audit_chain_head')
    .select([
      'id',
      'seq',
      'hash',
      // The district-wide order: after the last entry anywhere, archived or purged to the legacy head included.
      sql<number>`(select max(last) from (
        select max(seq) as last from audit_log where ${districtWide('audit-chain')}
        union all select max(seq) from audit_log_archive where ${districtWide('audit-chain')}
        union all select seq from audit_chain_head where id = ${LEGACY_CHAIN}))`.as('last_seq'),
    ])
    .where('id', 'in', chains)
    .execute();
  const headOf = new Map(heads.map((head) => [Number(head.id), { seq: Number(head.seq), hash: head.hash }]));
  let lastSeq = Number(heads[0]?.last_seq ?? 0);
  const rows = batch.map((fields) => {
    const head = headOf.get(chainOf(fields.school_id));
    if (head === undefined) throw headMissing();
    head.seq += 1;
    head.hash = chainHash(head.hash, { seq: head.seq, ...fields });
    lastSeq += 1;
    return { seq: lastSeq, chain_seq: head.seq, hash: head.hash, ...fields };
  });
  await trx.insertInto('audit_log').values(rows).execute();
  await trx
    .insertInto('audit_chain_head')
    .values([...headOf].map(([id, head]) => ({ id, ...head })))
    .onConflict((oc) =>
      oc.column('id').doUpdateSet((eb) => ({ seq: eb.ref('excluded.seq'), hash: eb.ref('excluded.hash') })),
    )
    .execute();
}

/** A batch's entries sorted by chain, each chain's in the order given (sort is stable). */
function inChainOrder(batch: UnchainedFields[]): UnchainedFields[] {
  return [...batch].sort((a, b) => chainOf(a.school_id) - chainOf(b.school_id));
}

/** MySQL: one call of the stored procedure appends a batch, each entry to its chain (see its migration). */
export async function appendBatchInProcedure(db: Kysely<Database>, batch: UnchainedFields[]) {
  // A column left out is NULL to the procedure: nulls are left out (see the migration).
  const entries = batch.map((fields) =>
    Object.fromEntries(
      Object.entries({ ...fields, encoding: encodingAfterSeq(fields) }).filter(([, value]) => value !== null),
    ),
  );
  await sql`call append_audit_entries(${JSON.stringify(entries)})`.execute(db);
}
