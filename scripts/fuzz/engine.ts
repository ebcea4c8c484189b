/**
 * The fuzz loop: mutate traces from a corpus, run each through the core with every invariant checked, keep the
 * inputs that show new behaviour, minimize failures. Feedback is behavioural (event and error sequences, states,
 * statuses, close codes, size buckets), the same on every runtime, instead of code coverage.
 */
import type { ServerConnection, ServerConnectionOptions } from '../../core/connection.ts';
import type { Accelerators } from '../../core/accelerators.ts';
import { MisuseError } from '../../core/errors.ts';
import type { Execution } from '../../core/trace/execute.ts';
import type { Trace } from '../../core/trace/format.ts';
import type { Violation } from '../../core/trace/invariants.ts';
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
}

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

/** Runs the fuzz loop until a bound is hit. Deterministic for a given seed and execution count. */
export function runFuzz(options: FuzzOptions): FuzzStats {
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

  const record = (trace: Trace, violations: Violation[], execution: Execution): void => {
    if (violations.length === 0) {
      let fresh = false;
      for (const f of features(trace, execution)) {
        if (!seen.has(f)) {
          seen.add(f);
          fresh = true;
        }
      }
      if (fresh) {
        if (pool.length >= MAX_POOL) pool[rng.int(pool.length)] = trace;
        else pool.push(trace);
      }
      return;
    }
    const violation = violations[0]!;
    const signature = violationSignature(violation);
    if (known.has(signature)) {
      stats.knownHits++;
      return;
    }
    if (foundKinds.has(signature)) return;
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
  };

  const execute = (trace: Trace, useRandomSplit: boolean): void => {
    let result;
    const before = clock ? clock() : 0;
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
    }
    if (took > SLOW_EXECUTION_MS && !foundKinds.has('slow')) {
      foundKinds.add('slow');
      const violation = { kind: 'slow', message: `one execution took ${Math.round(took)} ms for ${result.execution.inputBytes} input bytes` };
      const find: FuzzFind = { violation, signature: 'slow', reproducible: false, trace, originalRecords: trace.records.length, execution: stats.execs };
      stats.finds.push(find);
      options.onFind?.(find);
    }
    record(trace, result.violations, result.execution);
  };

  for (const trace of options.corpus) {
    if (stats.execs >= maxExecs) break;
    execute(trace, false);
    if (!pool.includes(trace)) pool.push(trace);
  }
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
        options.onProgress(stats);
      }
    }
    // Favour the hand-made seeds now and then, so that the pool's drift does not lose them.
    const parent = rng.chance(0.2) ? rng.pick(seeds) : rng.pick(pool);
    const donor = rng.pick(pool);
    let child = mutateTrace(parent, donor, rng);
    if (child === undefined) continue;
    if (rng.chance(0.1)) child = mutateOptions(child, rng);
    execute(child, true);
  }
  stats.elapsedMs = clock ? clock() - started : 0;
  stats.corpusSize = pool.length;
  stats.features = seen.size;
  return stats;
}
