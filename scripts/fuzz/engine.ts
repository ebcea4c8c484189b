/**
 * The fuzz loop: mutate traces from a corpus, run each through the core with every invariant checked, keep the
 * inputs that show new behaviour, minimize failures. Feedback is behavioural (event and error sequences, states,
 * statuses, close codes, size buckets), the same on every runtime; with a coverage probe (coverage.ts) an input
 * that reaches new core code (block ranges and count buckets) is kept too.
 */
import type { ServerConnection, ServerConnectionOptions } from '../../core/connection.ts';
import type { Accelerators } from '../../core/accelerators.ts';
import { MisuseError } from '../../core/errors.ts';
import type { Execution } from '../../core/trace/execute.ts';
import type { Trace } from '../../core/trace/format.ts';
import type { Violation } from '../../core/trace/invariants.ts';
import type { CoverageProbe, CoverageSample } from './coverage.ts';
import { parseServerOutput } from '../../core/trace/server-output.ts';
import { checkTrace } from './check.ts';
import { minimizeTrace } from './minimize.ts';
import { mutateOptions, mutateTrace } from './mutate.ts';
import { Rng } from './rng.ts';

/** Options of {@link runFuzz}. */
export interface FuzzOptions {
  seed: number;
  /** Stop after this long (needs `clock`). */
  seconds?: number;
  /** Stop after this many executions. */
  maxExecs?: number;
  corpus: readonly Trace[];
  /** Milliseconds (e.g. `performance.now`); the engine itself has no clock. */
  clock?: () => number;
  /** Called about every `progressEveryMs` with the running stats. */
  onProgress?: (stats: FuzzStats) => void;
  progressEveryMs?: number;
  /** Stop after this many distinct failures (default 10). */
  maxFinds?: number;
  /** Called with each new failure as soon as it is minimized (e.g. to save it before the run ends). */
  onFind?: (find: FuzzFind) => void;
  /** Minimize failures (default true). */
  minimize?: boolean;
  /** Signatures of failures already known (saved before): counted in `knownHits`, not reported again. */
  knownSignatures?: ReadonlySet<string>;
  /** An alternative core (injected-bug experiments). */
  createConnection?: (options: ServerConnectionOptions, now: number) => ServerConnection;
  /** See CheckOptions.accelerators. */
  accelerators?: Accelerators;
  /** Code-coverage feedback (see {@link FuzzCoverage}); without it the loop is behaviour-guided only. */
  coverage?: FuzzCoverage;
}

/**
 * Code coverage in the loop: the probe is sampled after every execution. `guide` keeps each input that reaches a
 * new coverage feature (as well as those with new behaviour); `observe` only counts coverage, and leaves every
 * decision (and so the run, seed for seed) as without a probe.
 */
export interface FuzzCoverage {
  readonly probe: CoverageProbe;
  readonly mode: 'guide' | 'observe';
  /**
   * The most executions per probe sample (default {@link DEFAULT_COVERAGE_BATCH}). A sample costs more than an
   * execution (about 1 ms on Node), so it is taken once per batch; when a batch shows a new feature, its executions
   * run again one by one to find whose it is. The batch starts at 1, doubles after each sample with nothing new
   * and halves after each with something new. 1 samples every execution (exact: no count summed over a batch).
   */
  readonly batch?: number;
}

/** Default of {@link FuzzCoverage.batch}. */
export const DEFAULT_COVERAGE_BATCH = 16;

/** A failure found by the fuzzer. */
export interface FuzzFind {
  readonly violation: Violation;
  /** See {@link violationSignature}. */
  readonly signature: string;
  /** Whether the fixed checks (bytes, halves, seeded random splits) reproduce it; only then is it minimized. */
  readonly reproducible: boolean;
  /** The minimized failing trace (or the original if it could not be reproduced by the minimizer's check). */
  readonly trace: Trace;
  readonly originalRecords: number;
  readonly execution: number;
}

