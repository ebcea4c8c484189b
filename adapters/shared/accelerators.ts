/**
 * The core accelerators each runtime gets (see core/accelerators.ts). Chosen by measurement, per runtime:
 * - WebAssembly SIMD unmasking everywhere (about 40 GB/s; the core's JavaScript loop does 7–25 GB/s);
 * - `buffer.isUtf8` everywhere: simdutf on Node and Bun (25–40 GB/s); on Deno 2.9 a slower native check, which
 *   still beats the core's JavaScript validator from 1 KiB on (JSON-like text 3.8–7.8 GB/s against 2.8–4.2;
 *   dense non-ASCII 1.7–2.2 against 1.1–1.3);
 * - `Buffer.allocUnsafeSlow` on Node and Bun only: on Deno it zero-fills and is slower than a plain Uint8Array.
 */
import { Buffer, isUtf8 } from 'node:buffer';
import type { Accelerators } from '../../core/accelerators.ts';
import { wasmUnmask } from './wasm-unmask.ts';

/**
 * Payload bytes from which the WebAssembly unmasker beats each runtime's JIT on the core's JavaScript loop
 * (measured with bench/unmask-crossover.ts: Node's V8 from about 384 bytes, Deno's from about 768, and Bun's
 * JavaScriptCore, whose loop is fastest, from about 8 KiB).
 */
const WASM_UNMASK_MIN_BYTES = { node: 384, deno: 768, bun: 8192 } as const;

/** The accelerators the adapter of `runtime` hands each of its connections' cores. */
export function acceleratorsFor(runtime: 'node' | 'bun' | 'deno'): Accelerators {
  const unmask = wasmUnmask(WASM_UNMASK_MIN_BYTES[runtime]);
  const common: Accelerators = unmask === undefined ? { validateUtf8: isUtf8 } : { unmask, validateUtf8: isUtf8 };
  if (runtime === 'deno') return common;
  return { ...common, allocUninitialized: (size) => Buffer.allocUnsafeSlow(size) };
}
