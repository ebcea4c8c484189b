#!/usr/bin/env node
// Builds the npm package into dist/: ESM JavaScript (esbuild, one file per public entry, shared code split into
// chunks) and type declarations (tsc, emitDeclarationOnly). Usage: node scripts/build.mjs
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const bin = (name) => join(root, 'node_modules', '.bin', name);
const entries = ['index.ts', 'core/index.ts', 'adapters/node/index.ts', 'adapters/bun/index.ts', 'adapters/deno/index.ts'];

rmSync(join(root, 'dist'), { recursive: true, force: true });
const steps = [
  [bin('esbuild'), [...entries, '--bundle', '--splitting', '--format=esm', '--platform=neutral', '--target=es2022',
    '--packages=external', '--external:node:*', '--outdir=dist', '--outbase=.', '--chunk-names=chunks/[name]-[hash]', '--log-level=warning']],
  [bin('tsc'), ['-p', 'tsconfig.build.json']],
];
for (const [cmd, args] of steps) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
}
console.log('built dist/');
