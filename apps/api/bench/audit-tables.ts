/** What the audit benchmarks' hand-written SQL needs to know about the live log and its archive. */
import { TABLE_COLUMNS } from '@pastoral/db';
import type { Connection, ResultSetHeader, RowDataPacket } from 'mysql2';

/** An entry's columns, the same in audit_log and audit_log_archive (which adds archived_at). */
export const ENTRY_COLUMNS = TABLE_COLUMNS.audit_log.join(', ');

export async function countRows(connection: Connection, table: 'audit_log' | 'audit_log_archive'): Promise<number> {
  const [rows] = await connection
    .promise()
    .query<(RowDataPacket & { n: number })[]>(`select count(*) as n from ${table}`);
  return Number(rows[0]?.n ?? 0);
}

/**
 * Puts every archived entry back in the live log, ids and hashes unchanged, in one transaction: the state right
 * after the seed, so archival has its full work to do again. Returns how many entries moved.
 */
export async function moveArchivedEntriesBack(connection: Connection): Promise<number> {
  const promised = connection.promise();
  await promised.beginTransaction();
  try {
    const [inserted] = await promised.query<ResultSetHeader>(
      `insert into audit_log (${ENTRY_COLUMNS}) select ${ENTRY_COLUMNS} from audit_log_archive`,
    );
    await promised.query('delete from audit_log_archive');
    await promised.commit();
    return inserted.affectedRows;
  } catch (error) {
    await promised.rollback();
    throw error;
  }
}
