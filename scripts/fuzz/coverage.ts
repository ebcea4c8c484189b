/**
 * Code-coverage feedback for the fuzzer: V8-style precise block coverage through `node:inspector`
 * (`Profiler.startPreciseCoverage({ detailed: true, callCount: true })`, then `Profiler.takePreciseCoverage` after
 * each execution, which also restarts the counters at zero). Only ranges of core/ count (not core/trace/ nor
 * core/testing.ts, which are the fuzzer's own oracle and builders); each executed block (coverage-blocks.ts)
 * becomes a feature, hashed with an AFL-style bucket of its count.
 *
 * Works where the runtime implements the inspector's Profiler domain: Node (answers synchronously), Deno (V8,
 * answers in a microtask) and Bun (JavaScriptCore, answers in a microtask, offsets in its transpiled source).
 * Functions compiled before coverage started get no block counters (V8 reports them at function level only, Bun
 * not at all), so start the probe before the core runs; {@link CoverageProbe.functionOnly} counts the exceptions.
 * Scripts are mapped to core/ by their URL (runtimes that load the .ts files) or, for an esbuild bundle, by the
 * `// path/of/module.ts` comments esbuild writes before each module's code.
 * Repeatability: with V8's optimizing tiers off (see CoverageOptions.keepOptimizer) the samples, and so a fuzz run,
 * depend only on the seed and the code: two runs of one build agree (checked up to 200k executions on Node; Bun
 * and Deno with its flags agree too). Another build of the core gives other blocks, so other decisions.
 */
import { readFileSync } from 'node:fs';
import { BlockMap, blockHash, type CoverageRange } from './coverage-blocks.ts';

/** The coverage of one execution, as distinct 32-bit-based hashes. */
export interface CoverageSample {
  /** One per executed core block and count bucket (coverage-blocks.ts countBucket): what guides the fuzzer. */
  readonly features: readonly number[];
  /** One per executed core block, whatever its count. */
  readonly blocks: readonly number[];
}

/** A running coverage session. */
export interface CoverageProbe {
  /** Whether {@link take} answers synchronously (Node), as the synchronous `runFuzz` needs. */
  readonly synchronous: boolean;
  /** The core coverage counted since the previous take; the counters restart at zero. */
  take(): CoverageSample | Promise<CoverageSample>;
  /** Core functions seen without block counters (compiled before the probe started): counted as one range each. */
  readonly functionOnly: number;
  /** Distinct scripts holding core code seen so far (a bundle is one). */
  readonly coreScripts: number;
  /** Core blocks that ran in any sample since the start or {@link forgetRuns} (blocks as learned so far). */
  blocksRan(): number;
  /** Core functions that ran in any sample since the start or {@link forgetRuns}. */
  functionsRan(): number;
  /** Forgets which blocks ran (not the learned block edges). */
  forgetRuns(): void;
  /** Stops coverage and closes the session. */
  stop(): Promise<void>;
  /** Caveats of this runtime's coverage (one line each), for the user. */
  readonly notes: readonly string[];
}

/** What {@link startCoverage} gives: a probe, or why this runtime cannot have one. */
export type CoverageStart = { readonly ok: true; readonly probe: CoverageProbe } | { readonly ok: false; readonly reason: string };

/** Options of {@link startCoverage}. */
export interface CoverageOptions {
  /** Which modules count, by path relative to core/ (default {@link isEngineModule}). */
  isCore?: (pathInCore: string) => boolean;
  /**
   * Keep V8's optimizing compiler (default false: it is turned off with `--no-opt`). V8's optimized code does not
   * keep every coverage counter, so with it the counts depend on what got optimized when (a timing matter):
   * features come and go and runs with one seed differ. Off, the counts are exact and runs repeat; coverage mode
   * then runs at about 60 % of its speed with the optimizer (Node 20: 1960 against 3180 exec/s). Bun ignores this.
   */
  keepOptimizer?: boolean;
  /**
   * Features per block and count bucket (default true, as AFL), or per block alone (false): then only reaching a
   * new block keeps an input, so fewer count variants crowd the pool.
   */
  countBuckets?: boolean;
}

/**
 * The default filter: every module of core/ except core/trace/ (the fuzzer's oracle, replay and invariants) and
 * core/testing.ts (frame builders), whose coverage says nothing about the engine under test.
 */
