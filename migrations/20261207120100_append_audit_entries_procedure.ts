import { type Kysely, sql } from 'kysely';
import { isMysql } from './support/ddl.ts';

/**
 * MySQL/MariaDB: `append_audit_entries(entries)` appends a batch of audit entries to the hash chain in one
 * statement from the API (a request's disclosures: a token reading a page of 100 students writes 100). Each
 * entry comes as JSON with its columns and `encoding`, the canonical encoding after its sequence number
 * (audit-chain.ts `encodingAfterSeq`); the procedure locks the chain head, hashes each entry onto the one
 * before it exactly as `chainHash` does (SHA-256 over the previous hash, a newline and `[seq` + encoding),
 * inserts it, advances the head and commits. The head is held for the server's own work, never across a round
 * trip. The batch is read as a table (JSON_TABLE: MySQL 8.0.4+, MariaDB 10.6+), parsed once; a column left out
 * of an entry's JSON is NULL, so the API leaves nulls out. It starts and ends its own transaction, so it must be
 * called outside one (an open transaction would be committed by its START TRANSACTION). SQLite needs no
 * procedure: it has one writer at a time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return;
  await sql`drop procedure if exists append_audit_entries`.execute(db);
  await sql`create procedure append_audit_entries(in entries longtext)
    modifies sql data
    begin
      declare next_seq bigint unsigned default null;
      declare next_hash char(64) default null;
      declare done int default 0;
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
      -- The batch is parsed once, here: reading each entry out of the text in the loop parsed it all again for each.
      declare batch cursor for
        select occurred_at, school_id, actor_type, user_id, api_token_id, action, request_id, ip, entity_type,
          entity_id, student_id, details, encoding
        from json_table(entries, '$[*]' columns (
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
        )) as entry;
      declare continue handler for not found set done = 1;
      declare exit handler for sqlexception
      begin
        rollback;
        resignal;
      end;
      start transaction;
      select seq, hash into next_seq, next_hash from audit_chain_head where id = 1 for update;
      if next_seq is null then
        signal sqlstate '45000' set message_text = 'The audit chain head is missing: nothing was recorded.';
      end if;
      open batch;
      entries: loop
        fetch batch into e_occurred_at, e_school_id, e_actor_type, e_user_id, e_api_token_id, e_action, e_request_id,
          e_ip, e_entity_type, e_entity_id, e_student_id, e_details, e_encoding;
        if done then
          leave entries;
        end if;
        set next_seq = next_seq + 1;
        set next_hash = sha2(concat(next_hash, char(10), '[', next_seq, e_encoding), 256);
        insert into audit_log (seq, hash, occurred_at, school_id, actor_type, user_id, api_token_id, action,
          request_id, ip, entity_type, entity_id, student_id, details)
        values (next_seq, next_hash, e_occurred_at, e_school_id, e_actor_type, e_user_id, e_api_token_id, e_action,
          e_request_id, e_ip, e_entity_type, e_entity_id, e_student_id, e_details);
      end loop;
      close batch;
      update audit_chain_head set seq = next_seq, hash = next_hash where id = 1;
      commit;
    end`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isMysql(db)) await sql`drop procedure if exists append_audit_entries`.execute(db);
}
