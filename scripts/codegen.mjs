// `pnpm codegen`: runs the project's code generators; `pnpm codegen --check` fails when a generated file
// differs from what is committed, so generated code never drifts (CI runs the check through `pnpm test`).
//
// Generators register here as they arrive: the GraphQL resolver and client types come with the API schema.
import { execFileSync } from 'node:child_process';

/** @type {{ name: string, command: string[], outputs: string[] }[]} */
const generators = [];

const check = process.argv.includes('--check');
if (generators.length === 0) {
  console.log('codegen: no generators are registered yet (the GraphQL schema brings the first).');
  process.exit(0);
}
for (const generator of generators) {
  console.log(`codegen: ${generator.name}`);
  execFileSync(generator.command[0], generator.command.slice(1), { stdio: 'inherit' });
}
if (check) {
  const changed = execFileSync('git', ['status', '--porcelain', '--', ...generators.flatMap((g) => g.outputs)], {
    encoding: 'utf8',
  });
  if (changed.trim()) {
    console.error(`codegen --check: generated files differ from the committed ones; run pnpm codegen:\n${changed}`);
    process.exit(1);
  }
}
