#!/usr/bin/env node
// Runs every *.test.ts on Node (bundled by esbuild), Bun and Deno, one process per runtime, and prints
// the total over all runtimes last, as `N passed, N failed` (the line CI reads).
// Usage: node scripts/test.mjs [--runtime node,bun,deno] [--filter substring]
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runtimes = (option('--runtime') ?? 'node,bun,deno').split(',');
const filter = option('--filter');
const SEARCHED = ['core', 'adapters', 'conformance', 'scripts', 'bench'];

function findTests(dir, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, out);
    else if (name.endsWith('.test.ts') && (!filter || path.includes(filter))) out.push(path);
  }
  return out;
}

const files = SEARCHED.flatMap((d) => findTests(join(root, d), [])).sort();
const build = join(root, 'build');
mkdirSync(build, { recursive: true });
// One entry that imports every test file into uvu's queue, one group per file, then runs them all.
const entry = join(build, 'test-entry.ts');
const lines = [
  // uvu must see UVU_DEFER when it first loads, so it is imported only after the globals are set.
  'const g = globalThis as unknown as { UVU_DEFER: number; UVU_QUEUE: unknown[][]; UVU_INDEX: number };',
  'g.UVU_DEFER = 1;',
  'g.UVU_QUEUE = [];',
  "const { exec } = await import('uvu');",
  'let failedImports = 0;',
  'async function load(index: number, name: string, importer: () => Promise<unknown>) {',
  '  g.UVU_QUEUE.push([name]);',
  '  g.UVU_INDEX = index;',
  '  try { await importer(); } catch (error) { failedImports++; console.error(`could not load ${name}:`, error); }',
  '}',
  ...files.map((f, i) => {
    const rel = relative(build, f).split('\\').join('/');
    return `await load(${i}, ${JSON.stringify(relative(root, f))}, () => import(${JSON.stringify(rel)}));`;
  }),
  'await exec();',
  'if (failedImports) console.log(`\\n  Import failures: ${failedImports}`);',
];
writeFileSync(entry, lines.join('\n') + '\n');
writeFileSync(join(build, 'uvu-defer.mjs'), 'globalThis.UVU_DEFER = 1;\n');

function commandFor(runtime) {
  const bin = (name) => join(root, 'node_modules', '.bin', name);
  // The bundle hoists `import 'uvu'` above everything, so UVU_DEFER is set by a preloaded module.
  if (runtime === 'node') return [process.execPath, ['--import', pathToFileURL(join(build, 'uvu-defer.mjs')).href, join(build, 'test-node.mjs')]];
  if (runtime === 'bun') return [bin('bun'), [entry]];
  if (runtime === 'deno') return [bin('deno'), ['run', '-A', '--quiet', entry]];
  throw new Error(`unknown runtime ${runtime}`);
}

function run(cmd, argv, label) {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, argv, { cwd: root, env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' } });
    let out = '';
    const onData = (stream) => (chunk) => {
      out += chunk;
      stream.write(chunk);
    };
    child.stdout.on('data', onData(process.stdout));
    child.stderr.on('data', onData(process.stderr));
    child.on('error', (error) => {
      out += String(error);
      resolvePromise({ code: 1, out });
    });
    child.on('close', (code, signal) => {
      if (signal) out += `\n${label} killed by ${signal}`;
      resolvePromise({ code: code ?? 1, out });
    });
  });
}

async function buildNode() {
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  const args = [entry, '--bundle', '--platform=node', '--format=esm', '--packages=external', '--log-level=warning', `--outfile=${join(build, 'test-node.mjs')}`];
  return run(esbuild, args, 'esbuild');
}

let passed = 0;
let failed = 0;
const rows = [];
for (const runtime of runtimes) {
  console.log(`\n=== ${runtime}: ${files.length} test files ===`);
  if (runtime === 'node') {
    const built = await buildNode();
    if (built.code !== 0) {
      failed += 1;
      rows.push(`${runtime}: build failed`);
      continue;
    }
  }
  const [cmd, argv] = commandFor(runtime);
  const { code, out } = await run(cmd, argv, runtime);
  const last = (pattern) => [...out.matchAll(pattern)].at(-1)?.[1];
  const total = Number(last(/Total:\s+(\d+)/g) ?? NaN);
  const ok = Number(last(/Passed:\s+(\d+)/g) ?? NaN);
  const summaries = [...out.matchAll(/Total:\s+\d+/g)].length;
  const imports = Number(/Import failures:\s+(\d+)/.exec(out)?.[1] ?? 0);
  if (Number.isNaN(total) || Number.isNaN(ok) || summaries !== 1) {
    failed += 1;
    rows.push(`${runtime}: ${summaries > 1 ? 'several summaries (a test ran outside the queue)' : 'no summary'} (exit ${code})`);
    continue;
  }
  // A crash or an exit code without failing tests still counts as a failure.
  const bad = total - ok + imports + (code !== 0 && total === ok && imports === 0 ? 1 : 0);
  passed += ok;
  failed += bad;
  rows.push(`${runtime}: ${ok} passed, ${bad} failed (exit ${code})`);
}
console.log('\n' + rows.join('\n'));
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
