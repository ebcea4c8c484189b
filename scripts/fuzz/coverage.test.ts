/**
 * Coverage guidance: how ranges become blocks and features, what the engine keeps with a probe (fake probes, every
 * runtime), and, with the runtime's real probe in a child process (so that no other test's calls into the core
 * come first), that a coverage-guided corpus covers more core blocks than a behaviour-guided one.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BlockMap, blockHash, countBucket, featureOf, type BlockFeatures } from './coverage-blocks.ts';
import { bundleCoreRegions, inRegions, type CoverageProbe, type CoverageSample } from './coverage.ts';
import type { CompareResult } from './coverage-compare.ts';
import { builtinCorpus } from './corpus.ts';
import { runFuzz } from './engine.ts';

const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined' ? 'bun' : typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined' ? 'deno' : 'node';
const SEED = 20261124;

const blocks = suite('coverage: ranges to blocks');

const sampleOf = (map: BlockMap, ranges: [number, number, number][]): BlockFeatures => {
  const out: BlockFeatures = { features: [], blocks: [] };
  map.addFunction(7, ranges.map(([startOffset, endOffset, count]) => ({ startOffset, endOffset, count })), out);
  return out;
};

blocks('count buckets are 1, 2-3, 4-7, 8+', () => {
  assert.equal([1, 2, 3, 4, 7, 8, 1000].map(countBucket), [0, 1, 1, 2, 2, 3, 3]);
});

blocks('a block that starts to run as often as its function (V8 then drops its range) is a new feature', () => {
  const map = new BlockMap();
  // if (x) { … } not taken: V8 lists the branch [10, 20) with count 0.
  const first = sampleOf(map, [[0, 100, 1], [10, 20, 0]]);
  assert.equal(first.blocks, [blockHash(7, 0, 10), blockHash(7, 20, 100)]);
  assert.is(map.blocksRan(), 2);
  // Taken once: same count as the function, so V8 lists the function's range alone.
  const second = sampleOf(map, [[0, 100, 1]]);
  assert.ok(second.features.includes(featureOf(blockHash(7, 10, 20), 1)));
  assert.not.ok(first.features.includes(featureOf(blockHash(7, 10, 20), 1)));
  assert.is(map.blocksRan(), 3);
});

blocks('each block counts as the innermost range that holds it', () => {
  const map = new BlockMap();
  const out = sampleOf(map, [[0, 100, 2], [30, 60, 9], [40, 50, 0]]);
  assert.equal(out.features, [featureOf(blockHash(7, 0, 30), 2), featureOf(blockHash(7, 30, 40), 9), featureOf(blockHash(7, 50, 60), 9), featureOf(blockHash(7, 60, 100), 2)]);
  // A function that did not run gives nothing.
  assert.equal(sampleOf(map, [[200, 300, 0]]), { features: [], blocks: [] });
});

blocks('without count buckets a block is one feature whatever its count', () => {
  const counted = new BlockMap();
  const plainBlocks = new BlockMap(false);
  const once = { features: [] as number[], blocks: [] as number[] };
  const often = { features: [] as number[], blocks: [] as number[] };
  plainBlocks.addFunction(7, [{ startOffset: 0, endOffset: 10, count: 1 }], once);
  plainBlocks.addFunction(7, [{ startOffset: 0, endOffset: 10, count: 9 }], often);
  assert.equal(once.features, often.features);
  assert.is.not(sampleOf(counted, [[0, 10, 1]]).features[0], sampleOf(counted, [[0, 10, 9]]).features[0]);
});

blocks('a block cut by a newly learned edge ran in both halves', () => {
  const map = new BlockMap();
  sampleOf(map, [[0, 100, 1]]);
  assert.is(map.blocksRan(), 1);
  sampleOf(map, [[0, 100, 1], [50, 60, 0]]);
  assert.is(map.blocksRan(), 3);
  map.forgetRuns();
  assert.is(map.blocksRan(), 0);
});

blocks('core regions of an esbuild bundle: core/ modules only, not core/trace/ nor core/testing.ts', () => {
  const parts = ['// scripts/fuzz.ts\nA;\n', '// core/frame/receiver.ts\nB;\n', '// core/trace/execute.ts\nC;\n', '// ../core/close.ts\nD;\n', '// core/testing.ts\nE;\n', '// node_modules/x/core/y.ts\nF;\n'];
  const source = parts.join('');
  const regions = bundleCoreRegions(source);
  const at = (letter: string): number => source.indexOf(`${letter};`);
  assert.equal(['A', 'B', 'C', 'D', 'E', 'F'].map((l) => inRegions(regions, at(l))), [false, true, false, true, false, false]);
});

const engine = suite('coverage: what the engine keeps (fake probes)');

/** A synchronous probe whose samples come from `next`. */
function fakeProbe(next: () => CoverageSample): CoverageProbe {
  return {
    synchronous: true,
    take: next,
    functionOnly: 0,
    coreScripts: 1,
    blocksRan: () => 0,
    functionsRan: () => 0,
    forgetRuns: () => undefined,
    stop: async () => undefined,
    notes: [],
  };
}

