/**
 * A separate API process for the scheduled-archival test: waits until `go-at` (so that every process starts at
 * the same instant), runs the archival job once as `holder`, and prints what happened as one JSON line.
 * Usage: tsx run-archive-job.ts <database-url> <holder> <now-iso> <batch-size> <go-at-epoch-ms>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createDb } from '@pastoral/db';
import { runAuditArchiveJob } from '../audit-archive.job.ts';

const [url, holder, nowText, batchText, goAtText] = process.argv.slice(2);
if (!url || !holder || !nowText || !batchText || !goAtText) {
  throw new Error('usage: run-archive-job.ts <database-url> <holder> <now-iso> <batch-size> <go-at-epoch-ms>');
}
const handle = createDb(url);
try {
  await sleep(Math.max(0, Number(goAtText) - Date.now()));
  const startedAt = Date.now();
  const outcome = await runAuditArchiveJob(
    handle,
    { olderThanDays: 90, batchSize: Number(batchText) },
    { holder, now: new Date(nowText) },
  );
  process.stdout.write(`${JSON.stringify({ holder, startedAt, finishedAt: Date.now(), ...outcome })}\n`);
} finally {
  await handle.destroy();
}
