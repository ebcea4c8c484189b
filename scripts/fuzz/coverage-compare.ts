/**
 * Compares behaviour guidance with coverage guidance on the same seed and budget, in one process:
 *   node build/x.mjs [--seed S] [--max-execs N] [--seconds N] [--batch N] [--modes observe,guide] [--jit] [--no-counts] [--json]
 * (bundle it with esbuild on Node; `bun` / `deno run -A` run it as is). Coverage starts before any core code
 * runs, then each mode fuzzes the built-in corpus: `observe` makes the decisions of the plain fuzzer (coverage is
 * only counted), `guide` keeps inputs with new coverage too. Then each mode's final pool is replayed alone
 * (halves splits) to count the core blocks it covers. Prints one JSON object with `--json`, else a table.
 * The coverage test (coverage.test.ts) runs it in a child process, so that no other test's calls into the core
 * come first (functions compiled before coverage starts have no block counters).
 */
import type { Trace } from '../../core/trace/format.ts';
import { startCoverage, type CoverageProbe } from './coverage.ts';

/** One mode's numbers. */
export interface ModeResult {
  readonly mode: 'observe' | 'guide';
  readonly execs: number;
  readonly ms: number;
  readonly pool: number;
  readonly behaviourFeatures: number;
  readonly coverageFeatures: number;
  /** Core blocks that ran during the run (any execution). */
  readonly blocksDuringRun: number;
  /** Core blocks that the final pool covers, replayed alone. */
  readonly poolBlocks: number;
  readonly poolFunctions: number;
  readonly reruns: number;
  readonly finds: number;
}

/** The driver's output. */
export type CompareResult = { readonly supported: false; readonly reason: string } | { readonly supported: true; readonly functionOnly: number; readonly modes: ModeResult[] };

const args = typeof process !== 'undefined' ? process.argv.slice(2) : [];
const option = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};

async function main(): Promise<CompareResult> {
  const started = await startCoverage({ keepOptimizer: args.includes('--jit'), countBuckets: !args.includes('--no-counts') });
  if (!started.ok) return { supported: false, reason: started.reason };
  const probe: CoverageProbe = started.probe;
  // Only now load what calls into the core.
  const { builtinCorpus } = await import('./corpus.ts');
  const { runFuzz, runFuzzAsync } = await import('./engine.ts');
  const { checkTrace } = await import('./check.ts');
  const seed = Number(option('--seed') ?? 20261124);
  const maxExecs = Number(option('--max-execs') ?? 3000);
  const seconds = option('--seconds') === undefined ? undefined : Number(option('--seconds'));
  const batch = option('--batch') === undefined ? undefined : Number(option('--batch'));
  const modes = (option('--modes') ?? 'observe,guide').split(',') as ('observe' | 'guide')[];
  const runs: { mode: 'observe' | 'guide'; stats: Awaited<ReturnType<typeof runFuzzAsync>>; ms: number; blocksDuringRun: number }[] = [];
  for (const mode of modes) {
    probe.forgetRuns();
    const t0 = performance.now();
    const options = {
      seed,
      maxExecs,
      ...(seconds === undefined ? {} : { seconds, clock: () => performance.now() }),
      corpus: builtinCorpus(),
      coverage: { probe, mode, ...(batch === undefined ? {} : { batch }) },
    };
    const stats = probe.synchronous ? runFuzz(options) : await runFuzzAsync(options);
    const ms = performance.now() - t0;
    runs.push({ mode, stats, ms, blocksDuringRun: probe.blocksRan() });
  }
  // Replay each pool alone to count the blocks it covers. Block edges are learned from the samples, so every pool
  // is replayed once first: all are then counted against the same edges, whatever the order of the modes.
  const replay = async (pool: readonly Trace[]): Promise<void> => {
    for (const trace of pool) {
      try {
        checkTrace(trace, { splits: ['halves'] });
      } catch {
        // a trace with options the core refuses covers what it covers
      }
      await probe.take();
    }
  };
  await probe.take();
  for (const run of runs) await replay(run.stats.pool ?? []);
  const results: ModeResult[] = [];
  for (const { mode, stats, ms, blocksDuringRun } of runs) {
    probe.forgetRuns();
    await replay(stats.pool ?? []);
    results.push({
      mode,
      execs: stats.execs,
      ms: Math.round(ms),
      pool: stats.corpusSize,
      behaviourFeatures: stats.features,
      coverageFeatures: stats.coverageFeatures ?? 0,
      blocksDuringRun,
      poolBlocks: probe.blocksRan(),
      poolFunctions: probe.functionsRan(),
      reruns: stats.coverageReruns ?? 0,
      finds: stats.finds.length,
    });
  }
  const functionOnly = probe.functionOnly;
  await probe.stop();
  return { supported: true, functionOnly, modes: results };
}

const result = await main();
if (args.includes('--json')) console.log(JSON.stringify(result));
else if (!result.supported) console.log(`no coverage here: ${result.reason}`);
else {
  for (const m of result.modes) {
    console.log(
      `${m.mode.padEnd(8)} ${m.execs} execs in ${(m.ms / 1000).toFixed(1)} s (${Math.round((m.execs / Math.max(1, m.ms)) * 1000)} exec/s), pool ${m.pool}, behaviour features ${m.behaviourFeatures}, coverage features ${m.coverageFeatures}, blocks during run ${m.blocksDuringRun}, pool covers ${m.poolBlocks} blocks in ${m.poolFunctions} functions, ${m.reruns} re-runs, ${m.finds} finds`,
    );
  }
  if (result.functionOnly > 0) console.log(`${result.functionOnly} core functions counted whole (compiled before coverage started)`);
}
