// Bundles the API for production: our own TypeScript (and the workspace packages, which ship as source) into
// dist/, npm dependencies left external, and each migration bundled alone into dist/migrations/ so the
// migrator finds them beside the code.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const external = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })
  .filter(([, version]) => !String(version).startsWith('workspace:'))
  .map(([name]) => name);

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: true,
  external,
  logLevel: 'warning',
};
const migrationsDir = new URL('../../migrations/', import.meta.url);
const migrations = readdirSync(migrationsDir).filter((file) => /^\d{14}_.+\.ts$/.test(file));

rmSync(new URL('./dist/', import.meta.url), { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: ['src/main.ts', 'src/cli.ts'], outdir: 'dist' }),
  build({
    ...common,
    entryPoints: migrations.map((file) => new URL(file, migrationsDir).pathname),
    outdir: 'dist/migrations',
  }),
]);
console.log(`built dist/main.js, dist/cli.js and ${migrations.length} migrations`);
