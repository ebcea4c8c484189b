/**
 * The core accelerators each runtime gets (see core/accelerators.ts). Chosen by measurement, per runtime:
 * - WebAssembly SIMD unmasking everywhere (about 40 GB/s; the core's JavaScript loop does 7–25 GB/s);
 * - `buffer.isUtf8` and `Buffer.allocUnsafeSlow` on Node and Bun, where they are native and fast. On Deno 2.9 both
 *   are slower than what the core does without them (isUtf8 runs at about 3.6 GB/s; allocUnsafeSlow zero-fills).
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

export function acceleratorsFor(runtime: 'node' | 'bun' | 'deno'): Accelerators {
  const unmask = wasmUnmask(WASM_UNMASK_MIN_BYTES[runtime]);
  const common: Accelerators = unmask === undefined ? {} : { unmask };
  if (runtime === 'deno') return common;
  return { ...common, validateUtf8: isUtf8, allocUninitialized: (size) => Buffer.allocUnsafeSlow(size) };
}
