/**
 * Replays recorded traces against the core: `npm run replay -- [--check] [--verbose] TRACE.jsonl...`
 * (a directory stands for every `.jsonl` in it). For each trace, the core's output (and the events, when the trace
 * recorded them) is compared with the recording; the first divergence is printed with the bytes around it.
 * `--check` also checks every invariant and split invariance (as the fuzzer does). Exit code 1 on any failure.
 * Runs on Node (bundled with esbuild), Bun and Deno.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrace } from '../core/trace/jsonl.ts';
import { formatDivergence, replayTrace } from '../core/trace/replay.ts';
import { checkTrace, testAccelerators } from './fuzz/check.ts';
import { isUtf8 } from 'node:buffer';

const args = typeof process !== 'undefined' ? process.argv.slice(2) : [];
const check = args.includes('--check');
const verbose = args.includes('--verbose');
// Flags, and `--runtime X` (forwarded by scripts/run.mjs), are not paths.
const paths = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--runtime');
if (paths.length === 0) {
  console.error('usage: replay [--check] [--verbose] TRACE.jsonl|DIR ...');
  process.exit(2);
}

const files: string[] = [];
for (const path of paths) {
  if (statSync(path).isDirectory()) {
    for (const name of readdirSync(path).sort()) if (name.endsWith('.jsonl')) files.push(join(path, name));
  } else files.push(path);
}

let failed = 0;
for (const file of files) {
  let trace;
  try {
    trace = parseTrace(readFileSync(file));
  } catch (error) {
    failed++;
    console.log(`FAIL ${file}: ${(error as Error).message}`);
    continue;
  }
  const result = replayTrace(trace);
  const problems: string[] = result.divergences.map(formatDivergence);
  if (check) {
    const { violations } = checkTrace(trace, { splits: ['bytes', 'halves'], accelerators: testAccelerators(isUtf8) });
    for (const v of violations) problems.push(`invariant ${v.kind}: ${v.message}`);
    if (typeof trace.header.meta['knownFailure'] === 'string' && violations.length > 0) problems.push(`(marked knownFailure: ${String(trace.header.meta['knownFailure'])})`);
  }
  const summary = result.comparedWrites
    ? `${result.expectedOutput.length} bytes${result.comparedEvents ? `, ${result.execution.events.length} events` : ''}${result.truncated ? ', truncated' : ''} compared`
    : `input only: ${result.execution.output.length} bytes written, ${result.execution.events.length} events, nothing recorded to compare`;
  if (problems.length === 0) {
    console.log(`ok   ${file} (${trace.header.label}; ${summary})`);
    if (verbose) for (const e of result.execution.events) console.log(`       ${JSON.stringify(e).slice(0, 160)}`);
  } else {
    failed++;
    console.log(`FAIL ${file} (${trace.header.label}; ${summary})`);
    for (const p of problems) console.log('  ' + p.split('\n').join('\n  '));
  }
}
console.log(`${files.length - failed} of ${files.length} traces replayed without divergence`);
if (failed > 0) process.exitCode = 1;
