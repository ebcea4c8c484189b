/**
 * The core accelerators each runtime gets (see core/accelerators.ts). Chosen by measurement, per runtime
 * (bench/unmask-crossover.ts, bench/core-bench.ts):
 * - unmasking: bufferutil's native code when it is installed and may be loaded (one pass from the read buffer to
 *   the message, about 60 GB/s), else WebAssembly SIMD (about 40 GB/s with its copies in and out); the core's
 *   JavaScript loop does 7–25 GB/s;
 * - UTF-8: utf-8-validate's native check on Node and Deno when it may be loaded (JSON-like text not seen before,
 *   64 KiB–1 MiB: 14.6–15.2 GB/s against 12.6–13.5 for Node 20's `buffer.isUtf8`, and 2.3–2.6 for Deno 2.9's),
 *   else `isUtf8`, which still beats the core's JavaScript validator from 1 KiB on; `isUtf8` on Bun, where both
 *   measured the same (15.4–15.5 GB/s);
 * - `Buffer.allocUnsafeSlow` on Node and Bun only: on Deno it zero-fills and is slower than a plain Uint8Array.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { Accelerators, BulkUnmask } from '../../core/accelerators.ts';
import { nativeUnmask } from './native-unmask.ts';
import { nativeUtf8Check } from './native-utf8.ts';
import { wasmRunUnmask, wasmUnmask } from './wasm-unmask.ts';

/**
 * Payload bytes from which WebAssembly beats each runtime's JIT on the core's JavaScript loop (measured with
 * bench/unmask-crossover.ts: Node's V8 from about 384 bytes, Deno's from about 768, and Bun's JavaScriptCore,
 * whose loop is fastest, from 8 KiB).
 */
const WASM_UNMASK_MIN_BYTES = { node: 384, deno: 768, bun: 8192 } as const;

/**
 * Payload bytes from which bufferutil's native code beats the alternatives (bench/unmask-crossover.ts, confirmed
 * with bench/core-bench.ts on 1 KiB messages: binary 2.2–2.4× → 2.5–2.6× ws on Node, 1.5× → 2.0–2.2× on Deno).
 * It does not look for ASCII, so all-ASCII text then pays a UTF-8 check that WebAssembly's pass would have
 * spared (1 KiB ASCII text 2.5× → 2.2× ws on Node), while text with any other character gains (1.7× → 1.9×).
 * On Bun, JavaScriptCore's own loop is fastest up to 4 KiB.
 */
const NATIVE_UNMASK_MIN_BYTES = { node: 512, deno: 768, bun: 8192 } as const;

/**
 * Bytes from which a run of small frames is unmasked by WebAssembly in one call rather than by the JavaScript loop
 * frame by frame. On Bun the copies in and out, and the views they take, cost more than JavaScriptCore's loop for
 * short runs (echo of 100 × 8 × 16 B: 0.95 → 0.86 µs of server CPU per message; 256 B: no change).
 */
const WASM_RUN_UNMASK_MIN_BYTES = { node: 0, deno: 0, bun: 512 } as const;

/** Bun: messages and output frames up to this size get arrays of their own (see core's `ownArraysUpTo`). */
const BUN_OWN_ARRAYS_UP_TO = 64;

/**
 * The accelerators the adapter of `runtime` hands each of its connections' cores. `native`: whether native code
 * (bufferutil) may be loaded; false where loading it would make the runtime ask the user for a permission.
 */
export function acceleratorsFor(runtime: 'node' | 'bun' | 'deno', native = true): Accelerators {
  const wasm = wasmUnmask(WASM_UNMASK_MIN_BYTES[runtime]);
  const unmask: BulkUnmask | undefined = (native ? nativeUnmask(NATIVE_UNMASK_MIN_BYTES[runtime], wasm) : undefined) ?? wasm;
  const validateUtf8 = (runtime !== 'bun' && native ? nativeUtf8Check() : undefined) ?? isUtf8;
  const unmaskRun = wasmRunUnmask(WASM_RUN_UNMASK_MIN_BYTES[runtime]);
  const common: Accelerators = {
    validateUtf8,
    ...(unmask === undefined ? {} : { unmask }),
    ...(unmaskRun === undefined ? {} : { unmaskRun }),
  };
  if (runtime === 'deno') return common;
  const allocUninitialized = (size: number) => Buffer.allocUnsafeSlow(size);
  if (runtime === 'node') return { ...common, allocUninitialized };
  return { ...common, allocUninitialized, ownArraysUpTo: BUN_OWN_ARRAYS_UP_TO };
}
