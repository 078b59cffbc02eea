// `pnpm check:cycles`: fails when any import circle runs through the API, the web app or a package's sources.
//
// Type-only imports count as edges. They vanish at run time (verbatimModuleSyntax), so they cannot leave a
// module half-initialised, but they tie modules together all the same: a circle of them means no module in it
// can be read, moved or deleted alone, and the circle of issue 20 (context.ts, case.mutations.ts, the generated
// resolver types, dashboard.resolvers.ts) is made of them.
//
// The API's generated resolver types stay in the graph: which files they import is ours to choose (codegen's
// `mappers` and `contextType`), and that circle runs through them. The web app's `gql/` (the client preset's
// output, imports not ours to choose) is left out.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = fileURLToPath(new URL('../', import.meta.url));
const packageSources = readdirSync(join(root, 'packages')).map((name) => `packages/${name}/src`);
const sources = ['apps/api/src', 'apps/web/src', ...packageSources].filter((folder) => existsSync(join(root, folder)));

const graph = await madge(sources, {
  baseDir: root,
  fileExtensions: ['ts', 'tsx'],
  excludeRegExp: [/^apps\/web\/src\/gql\//],
  detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
});

const circles = graph.circular();
if (circles.length === 0) {
  console.log(`No import circle in ${Object.keys(graph.obj()).length} files (${sources.join(', ')}).`);
} else {
  console.error(`${circles.length} import circle(s); each file imports the next, and the last the first:`);
  for (const [index, circle] of circles.entries()) console.error(`${index + 1}) ${circle.join(' > ')}`);
  process.exitCode = 1;
}
