#!/usr/bin/env node
// Launcher of the conformance suite: `npm run conformance -- --url wss://host:port/path [--runtime node|bun|deno] ...`
// Node: bundles conformance/cli.ts with esbuild into build/conformance.mjs and runs it.
// Bun / Deno: runs conformance/cli.ts directly with node_modules/.bin/bun or node_modules/.bin/deno run -A.
// Every other argument is passed through; the exit code is the suite's.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
let runtime = 'node';
const rest = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--runtime') runtime = args[++i] ?? '';
  else if (a.startsWith('--runtime=')) runtime = a.slice('--runtime='.length);
  else rest.push(a);
}

const bin = (name) => {
  const p = join(root, 'node_modules', '.bin', name);
  return existsSync(p) ? p : name;
};

const cli = join(root, 'conformance', 'cli.ts');
let result;
if (runtime === 'node') {
  const out = join(root, 'build', 'conformance.mjs');
  const build = spawnSync(bin('esbuild'), [cli, '--bundle', '--platform=node', '--format=esm', '--packages=external', '--log-level=warning', `--outfile=${out}`], { stdio: 'inherit', cwd: root });
  if (build.status !== 0) process.exit(build.status ?? 1);
  result = spawnSync(process.execPath, [out, ...rest], { stdio: 'inherit', cwd: root });
} else if (runtime === 'bun') {
  result = spawnSync(bin('bun'), [cli, ...rest], { stdio: 'inherit', cwd: root });
} else if (runtime === 'deno') {
  result = spawnSync(bin('deno'), ['run', '-A', cli, ...rest], { stdio: 'inherit', cwd: root });
} else {
  console.error(`unknown --runtime ${runtime} (node, bun or deno)`);
  process.exit(2);
}
if (result.error) {
  console.error(result.error.message);
  process.exit(1);
}
process.exit(result.status ?? 1);
