/**
 * `pnpm lab:replication`: starts a replication lab (a primary and a replica MariaDB in temporary directories),
 * prints their DATABASE_URLs, and stops and removes both on Ctrl-C.
 */
import { startReplicationLab } from './replication-lab.ts';

const lab = await startReplicationLab();
const primary = await lab.primary.connect();
await primary.query('CREATE DATABASE IF NOT EXISTS pastoral CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci');
await primary.end();
await lab.waitForReplica();
console.log(`primary: DATABASE_URL=${lab.primary.url('pastoral')}`);
console.log(`replica: ${lab.replica.url('pastoral')}`);
console.log('Ctrl-C stops both and removes their data.');
const stop = async () => {
  await lab.close();
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
