import { type Kysely, sql } from 'kysely';
import { isMysql } from './support/ddl.ts';

/**
 * MySQL/MariaDB: `append_audit_entry(...)`, one entry appended to its chain in one statement, inside the caller's
 * transaction (it starts and commits none).
 *
 * A single append used to be two statements from the client: the head advanced (which locks the chain's head row)
 * and then the entry inserted from it, so the lock was held across two round trips before the COMMIT. Under load
 * (argon2id sign-ins oversubscribing the CPU) each round trip waits to be scheduled, and every audited write of
 * the school queued behind the lock: 904 statements over 500 ms in the load test's sign-in ramp. Called as the
 * last statement of a transaction, this holds the lock for the rest of one server-side call and the commit.
 *
 * Same arithmetic as before: the head is created on the chain's first entry, hashed onto the legacy head (-1),
 * or advanced (`on duplicate key update` takes its exclusive lock at once; the assignments run left to right, so
 * the hash reads the old seq); the hash is SHA-256 over the previous hash, a newline and `[chain_seq` + encoding
 * (audit-chain.ts `chainHash`). No legacy head, no row changed: nothing is written and the call fails.
 */
const PROCEDURE = sql`create procedure append_audit_entry(
      in e_chain int,
      in e_encoding longtext,
      in e_occurred_at varchar(32),
      in e_school_id int unsigned,
      in e_actor_type varchar(16),
      in e_user_id int unsigned,
      in e_api_token_id int unsigned,
      in e_action varchar(64),
      in e_request_id varchar(64),
      in e_ip varchar(45),
      in e_entity_type varchar(40),
      in e_entity_id int unsigned,
      in e_student_id int unsigned,
      in e_details longtext)
    modifies sql data
    begin
      insert into audit_chain_head (id, seq, hash)
        select e_chain, 1, sha2(concat(legacy.hash, char(10), '[1', e_encoding), 256)
        from audit_chain_head as legacy where legacy.id = -1
        on duplicate key update
          hash = sha2(concat(audit_chain_head.hash, char(10), '[', audit_chain_head.seq + 1, e_encoding), 256),
          seq = audit_chain_head.seq + 1;
      if row_count() = 0 then
        signal sqlstate '45000' set message_text = 'The audit chain head is missing: nothing was recorded.';
      end if;
      insert into audit_log (seq, chain_seq, hash, occurred_at, school_id, actor_type, user_id, api_token_id, action,
        request_id, ip, entity_type, entity_id, student_id, details)
      select nextval(audit_log_seq), head.seq, head.hash, e_occurred_at, e_school_id, e_actor_type, e_user_id,
        e_api_token_id, e_action, e_request_id, e_ip, e_entity_type, e_entity_id, e_student_id, e_details
      from audit_chain_head as head where head.id = e_chain;
    end`;

export async function up(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return;
  await sql`drop procedure if exists append_audit_entry`.execute(db);
  await PROCEDURE.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  if (!isMysql(db)) return;
  await sql`drop procedure if exists append_audit_entry`.execute(db);
}
