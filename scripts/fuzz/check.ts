/**
 * One fuzz execution: run a trace, check every invariant (core/trace/invariants.ts) and the handshake
 * (handshake-check.ts), then run it again re-chunked and check that the events and bytes are the same.
 */
import { ServerConnection, type ServerConnectionOptions } from '../../core/connection.ts';
import type { Accelerators } from '../../core/accelerators.ts';
import { executeTrace, type Execution } from '../../core/trace/execute.ts';
import type { Trace } from '../../core/trace/format.ts';
import { checkInvariants, type Violation } from '../../core/trace/invariants.ts';
import { compareExecutions } from '../../core/trace/split-invariance.ts';
import { pakoInflaters } from './client-deflate.ts';
import { checkHandshake } from './handshake-check.ts';
import { wasmRunUnmask, wasmUnmask } from '../../adapters/shared/wasm-unmask.ts';
import { nativeUnmask } from '../../adapters/shared/native-unmask.ts';
import type { Rng } from './rng.ts';

/** How the second run re-chunks each input record. */
export type SplitStrategy = 'random' | 'bytes' | 'halves';

/** Options of {@link checkTrace}. */
export interface CheckOptions {
  /** Split strategies to compare against the unsplit run (default `['random']` with `rng`, else `['bytes', 'halves']`); `random` needs `rng`. */
  splits?: readonly SplitStrategy[];
  rng?: Rng;
  /** An alternative core (for the injected-bug experiment). */
  createConnection?: (options: ServerConnectionOptions, now: number) => ServerConnection;
  /**
   * Accelerators for the re-chunked runs (the first run stays plain ECMAScript), so that each comparison also
   * checks that they change nothing (see testAccelerators).
   */
  accelerators?: Accelerators;
}

/** The result of one check. */
export interface CheckResult {
  readonly violations: Violation[];
  readonly execution: Execution;
}

function cutsFor(strategy: SplitStrategy, data: Uint8Array, rng: Rng | undefined): number[] {
  const n = data.length;
  if (n < 2) return [];
  switch (strategy) {
    case 'bytes': {
      // Every byte its own chunk; for long chunks, at most 2048 pieces (keeps minimization affordable).
      const step = Math.ceil(n / 2048);
      return Array.from({ length: Math.ceil(n / step) - 1 }, (_, i) => (i + 1) * step);
    }
    case 'halves':
      return [n >> 1];
    case 'random': {
      if (rng === undefined) return [n >> 1];
      if (n <= 64 && rng.chance(0.2)) return Array.from({ length: n - 1 }, (_, i) => i + 1);
      const count = 1 + rng.int(Math.min(4, n - 1));
      const cuts = new Set<number>();
      for (let i = 0; i < count; i++) cuts.add(1 + rng.int(n - 1));
      return [...cuts].sort((a, b) => a - b);
    }
  }
}

/** Runs `trace` once plainly and once per split strategy; returns every violation found. */
export function checkTrace(trace: Trace, options: CheckOptions = {}): CheckResult {
  const base = { takeWrites: 'step' as const, createConnection: options.createConnection };
  const execution = executeTrace(trace, base);
  const violations = checkInvariants(trace, execution, { inflaters: pakoInflaters });
  if (violations.length === 0) violations.push(...checkHandshake(trace, execution));
  if (violations.length > 0) return { violations, execution };
  // In stream mode the number of fragment events follows the chunking, so a command tied to the n-th event
  // (inEvent) lands elsewhere when the input is cut differently: split invariance does not apply.
  if (trace.header.options.receiveMode === 'stream' && trace.records.some((r) => r.kind === 'cmd' && r.inEvent !== undefined)) {
    return { violations, execution };
  }
  const splits = options.splits ?? (options.rng ? ['random'] : ['bytes', 'halves']);
  const accelerators = options.accelerators;
  const create = options.createConnection;
  const splitBase =
    accelerators === undefined
      ? base
      : {
          ...base,
          createConnection: (o: ServerConnectionOptions, now: number) =>
            create ? create({ ...o, accelerators }, now) : new ServerConnection({ ...o, accelerators }, now),
        };
  for (const strategy of splits) {
    // Re-chunked, with every piece the core lets go of overwritten at once (see ExecuteOptions.reuseInput).
    const split = executeTrace(trace, { ...splitBase, reuseInput: true, split: (data) => cutsFor(strategy, data, options.rng) });
    const difference = compareExecutions(execution, split);
    if (difference !== undefined) {
      const how = accelerators === undefined ? strategy : `${strategy}, with accelerators`;
      violations.push({ kind: difference.kind, message: `${difference.message} (split: ${how})` });
      break;
    }
  }
  return { violations, execution };
}

/**
 * Accelerators as the fuzzer uses them, every one from the first byte (so that tiny and cut-up runs take the
 * bulk paths too): bufferutil's native unmasking from 64 bytes with WebAssembly below it (WebAssembly alone
 * without the addon), WebAssembly's unmasking of whole runs of frames, the runtime's native UTF-8 check, and an
 * "uninitialized" allocator that fills with garbage, so that a byte the core forgot to write would show in the
 * compared output.
 */
export function testAccelerators(nativeUtf8?: (bytes: Uint8Array) => boolean): Accelerators {
  const wasm = wasmUnmask(0);
  const unmask = nativeUnmask(64, wasm) ?? wasm;
  const unmaskRun = wasmRunUnmask();
  return {
    ...(unmask === undefined ? {} : { unmask }),
    ...(unmaskRun === undefined ? {} : { unmaskRun }),
    ...(nativeUtf8 === undefined ? {} : { validateUtf8: nativeUtf8 }),
    allocUninitialized: (size) => new Uint8Array(size).fill(0xa5),
    ownArraysUpTo: 64,
    minBytes: { unmask: 0, validateUtf8: 0, allocUninitialized: 0 },
  };
}
