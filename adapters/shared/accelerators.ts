/**
 * The core accelerators each runtime gets (see core/accelerators.ts). Chosen by measurement, per runtime
 * (bench/unmask-crossover.ts, bench/core-bench.ts):
 * - unmasking: bufferutil's native code when it is installed and may be loaded (one pass from the read buffer to
 *   the message, about 60 GB/s), else WebAssembly SIMD (about 40 GB/s with its copies in and out); the core's
 *   JavaScript loop does 7–25 GB/s;
 * - UTF-8: `buffer.isUtf8` on Node and Bun (simdutf); on Deno utf-8-validate's native check when it may be loaded
 *   (JSON-like text not seen before: 11–16 GB/s against 2.3–2.6 for Deno 2.9's `isUtf8`), else `isUtf8`, which
 *   still beats the core's JavaScript validator from 1 KiB on;
 * - `Buffer.allocUnsafeSlow` on Node and Bun only: on Deno it zero-fills and is slower than a plain Uint8Array.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { Accelerators, BulkUnmask } from '../../core/accelerators.ts';
import { nativeUnmask } from './native-unmask.ts';
import { nativeUtf8Check } from './native-utf8.ts';
import { wasmUnmask } from './wasm-unmask.ts';

/**
 * Payload bytes from which WebAssembly beats each runtime's JIT on the core's JavaScript loop (measured with
 * bench/unmask-crossover.ts: Node's V8 from about 384 bytes, Deno's from about 768, and Bun's JavaScriptCore,
 * whose loop is fastest, from 8 KiB).
 */
const WASM_UNMASK_MIN_BYTES = { node: 384, deno: 768, bun: 8192 } as const;

/**
 * Payload bytes from which bufferutil's native code beats WebAssembly inside the parser (bench/core-bench.ts):
 * in a tight loop it wins from 1 KiB, but amid the parser's own work its call costs more than WebAssembly's
 * up to a few KiB (1 KiB messages measured 5–10% slower with it).
 */
const NATIVE_UNMASK_MIN_BYTES = { node: 4096, deno: 4096, bun: 8192 } as const;

/**
 * The accelerators the adapter of `runtime` hands each of its connections' cores. `native`: whether native code
 * (bufferutil) may be loaded; false where loading it would make the runtime ask the user for a permission.
 */
export function acceleratorsFor(runtime: 'node' | 'bun' | 'deno', native = true): Accelerators {
  const wasm = wasmUnmask(WASM_UNMASK_MIN_BYTES[runtime]);
  const unmask: BulkUnmask | undefined = (native ? nativeUnmask(NATIVE_UNMASK_MIN_BYTES[runtime], wasm) : undefined) ?? wasm;
  const validateUtf8 = (runtime === 'deno' && native ? nativeUtf8Check() : undefined) ?? isUtf8;
  const common: Accelerators = unmask === undefined ? { validateUtf8 } : { unmask, validateUtf8 };
  if (runtime === 'deno') return common;
  return { ...common, allocUninitialized: (size) => Buffer.allocUnsafeSlow(size) };
}
