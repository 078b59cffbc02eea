import { type Kysely, sql } from 'kysely';
import { up as createSingleChainProcedure } from './20261207120100_append_audit_entries_procedure.ts';
import { isMysql } from './support/ddl.ts';

/**
 * MySQL/MariaDB: `append_audit_entries(entries)` again, now appending each entry to its own school's chain
 * (20261216090000_audit_chain_per_school.ts) instead of locking the district's one head.
 *
 * As before, each entry comes as JSON with its columns and `encoding` (audit-chain.ts `encodingAfterSeq`), and
 * each is hashed onto the one before it in its chain as `chainHash` does: SHA-256 over the previous hash, a
 * newline and `[chain_seq` + encoding. The batch is read sorted by chain (0 for the district's entries, else
 * the school's id), so the heads of a batch spanning several chains are locked in ascending order, the order
 * the API's single appends cannot contradict (they lock one head each): two batches never deadlock. A chain's
 * head is created on its first entry, from the legacy head's hash; `insert … on duplicate key update` takes the
 * head's exclusive lock at once, where a shared lock upgraded later could deadlock with another writer. `seq`,
 * the district-wide order, comes from the sequence `audit_log_seq`, which locks nothing until commit.
 *
 * It starts and ends its own transaction, so it must be called outside one.
 */
const PROCEDURE = sql`create procedure append_audit_entries(in entries longtext)
    modifies sql data
    begin
      declare current_chain int default null;
      declare next_seq bigint unsigned default null;
      declare next_hash char(64) default null;
      declare done int default 0;
      declare e_chain int;
      declare e_occurred_at varchar(32);
      declare e_school_id int unsigned;
      declare e_actor_type varchar(16);
      declare e_user_id int unsigned;
      declare e_api_token_id int unsigned;
      declare e_action varchar(64);
      declare e_request_id varchar(64);
      declare e_ip varchar(45);
      declare e_entity_type varchar(40);
      declare e_entity_id int unsigned;
      declare e_student_id int unsigned;
      declare e_details longtext;
      declare e_encoding longtext;
      declare batch cursor for
        select coalesce(school_id, 0) as chain, occurred_at, school_id, actor_type, user_id, api_token_id, action,
          request_id, ip, entity_type, entity_id, student_id, details, encoding
        from json_table(entries, '$[*]' columns (
          position for ordinality,
          occurred_at varchar(32) path '$.occurred_at',
          school_id int unsigned path '$.school_id',
          actor_type varchar(16) path '$.actor_type',
          user_id int unsigned path '$.user_id',
          api_token_id int unsigned path '$.api_token_id',
          action varchar(64) path '$.action',
          request_id varchar(64) path '$.request_id',
          ip varchar(45) path '$.ip',
          entity_type varchar(40) path '$.entity_type',
          entity_id int unsigned path '$.entity_id',
          student_id int unsigned path '$.student_id',
          details longtext path '$.details',
          encoding longtext path '$.encoding'
        )) as entry
        order by chain, position;
      declare continue handler for not found set done = 1;
      declare exit handler for sqlexception
      begin
        rollback;
        resignal;
      end;
      start transaction;
      open batch;
      entries: loop
        fetch batch into e_chain, e_occurred_at, e_school_id, e_actor_type, e_user_id, e_api_token_id, e_action,
          e_request_id, e_ip, e_entity_type, e_entity_id, e_student_id, e_details, e_encoding;
        if done then
          leave entries;
        end if;
        if current_chain is null or e_chain <> current_chain then
          if current_chain is not null then
            update audit_chain_head set seq = next_seq, hash = next_hash where id = current_chain;
          end if;
          insert into audit_chain_head (id, seq, hash)
            select e_chain, 0, legacy.hash from audit_chain_head as legacy where legacy.id = -1
            on duplicate key update seq = audit_chain_head.seq;
          set next_seq = null;
          select seq, hash into next_seq, next_hash from audit_chain_head where id = e_chain for update;
          if next_seq is null then
            signal sqlstate '45000' set message_text = 'The audit chain head is missing: nothing was recorded.';
          end if;
          set current_chain = e_chain;
        end if;
        set next_seq = next_seq + 1;
        set next_hash = sha2(concat(next_hash, char(10), '[', next_seq, e_encoding), 256);
        insert into audit_log (seq, chain_seq, hash, occurred_at, school_id, actor_type, user_id, api_token_id, action,
          request_id, ip, entity_type, entity_id, student_id, details)
        values (nextval(audit_log_seq), next_seq, next_hash, e_occurred_at, e_school_id, e_actor_type, e_user_id,
          e_api_token_id, e_action, e_request_id, e_ip, e_entity_type, e_entity_id, e_student_id, e_details);
      end loop;
      close batch;
      if current_chain is not null then
        update audit_chain_head set seq = next_seq, hash = next_hash where id = current_chain;
      end if;
      commit;
    end`;

export async function up(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return;
  await sql`drop procedure if exists append_audit_entries`.execute(db);
  await PROCEDURE.execute(db);
}

/** Back to the single chain's procedure, which the earlier migration created (it drops this one first). */
export async function down(db: Kysely<any>): Promise<void> {
  await createSingleChainProcedure(db);
}
