/**
 * Builds the API once before the suite (apps/api/dist), for the tests that run it as a real process: a
 * `node dist/cli.js` starts in a fraction of a second where `tsx src/cli.ts` took 5 to 30 s on a busy machine.
 * Skipped when the bundle is newer than every source it is made from.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const API = fileURLToPath(new URL('../../', import.meta.url));
const REPOSITORY = join(API, '../..');
/** What the bundle is built from: the API's sources, the workspace packages' and the migrations. */
const SOURCES = [
  join(API, 'src'),
  join(API, 'build.mjs'),
  join(REPOSITORY, 'packages'),
  join(REPOSITORY, 'migrations'),
];
export const BUILT_CLI = join(API, 'dist/cli.js');

export default function buildApi(): void {
  if (existsSync(BUILT_CLI) && newestChange(SOURCES) < statSync(BUILT_CLI).mtimeMs) return;
  execFileSync(process.execPath, [join(API, 'build.mjs')], { stdio: 'inherit' });
}

function newestChange(paths: string[]): number {
  let newest = 0;
  for (const path of paths) {
    const stat = statSync(path);
    if (!stat.isDirectory()) {
      newest = Math.max(newest, stat.mtimeMs);
      continue;
    }
    for (const entry of readdirSync(path, { recursive: true, withFileTypes: true })) {
      if (entry.isFile() && !entry.parentPath.includes('node_modules')) {
        newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
      }
    }
  }
  return newest;
}
