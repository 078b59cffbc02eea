/**
 * The replication lab (issue #9, item 2): a primary and a replica MariaDB of their own, replicating by binlog
 * and GTID. A write on the primary reaches the replica; a replica stopped and started again catches up by
 * itself. (The API's reads from replicas are tested on this lab as they are built.)
 */
import type { Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReplicationLab, startReplicationLab } from '../../testing/replication-lab.ts';

describe('the replication lab', () => {
  let lab: ReplicationLab;
  let primary: Connection;
  beforeAll(async () => {
    lab = await startReplicationLab();
    primary = await lab.primary.connect();
    await primary.query(`CREATE DATABASE lab_check; CREATE TABLE lab_check.notes (id INT PRIMARY KEY, body TEXT)`);
  }, 120_000);
  afterAll(async () => {
    await primary?.end();
    await lab?.close();
  });

  const onReplica = async (id: number) => {
    const replica = await lab.replica.connect();
    try {
      const [rows] = await replica.query('SELECT body FROM lab_check.notes WHERE id = ?', [id]);
      return rows as { body: string }[];
    } finally {
      await replica.end();
    }
  };

  it('replicates a write on the primary to the replica', async () => {
    await primary.query('INSERT INTO lab_check.notes VALUES (1, ?)', ['written on the primary']);
    const started = performance.now();
    await lab.waitForReplica();
    console.info(`replicated in ${(performance.now() - started).toFixed(1)} ms`);
    expect(await onReplica(1)).toEqual([{ body: 'written on the primary' }]);
  });

  it('brings a stopped replica back, and it catches up with what it missed', async () => {
    await lab.stopReplica();
    await expect(lab.replica.connect()).rejects.toThrow();
    await primary.query('INSERT INTO lab_check.notes VALUES (2, ?)', ['written while the replica was down']);
    await lab.startReplica();
    await lab.waitForReplica();
    expect(await onReplica(2)).toEqual([{ body: 'written while the replica was down' }]);
  });
});
