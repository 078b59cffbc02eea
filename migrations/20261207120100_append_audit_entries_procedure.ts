import { type Kysely, sql } from 'kysely';
import { isMysql } from './support/ddl.ts';

/**
 * MySQL/MariaDB: `append_audit_entries(entries)` appends a batch of audit entries to the hash chain in one
 * statement from the API (a request's disclosures: a token reading a page of 100 students writes 100). Each
 * entry comes as JSON with its columns and `encoding`, the canonical encoding after its sequence number
 * (audit-chain.ts `encodingAfterSeq`); the procedure locks the chain head, hashes each entry onto the one
 * before it exactly as `chainHash` does (SHA-256 over the previous hash, a newline and `[seq` + encoding),
 * inserts it, advances the head and commits. The head is held for the server's own work, never across a round
 * trip. A column left out of an entry's JSON is NULL (json_extract finds no such key), so the API leaves nulls
 * out: JSON_VALUE would have cut longer values at 512 characters on MySQL. It starts and ends its own transaction, so it must be called outside one (an open transaction would be
 * committed by its START TRANSACTION). SQLite needs no procedure: it has one writer at a time.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return;
  await sql`drop procedure if exists append_audit_entries`.execute(db);
  await sql`create procedure append_audit_entries(in entries longtext)
    modifies sql data
    begin
      declare total int default json_length(entries);
      declare i int default 0;
      declare next_seq bigint unsigned default null;
      declare next_hash char(64) default null;
      declare entry longtext;
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
      while i < total do
        set entry = json_extract(entries, concat('$[', i, ']'));
        set next_seq = next_seq + 1;
        set next_hash = sha2(
          concat(next_hash, char(10), '[', next_seq, json_unquote(json_extract(entry, '$.encoding'))),
          256
        );
        insert into audit_log (seq, hash, occurred_at, school_id, actor_type, user_id, api_token_id, action,
          request_id, ip, entity_type, entity_id, student_id, details)
        values (
          next_seq,
          next_hash,
          json_unquote(json_extract(entry, '$.occurred_at')),
          json_unquote(json_extract(entry, '$.school_id')),
          json_unquote(json_extract(entry, '$.actor_type')),
          json_unquote(json_extract(entry, '$.user_id')),
          json_unquote(json_extract(entry, '$.api_token_id')),
          json_unquote(json_extract(entry, '$.action')),
          json_unquote(json_extract(entry, '$.request_id')),
          json_unquote(json_extract(entry, '$.ip')),
          json_unquote(json_extract(entry, '$.entity_type')),
          json_unquote(json_extract(entry, '$.entity_id')),
          json_unquote(json_extract(entry, '$.student_id')),
          json_unquote(json_extract(entry, '$.details'))
        );
        set i = i + 1;
      end while;
      update audit_chain_head set seq = next_seq, hash = next_hash where id = 1;
      commit;
    end`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isMysql(db)) await sql`drop procedure if exists append_audit_entries`.execute(db);
}
