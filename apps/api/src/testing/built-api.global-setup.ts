/**
 * Builds what the tests run as real processes, once before the suite: the API's bundle (apps/api/dist) and the
 * helper scripts that stand for other API processes (`modules/<module>/testing/*.ts`). Bundled JavaScript starts
 * in a fraction of a second where tsx took 5 to 30 s on a busy machine. Skipped when newer than every source.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const API = fileURLToPath(new URL('../../', import.meta.url));
const REPOSITORY = join(API, '../..');
/** What the bundles are built from: the API's sources, the workspace packages' and the migrations. */
const SOURCES = [
  join(API, 'src'),
  join(API, 'build.mjs'),
  join(REPOSITORY, 'packages'),
  join(REPOSITORY, 'migrations'),
];

export const BUILT_CLI = join(API, 'dist/cli.js');
/** Where a helper script `<name>.ts` is bundled to, as `<name>.js`: ignored by git, like all of node_modules. */
const PROCESS_SCRIPTS = join(API, 'node_modules/.cache/process-scripts');
const PROCESS_SCRIPT_SOURCES = [
  'modules/audit-log/testing/append-entries.ts',
  'modules/audit-log/testing/run-archive-job.ts',
];

/** The bundled helper script made from `source` (a path below apps/api/src). */
export function builtProcessScript(source: string): string {
  return join(PROCESS_SCRIPTS, source.replace(/^.*\//, '').replace(/\.ts$/, '.js'));
}

export default async function buildForProcessTests(): Promise<void> {
  const newestSource = newestChange(SOURCES);
  const stale = (file: string) => !existsSync(file) || statSync(file).mtimeMs < newestSource;
  if (stale(BUILT_CLI)) execFileSync(process.execPath, [join(API, 'build.mjs')], { stdio: 'inherit' });
  if (PROCESS_SCRIPT_SOURCES.some((source) => stale(builtProcessScript(source)))) {
    await build({
      entryPoints: PROCESS_SCRIPT_SOURCES.map((source) => join(API, 'src', source)),
      outdir: PROCESS_SCRIPTS,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      // npm packages load from apps/api/node_modules; the workspace packages, which ship as TypeScript, are bundled.
      external: npmDependencies(),
      logLevel: 'warning',
    });
  }
}

function npmDependencies(): string[] {
  const manifest = JSON.parse(readFileSync(join(API, 'package.json'), 'utf8')) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  return Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })
    .filter(([, version]) => !version.startsWith('workspace:'))
    .map(([name]) => name);
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
