// `pnpm check:size`: fails when a hand-written source file runs past 450 lines, listing each with its length.
// A file that long is doing more than the one job its name says (issue 20). Generated code (codegen's output),
// the lockfile, the benchmark reports that `pnpm bench` writes, documentation and images are not hand-written
// source and are left out.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LINES = 450;
const SOURCE_EXTENSIONS = new Set(['.ts', '.tsx', '.js', '.mjs', '.cjs', '.css', '.graphql', '.html', '.sh']);
const SOURCE_PATHS = new Set(['Dockerfile', '.ci/run']);
const GENERATED = [/\.generated\./, /^apps\/web\/src\/gql\//, /^bench\//];

const root = fileURLToPath(new URL('../', import.meta.url));
// Tracked files and new ones not yet added, so a file is checked before its first commit.
const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
  cwd: root,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
})
  .split('\0')
  .filter((file) => file !== '')
  .filter((file) => SOURCE_EXTENSIONS.has(extname(file)) || SOURCE_PATHS.has(file))
  .filter((file) => !GENERATED.some((pattern) => pattern.test(file)));

const lineCount = (file) => {
  let text;
  try {
    text = readFileSync(join(root, file), 'utf8');
  } catch {
    return 0; // deleted in the work tree but not yet in the index
  }
  return text.length === 0 ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
};

const offenders = files
  .map((file) => ({ file, lines: lineCount(file) }))
  .filter(({ lines }) => lines > MAX_LINES)
  .sort((a, b) => b.lines - a.lines);

if (offenders.length === 0) {
  console.log(`No hand-written source file over ${MAX_LINES} lines (${files.length} files checked).`);
} else {
  console.error(`${offenders.length} hand-written source file(s) over ${MAX_LINES} lines:`);
  for (const { file, lines } of offenders) console.error(`${String(lines).padStart(6)}  ${file}`);
  process.exitCode = 1;
}