/** Running totals. */
export interface FuzzStats {
  execs: number;
  elapsedMs: number;
  corpusSize: number;
  features: number;
  finds: FuzzFind[];
  /** Executions that hit an already known failure. */
  knownHits: number;
  /** With a coverage probe: distinct coverage features (core range × count bucket) of the passing executions. */
  coverageFeatures?: number;
  /** With a coverage probe: core blocks that ran in any sample (see CoverageProbe.blocksRan). */
  coverageBlocks?: number;
  /** With a coverage probe: executions run again to sample their coverage alone (see FuzzCoverage.batch). */
  coverageReruns?: number;
  /** The final pool (the starting corpus plus the inputs kept); shared, not a copy. */
  pool?: readonly Trace[];
}

const MAX_POOL = 4096;
/** An execution (two runs and the checks) slower than this is reported (see `execute`). */
const SLOW_EXECUTION_MS = 2000;

function log2Bucket(n: number): number {
  return n <= 0 ? 0 : Math.min(24, Math.floor(Math.log2(n)) + 1);
}

/** The behaviour signature of one execution (feature strings). */
export function features(trace: Trace, execution: Execution): string[] {
  const out: string[] = [];
  const mode = `${trace.header.options.receiveMode ?? 'message'}/${trace.header.options.deflate ? 'deflate' : 'plain'}/${trace.header.app}`;
  let prev = 'start';
  for (const e of execution.events) {
    const name = e.type === 'error' ? `error:${String(e['code'])}` : e.type === 'closed' ? `closed:${String(e['code'])}:${String(e['wasClean'])}` : e.type;
    out.push(`${prev}>${name}`);
    prev = name;
  }
  out.push(`${prev}>end`);
  out.push(`state:${execution.conn.state}:${mode}`);
  const parsed = parseServerOutput(execution.output);
  out.push(`status:${parsed.status ?? 'none'}`);
  for (const f of parsed.frames) {
    out.push(`frame:${f.opcode}:${f.rsv}:${f.fin}:${log2Bucket(f.payload.length)}`);
    if (f.opcode === 8 && f.payload.length >= 2) out.push(`close-sent:${(f.payload[0]! << 8) | f.payload[1]!}`);
  }
  out.push(`events:${log2Bucket(execution.events.length)}`, `out:${log2Bucket(execution.output.length)}`, `cmdErrors:${execution.commandErrors.length > 0}`);
  const last = execution.steps[execution.steps.length - 1];
  if (last !== undefined) out.push(`last-step:${last.kind}:${last.state}`);
  return out;
}

/**
 * What makes two failures the same bug, roughly: the violation kind plus, for split failures, the first peer-error
 * code involved (alphabetically), else the message with numbers and payload previews taken out.
 */
