/**
 * The audit log's fire drill on the district seed (issue #6's "done when"): an archival killed midway with
 * SIGKILL and run again must end with exactly the entries it started with; `audit verify` must pass, then
 * report a hand-made edit, deletion and swap, each by its sequence number. Runs the real CLI as a process.
 *
 * Usage: pnpm bench:drill [database-url]   (default: the pastoral_bench database `pnpm bench` leaves)
 * Writes bench/audit-drill.md. The database's archive is first moved back into the live log, so the drill
 * has the full archival to do; it leaves the entries archived, as a nightly run would.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { RowDataPacket } from 'mysql2';
import { ENTRY_COLUMNS, countRows, moveArchivedEntriesBack } from './audit-tables.ts';
import { openRawConnection } from './measure.ts';

const url = process.argv[2] ?? 'mysql://root@127.0.0.1:3306/pastoral_bench';
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const RESULTS = new URL('../../../bench/audit-drill.md', import.meta.url);
const run = promisify(execFile);

const raw = openRawConnection(url);
const connection = raw.promise();
const query = async <Row>(text: string, values: unknown[] = []) =>
  (await connection.query<RowDataPacket[]>(text, values))[0] as (Row & RowDataPacket)[];
const lines: string[] = [];
const report = (line: string) => {
  lines.push(line);
  process.stdout.write(`${line}\n`);
};

/** Count, id sum and an order-free digest of every entry's id, sequence and hash, live and archived together. */
async function fingerprint() {
  const [row] = await query<{ entries: number; distinct_ids: number; digest: string }>(
    `select count(*) as entries, count(distinct id) as distinct_ids,
       cast(sum(crc32(concat(id, ':', seq, ':', hash))) as char) as digest
     from (select id, seq, hash from audit_log union all select id, seq, hash from audit_log_archive) both_tables`,
  );
  return { entries: Number(row!.entries), distinctIds: Number(row!.distinct_ids), digest: row!.digest };
}

const count = (table: 'audit_log' | 'audit_log_archive') => countRows(raw, table);

const CLI_ENV = { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'error' };