export function isEngineModule(pathInCore: string): boolean {
  return !pathInCore.startsWith('trace/') && pathInCore !== 'testing.ts';
}

/** A 32-bit hash of a string (FNV-1a), stable across runs and runtimes. */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/**
 * The core regions of an esbuild bundle, as sorted [start, end) pairs of UTF-16 offsets (the unit of the
 * inspector's offsets): each `// <path>.ts` line that esbuild writes before a module's code starts a region that
 * runs to the next such line. `isCore` gets the path relative to core/ (paths like `../core/x.ts` are accepted).
 */
export function bundleCoreRegions(source: string, isCore: (pathInCore: string) => boolean = isEngineModule): number[] {
  const regions: number[] = [];
  const marker = /^\/\/ ([\w.@/-]+\.(?:ts|mts|js|mjs))$/gm;
  let open = -1;
  for (let m = marker.exec(source); m !== null; m = marker.exec(source)) {
    if (open >= 0) {
      regions.push(open, m.index);
      open = -1;
    }
    const path = m[1]!;
    if (path.includes('node_modules/')) continue;
    const at = path.startsWith('core/') ? -1 : path.lastIndexOf('/core/');
    if (at === -1 && !path.startsWith('core/')) continue;
    if (isCore(path.slice(at + '/core/'.length))) open = m.index;
  }
  if (open >= 0) regions.push(open, source.length);
  return regions;
}

