#!/usr/bin/env node
/**
 * Launches a TypeScript script of scripts/ on a chosen runtime, forwarding arguments, signals and the exit code:
 *   node scripts/run.mjs <echo|demo> [--runtime node|bun|deno] [args...]
 * node: bundles scripts/<name>.ts with esbuild into build/<name>.mjs, then runs it with this Node;
 * bun:  node_modules/.bin/bun scripts/<name>.ts;   deno: node_modules/.bin/deno run -A scripts/<name>.ts.
 * The --runtime flag is forwarded too (the script checks that it runs where it was asked to).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const SCRIPTS = ['echo', 'demo', 'replay', 'fuzz'];
const RUNTIMES = ['node', 'bun', 'deno'];

function usage(message) {
  if (message) console.error(`run: ${message}`);
  console.error('usage: node scripts/run.mjs <echo|demo|replay|fuzz> [--runtime node|bun|deno] [args...]');
  process.exit(2);
}

const [name, ...args] = process.argv.slice(2);
if (!SCRIPTS.includes(name)) usage(name === undefined ? 'which script?' : `unknown script ${name}`);

let runtime = 'node';
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--runtime') runtime = args[i + 1];
  else if (args[i].startsWith('--runtime=')) runtime = args[i].slice('--runtime='.length);
}
if (!RUNTIMES.includes(runtime)) usage(`unknown runtime ${runtime}`);

const entry = join(root, 'scripts', `${name}.ts`);
let command;
let commandArgs;
if (runtime === 'node') {
  const outfile = join(root, 'build', `${name}.mjs`);
  mkdirSync(join(root, 'build'), { recursive: true });
  const built = spawnSync(
    bin('esbuild'),
    [entry, '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${outfile}`, '--log-level=warning'],
    { stdio: 'inherit' },
  );
  if (built.status !== 0) process.exit(built.status ?? 1);
  command = process.execPath;
  commandArgs = [outfile, ...args];
} else if (runtime === 'bun') {
  command = bin('bun');
  commandArgs = [entry, ...args];
} else {
  command = bin('deno');
  // Coverage-guided fuzzing repeats seed for seed only without the code cache and V8's optimizing tiers (optimized
  // code loses block counts); Deno ignores those flags when set from inside the program.
  const coverage = name === 'fuzz' && args.some((a) => a.startsWith('--coverage')) && !args.includes('--coverage-jit');
  commandArgs = ['run', '-A', ...(coverage ? ['--no-code-cache', '--v8-flags=--no-opt,--no-maglev'] : []), entry, ...args];
}
if (runtime !== 'node' && !existsSync(command)) usage(`${command} not found (npm install)`);

const child = spawn(command, commandArgs, { stdio: 'inherit', cwd: root });
const SIGNAL_NUMBERS = { SIGINT: 2, SIGTERM: 15, SIGHUP: 1 };
for (const signal of Object.keys(SIGNAL_NUMBERS)) {
  process.on(signal, () => {
    if (child.exitCode === null) child.kill(signal);
  });
}
child.on('error', (error) => {
  console.error(`run: cannot start ${command}: ${error.message}`);
  process.exit(1);
});
child.on('exit', (code, signal) => {
  process.exit(code ?? 128 + (SIGNAL_NUMBERS[signal] ?? 1));
});
