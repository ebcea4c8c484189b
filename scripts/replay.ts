/**
 * Replays recorded traces against the core: `npm run replay -- [--check] [--verbose] TRACE.jsonl...`
 * (a directory stands for every `.jsonl` in it). For each trace, the core's output (and the events, when the trace
 * recorded them) is compared with the recording; the first divergence is printed with the bytes around it.
 * `--check` also checks every invariant and split invariance (as the fuzzer does). A command the core refuses is a
 * failure, except in a fuzzer find (`meta.violation`), where it is printed as a note. Each file fails on its own (a FAIL line) and the others still replay; exit code 1 on any failure.
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

let failed = 0;
const files: string[] = [];
for (const path of paths) {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    // A missing or unreadable path is a failure of its own, not a stack trace: the other paths still replay.
    failed++;
    const code = (error as { code?: string }).code;
    console.log(`FAIL ${path}: ${code === 'ENOENT' ? 'no such file or directory' : (error as Error).message}`);
    continue;
  }
  if (isDirectory) {
    for (const name of readdirSync(path).sort()) if (name.endsWith('.jsonl')) files.push(join(path, name));
  } else files.push(path);
}

/** Replays one file and prints its line(s); false when it failed. Anything it throws is that file's failure. */
function replayFile(file: string): boolean {
  let trace;
  try {
    trace = parseTrace(readFileSync(file));
  } catch (error) {
    console.log(`FAIL ${file}: ${(error as Error).message}`);
    return false;
  }
  const result = replayTrace(trace);
  const problems: string[] = result.divergences.map(formatDivergence);
  // A command the core refuses (say close code 99999) did not act: the replay is not what the trace says. Fuzzer
  // finds (meta.violation) are the exception: their commands are issued at random points, and refusals are expected.
  const refused = result.execution.commandErrors.map((e) => `command refused${e.recordIndex >= 0 ? ` (record ${e.recordIndex})` : ''}: ${e.message}`);
  const fuzzFind = typeof trace.header.meta['violation'] === 'string';
  if (!fuzzFind) problems.push(...refused);
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
    for (const r of refused) console.log(`       note: ${r} (expected in a fuzzer find)`);
    if (verbose) for (const e of result.execution.events) console.log(`       ${JSON.stringify(e).slice(0, 160)}`);
    return true;
  }
  console.log(`FAIL ${file} (${trace.header.label}; ${summary})`);
  for (const p of [...problems, ...(fuzzFind ? refused : [])]) console.log('  ' + p.split('\n').join('\n  '));
  return false;
}

let replayed = 0;
for (const file of files) {
  let ok: boolean;
  try {
    ok = replayFile(file);
  } catch (error) {
    // Replay should not throw on a well-formed trace; if it does, report it and go on with the next file.
    console.log(`FAIL ${file}: replay threw ${(error as Error).name}: ${(error as Error).message}`);
    ok = false;
  }
  if (ok) replayed++;
  else failed++;
}
console.log(`${replayed} of ${files.length} traces replayed without divergence`);
if (failed > 0) process.exitCode = 1;