/** Whether `offset` lies in one of the sorted [start, end) `regions` (binary search). */
export function inRegions(regions: readonly number[], offset: number): boolean {
  let lo = 0;
  let hi = (regions.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offset < regions[2 * mid]!) hi = mid - 1;
    else if (offset >= regions[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

/** How one script maps to core: all of it, some regions of it (a bundle), or none (`undefined`). */
interface ScriptMap {
  readonly key: number;
  readonly regions: readonly number[] | 'all';
}

/** The inspector protocol's coverage result, as far as it is used here. */
interface RawCoverage {
  result: { scriptId: string; url: string; functions: { ranges: CoverageRange[]; isBlockCoverage: boolean }[] }[];
}

/** The part of `node:inspector`'s Session that is used here (the same on Node, Deno and Bun). */
interface InspectorSession {
  connect(): void;
  disconnect(): void;
  post(method: string, params: object, callback: (error: Error | null, result: unknown) => void): void;
}

/** Maps a script URL to core (see the module comment); undefined when it holds no core code. */
function mapScript(url: string, isCore: (pathInCore: string) => boolean): ScriptMap | undefined {
  if (!url.startsWith('file://')) return undefined;
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    return undefined;
  }
  if (path.includes('/node_modules/')) return undefined;
  const key = hashString(path.slice(path.lastIndexOf('/core/') + 1));
  if (/\.(?:ts|mts)$/.test(path)) {
    const at = path.lastIndexOf('/core/');
    return at >= 0 && isCore(path.slice(at + '/core/'.length)) ? { key, regions: 'all' } : undefined;
  }
  if (!/\.(?:js|mjs)$/.test(path)) return undefined;
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const regions = bundleCoreRegions(source, isCore);
  // A bundle's key is its file name, not its folder, so that the same build hashes alike wherever it lies.
  return regions.length > 0 ? { key: hashString(path.slice(path.lastIndexOf('/') + 1)), regions } : undefined;
}

/**
 * Starts precise block coverage, or says why it cannot. Call it before the core runs for the first time (see the
 * module comment). One probe per process: the counters are the isolate's.
 */
export async function startCoverage(options: CoverageOptions = {}): Promise<CoverageStart> {
  const isCore = options.isCore ?? isEngineModule;
  const notes: string[] = [];
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
  let session: InspectorSession;
  try {
    const inspector = (await import('node:inspector')) as unknown as { Session?: new () => InspectorSession };
    if (typeof inspector.Session !== 'function') return { ok: false, reason: 'node:inspector has no Session' };
    session = new inspector.Session();
    session.connect();
  } catch (error) {
    return { ok: false, reason: `node:inspector is not usable (${(error as Error).message})` };
  }
  let v8: { setFlagsFromString?: (flags: string) => void } | undefined;
  if (options.keepOptimizer !== true && typeof (globalThis as { Bun?: unknown }).Bun === 'undefined') {
    try {
      // Before the core is compiled or optimized: see CoverageOptions.keepOptimizer.
      v8 = (await import('node:v8')) as typeof v8;
      v8?.setFlagsFromString?.('--no-opt --no-maglev');
    } catch {
      // a runtime without node:v8: its counts are what they are
    }
    // Deno accepts setFlagsFromString but its counts show that it has no effect: the flags must come from outside.
    let flags = '';
    try {
      flags = isDeno ? (process.env['DENO_V8_FLAGS'] ?? '') : '';
    } catch {
      // no permission to read the environment
    }
    if (isDeno && !(flags.includes('--no-opt') && flags.includes('--no-maglev'))) {
      notes.push('Deno: unless started with --v8-flags=--no-opt,--no-maglev (or DENO_V8_FLAGS so), coverage counts depend on JIT timing and one seed need not give one run');
    }
  }
  if (isDeno) notes.push('Deno: run with --no-code-cache, else functions loaded from the code cache have no block counters');
  let synchronous = true;
  const post = (method: string, params: object = {}): Promise<unknown> =>
    new Promise((resolve, reject) => {
      let answered = false;
      session.post(method, params, (error, result) => {
        answered = true;
        if (error) reject(error);
        else resolve(result);
      });
      if (!answered) synchronous = false;
    });
  try {
    await post('Profiler.enable');
    await post('Profiler.startPreciseCoverage', { detailed: true, callCount: true });
    // Sample once: a runtime that accepts the commands but reports nothing usable is refused, not faked.
    const first = (await post('Profiler.takePreciseCoverage')) as RawCoverage | undefined;
    if (!first || !Array.isArray(first.result)) throw new Error('Profiler.takePreciseCoverage returned no result');
  } catch (error) {
    try {
      session.disconnect();
      // No coverage after all: give the run its optimizer back.
      v8?.setFlagsFromString?.('--opt');
    } catch {
      // already closed
    }
    return { ok: false, reason: `the inspector's Profiler has no precise coverage here (${(error as Error).message})` };
  }

  const scripts = new Map<string, ScriptMap | null>();
  const functionOnly = new Set<number>();
  const coreKeys = new Set<number>();
  const blocks = new BlockMap(options.countBuckets !== false);
  const digest = (raw: RawCoverage): CoverageSample => {
    const out = { features: [] as number[], blocks: [] as number[] };
    for (const script of raw.result) {
      let map = scripts.get(script.scriptId);
      if (map === undefined) {
        map = mapScript(script.url, isCore) ?? null;
        scripts.set(script.scriptId, map);
        if (map) coreKeys.add(map.key);
      }
      if (map === null) continue;
      for (const fn of script.functions) {
        const own = fn.ranges[0];
        // A bundle region holds whole functions, so the function's own range decides for all of its ranges.
        if (own === undefined || (map.regions !== 'all' && !inRegions(map.regions, own.startOffset))) continue;
        if (blocks.addFunction(map.key, fn.ranges, out) && !fn.isBlockCoverage) functionOnly.add(blockHash(map.key, own.startOffset, own.endOffset));
      }
    }
    return out;
  };
  const takeSync = (): CoverageSample => {
    let raw: RawCoverage | undefined;
    let failure: Error | null = null;
    session.post('Profiler.takePreciseCoverage', {}, (error, result) => {
      failure = error;
      raw = result as RawCoverage;
    });
    if (failure !== null) throw failure;
    if (raw === undefined) throw new Error('Profiler.takePreciseCoverage did not answer synchronously');
    return digest(raw);
  };
  const probe: CoverageProbe = {
    synchronous,
    take: synchronous ? takeSync : async () => digest((await post('Profiler.takePreciseCoverage')) as RawCoverage),
    get functionOnly() {
      return functionOnly.size;
    },
    get coreScripts() {
      return coreKeys.size;
    },
    blocksRan: () => blocks.blocksRan(),
    functionsRan: () => blocks.functionsRan(),
    forgetRuns: () => blocks.forgetRuns(),
    stop: () => stopSession(session, post),
    notes,
  };
  return { ok: true, probe };
}

async function stopSession(session: InspectorSession, post: (method: string) => Promise<unknown>): Promise<void> {
  try {
    await post('Profiler.stopPreciseCoverage');
    await post('Profiler.disable');
  } finally {
    session.disconnect();
  }
}
