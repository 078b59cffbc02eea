/**
 * A replication lab on one machine: a primary and a replica MariaDB, started from the system's own binaries
 * (Debian's mariadb-server) in temporary data directories on spare ports, with real binlog replication by GTID,
 * and stopped afterwards. Tests of read replicas run against it; `pnpm lab:replication` starts one by hand.
 *
 * Each server runs as its own process with no configuration file of the system's (--no-defaults), so the lab
 * neither reads nor disturbs the MariaDB the machine already runs.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createConnection, type Connection } from 'mysql2/promise';
import { freePort } from './free-port.ts';

const run = promisify(execFile);

/** Accounts the lab creates: one for the API (every privilege, from anywhere), one for the replica to read with. */
const LAB_USER = 'pastoral';
const LAB_PASSWORD = 'pastoral-lab';
const REPLICATION_USER = 'replicator';
const REPLICATION_PASSWORD = 'replicator-lab';

export interface LabServer {
  port: number;
  /** A DATABASE_URL for `database` on this server, as the lab's API user. */
  url(database: string): string;
  /** A connection as the lab's user, for the test's own looks (replication status, counters). */
  connect(): Promise<Connection>;
}

export interface ReplicationLab {
  primary: LabServer;
  replica: LabServer;
  /** Stops the replica's server, as a crash or maintenance would; its data stays. */
  stopReplica(): Promise<void>;
  /** Starts the replica's server again on the same port and data: it resumes replication where it stopped. */
  startReplica(): Promise<void>;
  /** Resolves once the replica has applied everything the primary had written when it was called. */
  waitForReplica(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

interface ServerProcess {
  directory: string;
  port: number;
  serverId: number;
  process: ChildProcess | null;
}

function labServer(port: number): LabServer {
  return {
    port,
    url: (database) => `mysql://${LAB_USER}:${LAB_PASSWORD}@127.0.0.1:${port}/${database}`,
    connect: () =>
      createConnection({ host: '127.0.0.1', port, user: LAB_USER, password: LAB_PASSWORD, multipleStatements: true }),
  };
}

async function initialise(directory: string): Promise<void> {
  await run('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${directory}`,
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
    '--user=root',
  ]);
}

async function start(server: ServerProcess): Promise<void> {
  const socket = join(server.directory, 'mysqld.sock');
  const child = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${server.directory}`,
      `--port=${server.port}`,
      '--bind-address=127.0.0.1',
      `--socket=${socket}`,
      `--pid-file=${join(server.directory, 'mysqld.pid')}`,
      '--user=root',
      `--server-id=${server.serverId}`,
      '--log-bin=binlog',
      '--binlog-format=ROW',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_520_ci',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=48M',
      '--skip-name-resolve',
      '--local-infile=1',
      // A replica started again resumes replication by itself, from the position it kept.
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  server.process = child;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`mariadbd on port ${server.port} exited:\n${log}`);
    try {
      await run('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '--user=root', 'ping']);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`mariadbd on port ${server.port} did not answer in 30 s:\n${log}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function stop(server: ServerProcess): Promise<void> {
  const child = server.process;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(killer);
  server.process = null;
}

/** Runs SQL as root over the server's socket (root authenticates by the socket's user only). */
async function asRoot(server: ServerProcess, statements: string): Promise<string> {
  const { stdout } = await run('mariadb', [
    '--no-defaults',
    `--socket=${join(server.directory, 'mysqld.sock')}`,
    '--user=root',
    '--batch',
    '--skip-column-names',
    '-e',
    statements,
  ]);
  return stdout;
}

export async function startReplicationLab(): Promise<ReplicationLab> {
  const root = await mkdtemp(join(tmpdir(), 'pastoral-replication-lab-'));
  const primary: ServerProcess = {
    directory: join(root, 'primary'),
    port: await freePort(),
    serverId: 1,
    process: null,
  };
  const replica: ServerProcess = {
    directory: join(root, 'replica'),
    port: await freePort(),
    serverId: 2,
    process: null,
  };
  try {
    // One after the other: two bootstraps at once collide on their temporary tables' names in /tmp.
    await initialise(primary.directory);
    await initialise(replica.directory);
    await Promise.all([start(primary), start(replica)]);
    const users = `
      CREATE USER '${LAB_USER}'@'%' IDENTIFIED BY '${LAB_PASSWORD}';
      GRANT ALL PRIVILEGES ON *.* TO '${LAB_USER}'@'%' WITH GRANT OPTION;`;
    // The API's user exists on both; created on each before replication starts, it is not replicated twice.
    await asRoot(replica, `SET sql_log_bin = 0; ${users}`);
    await asRoot(
      primary,
      `SET sql_log_bin = 0; ${users}
       CREATE USER '${REPLICATION_USER}'@'%' IDENTIFIED BY '${REPLICATION_PASSWORD}';
       GRANT REPLICATION SLAVE ON *.* TO '${REPLICATION_USER}'@'%';`,
    );
    await asRoot(
      replica,
      `CHANGE MASTER TO MASTER_HOST = '127.0.0.1', MASTER_PORT = ${primary.port},
         MASTER_USER = '${REPLICATION_USER}', MASTER_PASSWORD = '${REPLICATION_PASSWORD}',
         MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1;
       START SLAVE;`,
    );
  } catch (error) {
    await Promise.all([stop(primary), stop(replica)]);
    await rm(root, { recursive: true, force: true });
    throw error;
  }

  const lab: ReplicationLab = {
    primary: labServer(primary.port),
    replica: labServer(replica.port),
    stopReplica: () => stop(replica),
    startReplica: () => start(replica),
    async waitForReplica(timeoutMs = 10_000) {
      const position = (await asRoot(primary, 'SELECT @@gtid_binlog_pos')).trim();
      if (!position) return;
      const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
      const waited = await asRoot(replica, `SELECT MASTER_GTID_WAIT('${position}', ${seconds})`);
      if (waited.trim() !== '0') {
        const status = await asRoot(replica, 'SHOW SLAVE STATUS\\G');
        throw new Error(`the replica did not reach ${position} in ${seconds} s:\n${status}`);
      }
    },
    async close() {
      await Promise.all([stop(primary), stop(replica)]);
      await rm(root, { recursive: true, force: true });
    },
  };
  await lab.waitForReplica();
  return lab;
}