async function pastoral(args: string[]) {
  const started = performance.now();
  try {
    const { stdout } = await run(TSX, [CLI, ...args], { env: CLI_ENV, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout: stdout.trim(), ms: performance.now() - started };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: `${failed.stdout}${failed.stderr}`.trim(), ms: performance.now() - started };
  }
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function expectVerify(expected: 'ok' | number, what: string) {
  const verify = await pastoral(['audit', 'verify']);
  const brokenAt = /broken at entry ([\d,]+)/.exec(verify.stdout)?.[1]?.replaceAll(',', '');
  const passed = expected === 'ok' ? verify.code === 0 : verify.code === 1 && Number(brokenAt) === expected;
  // The summary and the broken chain's line: one line per chain would not fit the table.
  const lines = verify.stdout.split('\n').map((line) => line.trim());
  const shown = lines.filter((line, index) => index === 0 || line.includes('broken at')).join(' ');
  report(`| ${what} | ${shown} (exit ${verify.code}, ${seconds(verify.ms)}) | ${passed ? 'as expected' : 'WRONG'} |`);
  if (!passed) process.exitCode = 1;
}

try {
  // Back to the state right after the seed, so that archival has its whole work to do.
  const restored = await moveArchivedEntriesBack(raw);
  const before = await fingerprint();
  report('# The audit log fire drill');
  report('');
  report(
    `Run ${new Date().toISOString().slice(0, 10)} against ${url.replace(/\/\/[^@]*@/, '//')}: ${before.entries.toLocaleString('en-GB')} entries (${restored.toLocaleString('en-GB')} moved back from the archive first).`,
  );
  report('');

  // Killed once a good share has moved: SIGKILL, no chance to clean up.
  // Node itself with tsx's loader, not the tsx wrapper: SIGKILL to the wrapper would leave its child archiving.
  const killedRun: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'audit', 'archive', '--older-than', '90d'],
    {
      env: CLI_ENV,
      cwd: REPO_ROOT,
      stdio: 'ignore',
    },
  );
  const killedAt = performance.now();
  // Every 2 s: each count is a full scan of the archive's index, and counting every 200 ms slowed the very
  // archival it watched (334 s for 200,000 entries).
  while ((await count('audit_log_archive')) < 200_000) await sleep(2_000);
  killedRun.kill('SIGKILL');
  await new Promise((resolve) => killedRun.once('exit', resolve));
  const movedBeforeKill = await count('audit_log_archive');
  const afterKill = await fingerprint();
  // The killed run's lease holds until it runs out (it can no longer renew it): the rerun is refused till then.
  const rerunStarted = performance.now();
  let refusals = 0;
  let rerun = await pastoral(['audit', 'archive', '--older-than', '90d']);
  while (rerun.code === 1 && rerun.stdout.includes('Another process is archiving')) {
    refusals++;
    await sleep(10_000);
    rerun = await pastoral(['audit', 'archive', '--older-than', '90d']);
  }
  const leaseWaitMs = performance.now() - rerunStarted - rerun.ms;
  const after = await fingerprint();
  const same = JSON.stringify(before) === JSON.stringify(after) && JSON.stringify(before) === JSON.stringify(afterKill);
  if (!same || after.distinctIds !== after.entries) process.exitCode = 1;

  report('| step | result | |');
  report('| --- | --- | --- |');
  report(
    `| archive, killed with SIGKILL | ${movedBeforeKill.toLocaleString('en-GB')} entries archived after ${seconds(performance.now() - killedAt)} | every entry once: ${afterKill.entries === afterKill.distinctIds && JSON.stringify(afterKill) === JSON.stringify(before) ? 'yes' : 'NO'} |`,
  );
  report(
    `| archive, run again | refused ${refusals} times while the killed run's lease lasted (${seconds(leaseWaitMs)}), then: ${rerun.stdout} | exit ${rerun.code} |`,
  );
  report(
    `| entries before / after (count, distinct ids, digest) | ${before.entries} / ${after.entries}, ${before.distinctIds} / ${after.distinctIds}, ${before.digest} / ${after.digest} | ${same ? 'identical' : 'DIFFERENT'} |`,
  );
  report(
    `| live / archived after | ${(await count('audit_log')).toLocaleString('en-GB')} / ${(await count('audit_log_archive')).toLocaleString('en-GB')} | |`,
  );
  await expectVerify('ok', 'verify, untouched');

  // An edit, a deletion and a swap, by hand in SQL, each undone after verify has found it.
  // Verify reports a break by the entry's place in its chain (chain_seq): each school's and the district's.
  const [edited] = await query<{ id: number; seq: number; chain_seq: number; action: string }>(
    'select id, seq, chain_seq, action from audit_log_archive order by seq limit 1 offset 400000',
  );
  await connection.query("update audit_log_archive set action = 'case.closed' where id = ?", [edited!.id]);
  await expectVerify(Number(edited!.chain_seq), `verify, entry ${edited!.seq} edited (action changed)`);
  await connection.query('update audit_log_archive set action = ? where id = ?', [edited!.action, edited!.id]);

  const [deleted] = await query<Record<string, unknown> & { id: number; seq: number; chain_seq: number }>(
    `select ${ENTRY_COLUMNS} from audit_log order by seq limit 1 offset 5000`,
  );
  await connection.query('delete from audit_log where id = ?', [deleted!.id]);
  await expectVerify(Number(deleted!.chain_seq), `verify, entry ${deleted!.seq} deleted`);
  await connection.query(`insert into audit_log (${ENTRY_COLUMNS}) values (?)`, [
    ENTRY_COLUMNS.split(', ').map((column) => deleted![column]),
  ]);

  // Two neighbours' contents swapped, their places and hashes left in place: neighbours in school 1's chain.
  const run100 = await query<{
    id: number;
    seq: number;
    chain_seq: number;
    user_id: number | null;
    action: string;
    details: string | null;
  }>(
    'select id, seq, chain_seq, user_id, action, details from audit_log_archive where school_id = 1 and chain_seq is not null order by chain_seq limit 100 offset 6000',
  );
  // Neighbours that differ, or the swap would change nothing.
  const at = run100.findIndex(
    (entry, index) =>
      index > 0 &&
      `${entry.user_id}|${entry.action}|${entry.details}` !==
        `${run100[index - 1]!.user_id}|${run100[index - 1]!.action}|${run100[index - 1]!.details}`,
  );
  const [first, second] = [run100[at - 1]!, run100[at]!];
  const swap = async (a: typeof first, b: typeof first) =>
    connection.query('update audit_log_archive set user_id = ?, action = ?, details = ? where id = ?', [
      b.user_id,
      b.action,
      b.details,
      a.id,
    ]);
  await swap(first, second);
  await swap(second, first);
  await expectVerify(Number(first.chain_seq), `verify, entries ${first.seq} and ${second.seq} swapped`);
  await swap(first, first);
  await swap(second, second);
  await expectVerify('ok', 'verify, everything restored');
  writeFileSync(RESULTS, `${lines.join('\n')}\n`);
  process.stdout.write('wrote bench/audit-drill.md\n');
} finally {
  await connection.end();
}