const plain = () => runFuzz({ seed: SEED, maxExecs: 400, corpus: builtinCorpus() });

engine('observe mode leaves every decision as without a probe', () => {
  let n = 0;
  const probe = fakeProbe(() => ({ features: [n++], blocks: [n] }));
  const observed = runFuzz({ seed: SEED, maxExecs: 400, corpus: builtinCorpus(), coverage: { probe, mode: 'observe' } });
  const reference = plain();
  assert.is(observed.execs, reference.execs);
  assert.is(observed.features, reference.features);
  assert.equal(
    observed.pool!.map((t) => t.records.length),
    reference.pool!.map((t) => t.records.length),
  );
});

engine('guide mode keeps nothing more when coverage never changes', () => {
  const probe = fakeProbe(() => ({ features: [1, 2, 3], blocks: [1, 2, 3] }));
  const guided = runFuzz({ seed: SEED, maxExecs: 400, corpus: builtinCorpus(), coverage: { probe, mode: 'guide' } });
  const reference = plain();
  assert.is(guided.coverageFeatures, 3);
  assert.is(guided.corpusSize, reference.corpusSize);
  assert.is(guided.features, reference.features);
});

engine('guide mode keeps every passing input when each one shows a new feature', () => {
  let n = 0;
  const probe = fakeProbe(() => ({ features: [n++], blocks: [] }));
  const guided = runFuzz({ seed: SEED, maxExecs: 400, corpus: builtinCorpus(), coverage: { probe, mode: 'guide' } });
  assert.is(guided.finds.length, 0);
  assert.is(guided.execs, 400);
  assert.is(guided.corpusSize, 400);
  assert.ok(plain().corpusSize < 400);
});

const real = suite(`coverage: the real probe on ${runtime} (child process)`);

/** The project's root: the folder above this file's that holds scripts/fuzz/coverage-compare.ts. */
function projectRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'scripts', 'fuzz', 'coverage-compare.ts'))) return dir;
    dir = dirname(dir);
  }
  return undefined;
}

/** Runs coverage-compare.ts on this runtime; undefined (with the reason logged) when it cannot be started. */
function compare(root: string, execs: number): CompareResult {
  const script = join(root, 'scripts', 'fuzz', 'coverage-compare.ts');
  const args = ['--seed', String(SEED), '--max-execs', String(execs), '--json'];
  let command: string[];
  if (runtime === 'node') {
    mkdirSync(join(root, 'build'), { recursive: true });
    const out = join(root, 'build', 'x-fuzz-coverage-compare.mjs');
    const built = spawnSync(join(root, 'node_modules', '.bin', 'esbuild'), [script, '--bundle', '--platform=node', '--format=esm', '--packages=external', `--outfile=${out}`, '--log-level=warning'], { encoding: 'utf8' });
    assert.is(built.status, 0, built.stderr);
    command = [process.execPath, out, ...args];
  } else if (runtime === 'bun') {
    command = [process.execPath, script, ...args];
  } else {
    // Deno: no code cache (cached functions have no block counters) and no optimizing tiers (exact counts).
    command = [process.execPath, 'run', '-A', '--no-code-cache', '--v8-flags=--no-opt,--no-maglev', script, ...args];
  }
  const run = spawnSync(command[0]!, command.slice(1), { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.is(run.status, 0, `${command.join(' ')}\n${run.stderr}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as CompareResult;
}

real('a coverage-guided corpus covers strictly more core blocks than a behaviour-guided one', () => {
  const root = projectRoot();
  if (root === undefined) {
    console.log('  (skipped: project root not found from the test file)');
    return;
  }
  const execs = 400;
  const result = compare(root, execs);
  if (!result.supported) {
    // Node always has the inspector's precise coverage; elsewhere its absence is a skip, not a failure.
    assert.is.not(runtime, 'node', result.reason);
    console.log(`  (skipped: no coverage on ${runtime}: ${result.reason})`);
    return;
  }
  const observe = result.modes.find((m) => m.mode === 'observe')!;
  const guide = result.modes.find((m) => m.mode === 'guide')!;
  console.log(`  ${runtime}, ${execs} executions: behaviour-guided pool ${observe.pool} covers ${observe.poolBlocks} blocks, coverage-guided pool ${guide.pool} covers ${guide.poolBlocks}`);
  // Every core function got block counters (coverage started before the core ran).
  assert.is(result.functionOnly, 0);
  assert.ok(guide.poolBlocks > observe.poolBlocks, `guided ${guide.poolBlocks} blocks, behaviour-only ${observe.poolBlocks}`);
  assert.ok(guide.coverageFeatures > 0 && observe.coverageFeatures > 0);
  // Observing coverage changed nothing: the same run as the plain fuzzer in this process, seed for seed.
  const reference = runFuzz({ seed: SEED, maxExecs: execs, corpus: builtinCorpus() });
  assert.is(observe.pool, reference.corpusSize);
  assert.is(observe.behaviourFeatures, reference.features);
});

blocks.run();
engine.run();
real.run();
