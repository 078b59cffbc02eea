// Bundles the API for production: our own TypeScript (and the workspace packages, which ship as source) into
// dist/, npm dependencies left external, and each migration bundled alone into dist/migrations/ so the
// migrator finds them beside the code.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const manifest = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'));
const external = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies })
  .filter(([, version]) => !String(version).startsWith('workspace:'))
  .map(([name]) => name);

// The schema's SDL files travel inside the bundle: graphql/type-defs.ts is replaced by their text.
const sourceDir = new URL('./src/', import.meta.url).pathname;
const typeDefs = readdirSync(sourceDir, { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.graphql'))
  .map((entry) => join(entry.parentPath, entry.name))
  .sort()
  .map((file) => readFileSync(file, 'utf8'));
const inlineTypeDefs = {
  name: 'inline-type-defs',
  setup(esbuild) {
    esbuild.onLoad({ filter: /graphql[\\/]type-defs\.ts$/ }, () => ({
      contents: `export const bundledTypeDefs = ${JSON.stringify(typeDefs)};`,
      loader: 'ts',
    }));
  },
};

const common = {
  // Paths below are relative to this folder, whatever the caller's working directory.
  absWorkingDir: new URL('.', import.meta.url).pathname,
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
  build({ ...common, entryPoints: ['./src/main.ts', './src/cli.ts'], outdir: 'dist', plugins: [inlineTypeDefs] }),
  build({
    ...common,
    entryPoints: migrations.map((file) => new URL(file, migrationsDir).pathname),
    outdir: 'dist/migrations',
  }),
]);
console.log(`built dist/main.js, dist/cli.js (with ${typeDefs.length} SDL files) and ${migrations.length} migrations`);