export function violationSignature(violation: Violation): string {
  if (violation.kind.startsWith('split-')) {
    const codes = [...violation.message.matchAll(/"code":"([A-Z_0-9]+)"/g)].map((m) => m[1] as string).sort();
    if (codes.length > 0) return `${violation.kind}: ${codes[0]}`;
    const types = [...new Set([...violation.message.matchAll(/"type":"([a-z-]+)"|(message) (?:text|binary)/g)].map((m) => (m[1] ?? m[2]) as string))].sort();
    return `${violation.kind}: ${types.length > 0 ? types.join(' ') : 'no event named'}`;
  }
  if (violation.kind === 'oracle') {
    // "the core reported <event> …, the reference decoder expects <event> (<why>)" → the two events and the reason.
    const reported = /the core reported (error close \d+|\S+)/.exec(violation.message)?.[1] ?? 'nothing';
    const expects = /(?:expects|did not report) (error close \d+|\S+)/.exec(violation.message)?.[1] ?? '?';
    const why = expects.startsWith('error') ? (/close \d+ \(([^()]*)\)/.exec(violation.message.slice(violation.message.indexOf(expects)))?.[1] ?? '') : '';
    return `oracle: reported ${reported}, expected ${expects}${why ? ` (${why})` : ''}`;
  }
  const message = violation.message
    .replace(/"[^"]*"/g, '"…"')
    .replace(/(text|binary) [0-9a-f]*…?#[0-9a-f]+ \(\d+ bytes\)/g, '$1 …')
    .replace(/(ping|pong) [0-9a-f]*…?#[0-9a-f]+/g, '$1 …')
    .replace(/\d+/g, '#');
  return `${violation.kind}: ${message.slice(0, 160)}`;
}

/**
 * Runs the fuzz loop until a bound is hit. Deterministic for a given seed and execution count (with a coverage
 * probe too, as far as the runtime's counters are: see coverage.ts; an execution slower than 2 s, re-timed, makes
 * its batch re-run, so a stalled machine can change a guided run). Needs a synchronous probe (Node's), else use
 * {@link runFuzzAsync}.
 */
export function runFuzz(options: FuzzOptions): FuzzStats {
  const probe = options.coverage?.probe;
  if (probe !== undefined && !probe.synchronous) throw new Error('runFuzz: this coverage probe answers asynchronously; use runFuzzAsync');
  const loop = fuzzLoop(options);
  for (let step = loop.next(); ; step = loop.next(probe!.take() as CoverageSample)) if (step.done) return step.value;
}

/** {@link runFuzz} for any coverage probe (Deno's and Bun's answer in a microtask). */
export async function runFuzzAsync(options: FuzzOptions): Promise<FuzzStats> {
  const probe = options.coverage?.probe;
  const loop = fuzzLoop(options);
  for (let step = loop.next(); ; step = loop.next(await probe!.take())) if (step.done) return step.value;
}

/** The loop itself; it yields wherever the caller must sample the coverage probe, and gets the sample back. */
function* fuzzLoop(options: FuzzOptions): Generator<void, FuzzStats, CoverageSample> {
  const rng = new Rng(options.seed);
  const clock = options.clock;
  const started = clock ? clock() : 0;
  const deadline = options.seconds !== undefined && clock ? started + options.seconds * 1000 : Infinity;
  const maxExecs = options.maxExecs ?? Infinity;
  const maxFinds = options.maxFinds ?? 10;
  const progressEvery = options.progressEveryMs ?? 5000;
  let nextProgress = started + progressEvery;
  const seen = new Set<string>();
  const foundKinds = new Set<string>();
  const pool: Trace[] = [];
  const stats: FuzzStats = { execs: 0, elapsedMs: 0, corpusSize: 0, features: 0, finds: [], knownHits: 0 };
  const known = options.knownSignatures ?? new Set<string>();
  const checkOptions = { createConnection: options.createConnection, accelerators: options.accelerators };
  const coverage = options.coverage;
  const guide = coverage?.mode === 'guide';
  const maxBatch = Math.max(1, Math.floor(coverage?.batch ?? DEFAULT_COVERAGE_BATCH));
  /** The batch grows while samples show nothing new and shrinks when they do (re-runs are costly then). */
  let batchSize = 1;
  const seenCoverage = new Set<number>();
  /** Blocks of the samples counted one execution at a time; features of the samples of whole batches. */
  const attributedBlocks = new Set<number>();
  const seenBatchFeatures = new Set<number>();
  /** The passing executions since the last coverage sample, with what it takes to run each again exactly. */
  let batch: { trace: Trace; rng: Rng | undefined; kept: boolean }[] = [];
  /** Whether the core ran for something else (minimizing, re-timing) since the last sample. */
  let tainted = false;
  if (coverage) {
    stats.coverageFeatures = 0;
    stats.coverageBlocks = 0;
    stats.coverageReruns = 0;
  }

  const keep = (trace: Trace): void => {
    if (pool.length >= MAX_POOL) pool[rng.int(pool.length)] = trace;
    else pool.push(trace);
  };

  /** Returns whether the input was kept, and whether the core ran again (minimizing) after it. */
  const record = (trace: Trace, violations: Violation[], execution: Execution): { kept: boolean; ranAgain: boolean } => {
    if (violations.length === 0) {
      let fresh = false;
      for (const f of features(trace, execution)) {
        if (!seen.has(f)) {
          seen.add(f);
          fresh = true;
        }
      }
      if (fresh) keep(trace);
      return { kept: fresh, ranAgain: false };
    }
    const violation = violations[0]!;
    const signature = violationSignature(violation);
    if (known.has(signature)) {
      stats.knownHits++;
      return { kept: false, ranAgain: false };
    }
    if (foundKinds.has(signature)) return { kept: false, ranAgain: false };
    foundKinds.add(signature);
    const fails = (candidate: Trace): boolean => {
      try {
        const split = violation.kind.startsWith('split-');
        const result = checkTrace(candidate, { ...checkOptions, splits: split ? ['bytes', 'halves', 'random'] : ['halves'], rng: new Rng(1) });
        // A split failure may change its message while shrinking; it must not drift into a known one.
        return result.violations.some((v) => {
          const s = violationSignature(v);
          return s === signature || (split && v.kind.startsWith('split-') && !known.has(s));
        });
      } catch {
        return false;
      }
    };
    let minimized = trace;
    const reproducible = fails(trace);
    if (options.minimize !== false && reproducible) minimized = minimizeTrace(trace, fails);
    const find: FuzzFind = { violation, signature, reproducible, trace: minimized, originalRecords: trace.records.length, execution: stats.execs };
    stats.finds.push(find);
    options.onFind?.(find);
    return { kept: false, ranAgain: true };
  };

  /** Counts one execution's own coverage sample; in guide mode keeps its input if the sample shows a new feature. */
  const attribute = (member: { trace: Trace; kept: boolean }, sample: CoverageSample): boolean => {
    for (const b of sample.blocks) attributedBlocks.add(b);
    let fresh = false;
    for (const f of sample.features) {
      if (!seenCoverage.has(f)) {
        seenCoverage.add(f);
        fresh = true;
      }
    }
    if (fresh && guide && !member.kept) {
      member.kept = true;
      keep(member.trace);
    }
    return fresh;
  };

  /**
   * Samples the probe for the batch. One clean execution: its sample is its own. Several: each execution runs
   * again, with the same cuts, and is sampled alone, if the batch's sample reached a block that no execution's own
   * sample had, or shows a feature (of summed counts) that no batch sample had; else the batch is closed. (The
   * price of sampling once per batch: a new count bucket of a known block can go unseen.)
   */
  function* flush(): Generator<void, void, CoverageSample> {
    if (!coverage) return;
    const sample = yield;
    const members = batch;
    const wasTainted = tainted;
    batch = [];
    tainted = false;
    if (members.length === 0) return;
    let fresh = false;
    for (const f of sample.features) {
      if (!seenBatchFeatures.has(f)) {
        seenBatchFeatures.add(f);
        fresh = true;
      }
    }
    if (!wasTainted && members.length === 1) {
      fresh = attribute(members[0]!, sample);
      batchSize = fresh ? Math.max(1, batchSize >> 1) : Math.min(maxBatch, batchSize * 2);
      return;
    }
    for (const b of sample.blocks) if (!attributedBlocks.has(b)) fresh = true;
    batchSize = fresh ? Math.max(1, batchSize >> 1) : Math.min(maxBatch, batchSize * 2);
    if (!fresh && !wasTainted) return;
    for (const member of members) {
      try {
        // The same work as the first time: the run and the behaviour features (which read the connection too).
        const again = checkTrace(member.trace, member.rng ? { ...checkOptions, rng: member.rng } : { ...checkOptions, splits: ['halves'] });
        features(member.trace, again.execution);
      } catch {
        // It passed before; a throw now would be a nondeterministic core, which the run itself reports elsewhere.
      }
      stats.coverageReruns!++;
      attribute(member, yield);
    }
    // Blocks that only the loop around the executions reached belong to none of them: never a reason to re-run.
    for (const b of sample.blocks) attributedBlocks.add(b);
  }

  // A generator: with a coverage probe, it yields wherever the caller must sample the probe (see flush).
  function* execute(trace: Trace, useRandomSplit: boolean, seed: boolean): Generator<void, void, CoverageSample> {
    let result;
    const before = clock ? clock() : 0;
    // A copy of the generator before the cuts are drawn, to run the execution again for its own coverage.
    const replay = coverage && useRandomSplit ? rng.clone() : undefined;
    try {
      result = checkTrace(trace, useRandomSplit ? { ...checkOptions, rng } : { ...checkOptions, splits: ['halves'] });
    } catch (error) {
      // Options the core refuses (a trace file's problem, not peer input): skip the input.
      if (error instanceof MisuseError) return;
      throw error;
    }
    stats.execs++;
    // Algorithmic blow-ups: inputs are at most 64 KiB, so a run this slow means super-linear work somewhere.
    // Timing is not reproducible, so such a find is saved as found (not minimized).
    let took = clock ? clock() - before : 0;
    if (took > SLOW_EXECUTION_MS && clock) {
      // Time it again: a busy machine can stall one run (a process starved by the scheduler is not a bug).
      const again = clock();
      checkTrace(trace, { ...checkOptions, splits: ['halves'] });
      took = Math.min(took, clock() - again);
      tainted = true;
    }
    if (took > SLOW_EXECUTION_MS && !foundKinds.has('slow')) {
      foundKinds.add('slow');
      const violation = { kind: 'slow', message: `one execution took ${Math.round(took)} ms for ${result.execution.inputBytes} input bytes` };
      const find: FuzzFind = { violation, signature: 'slow', reproducible: false, trace, originalRecords: trace.records.length, execution: stats.execs };
      stats.finds.push(find);
      options.onFind?.(find);
    }
    const outcome = record(trace, result.violations, result.execution);
    if (!coverage) return;
    if (outcome.ranAgain) tainted = true;
    if (result.violations.length === 0) batch.push({ trace, rng: replay, kept: outcome.kept || seed });
    if (batch.length >= batchSize || tainted) yield* flush();
  }

  for (const trace of options.corpus) {
    if (stats.execs >= maxExecs) break;
    yield* execute(trace, false, true);
    if (!pool.includes(trace)) pool.push(trace);
  }
  yield* flush();
  const seeds = pool.slice();
  while (stats.execs < maxExecs && stats.finds.length < maxFinds && pool.length > 0) {
    if ((stats.execs & 31) === 0 && clock) {
      const now = clock();
      if (now >= deadline) break;
      if (options.onProgress && now >= nextProgress) {
        nextProgress = now + progressEvery;
        stats.elapsedMs = now - started;
        stats.corpusSize = pool.length;
        stats.features = seen.size;
        if (coverage) {
          stats.coverageFeatures = seenCoverage.size;
          stats.coverageBlocks = coverage.probe.blocksRan();
        }
        options.onProgress(stats);
      }
    }
    // Favour the hand-made seeds now and then, so that the pool's drift does not lose them.
    const parent = rng.chance(0.2) ? rng.pick(seeds) : rng.pick(pool);
    const donor = rng.pick(pool);
    let child = mutateTrace(parent, donor, rng);
    if (child === undefined) continue;
    if (rng.chance(0.1)) child = mutateOptions(child, rng);
    yield* execute(child, true, false);
  }
  yield* flush();
  stats.elapsedMs = clock ? clock() - started : 0;
  stats.corpusSize = pool.length;
  stats.features = seen.size;
  if (coverage) {
    stats.coverageFeatures = seenCoverage.size;
    stats.coverageBlocks = coverage.probe.blocksRan();
  }
  stats.pool = pool;
  return stats;
}
