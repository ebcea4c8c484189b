/**
 * A bulk unmasker (the core's `BulkUnmask`) on the native `mask`/`unmask` of the `bufferutil` package, the same
 * addon `ws` uses, when it is installed (an optional dependency; Node-API, so it loads on Node, Bun and Deno).
 * Where `ws` copies a payload and then unmasks the copy in place, this unmasks on the way to the destination:
 * one pass instead of two, and no trip through WebAssembly memory (which costs a copy in and a copy out).
 * Measured on 64 KiB with hot caches: about 62 GB/s, against 40 for WebAssembly SIMD with its copies and 43 for
 * ws's copy-then-unmask (bench/unmask-crossover.ts compares them per size on each runtime).
 *
 * The addon reads and writes raw memory with no bounds checks, so every call is checked here first: a range
 * outside its buffer is a bug in the caller and throws rather than reaching native code.
 */
import type { BulkUnmask } from '../../core/accelerators.ts';
import { unmask } from '../../core/frame/mask.ts';
import { loadNativeAddon } from './native-addon.ts';

/** bufferutil's native exports (its `src/bufferutil.c`). */
interface NativeMasker {
  /** `output[offset + i] = source[i] ^ mask[i & 3]` for `i < length`. */
  mask(source: Uint8Array, mask: Uint8Array, output: Uint8Array, offset: number, length: number): void;
  /** `buffer[i] ^= mask[i & 3]` for every byte of `buffer`. */
  unmask(buffer: Uint8Array, mask: Uint8Array): void;
}

let loaded: NativeMasker | null | undefined;

/** bufferutil's binary, once it has given a known answer. */
function binding(): NativeMasker | null {
  if (loaded !== undefined) return loaded;
  const native = loadNativeAddon('bufferutil') as Partial<NativeMasker> | null;
  loaded = native !== null && typeof native.mask === 'function' && typeof native.unmask === 'function' && selfTest(native as NativeMasker)
    ? (native as NativeMasker)
    : null;
  return loaded;
}

/** A known answer (RFC 6455 §5.7, "Hello"), into a view that starts mid-buffer, before the addon is trusted. */
function selfTest(native: NativeMasker): boolean {
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  const out = new Uint8Array(8);
  native.mask(new TextEncoder().encode('Hello'), key, out, 1, 5);
  const view = out.subarray(1, 6);
  native.unmask(view, key);
  const hello = [...new TextEncoder().encode('Hello')];
  return out[0] === 0 && out[6] === 0 && [...view].every((b, i) => b === hello[i]);
}

/** The 4 key bytes starting at `offset`: the addon always starts at key byte 0. */
const rotated = new Uint8Array(4);

/**
 * The native unmasker, or `undefined` when bufferutil's binary is not available. Runs shorter than `minBytes` go
 * to `smaller` (e.g. the WebAssembly unmasker), or to the core's JavaScript loop without one: below some size a
 * native call costs more than it saves (see acceleratorsFor). Never reports ASCII itself (it does not look):
 * text is then checked by the UTF-8 validator, which is fast on ASCII.
 */
export function nativeUnmask(minBytes = 0, smaller?: BulkUnmask): BulkUnmask | undefined {
  const native = binding();
  if (native === null) return undefined;
  return (src, start, end, key, keyOffset, dst, dstStart, checkAscii) => {
    const n = end - start;
    if (n < minBytes) {
      if (smaller !== undefined) return smaller(src, start, end, key, keyOffset, dst, dstStart, checkAscii);
      unmask(src, start, end, key, keyOffset);
      if (dst !== src || dstStart !== start) dst.set(src.subarray(start, end), dstStart);
      return false;
    }
    if (!(start >= 0 && end <= src.length && dstStart >= 0 && dstStart + n <= dst.length && key.length >= 4)) {
      throw new RangeError('unmask: range outside its buffer');
    }
    let k = key;
    if (keyOffset !== 0) {
      for (let i = 0; i < 4; i++) rotated[i] = key[(keyOffset + i) & 3] as number;
      k = rotated;
    }
    // A view costs 20–40 ns: the caller's own when it covers the run.
    const source = start === 0 && n === src.length ? src : new Uint8Array(src.buffer, src.byteOffset + start, n);
    if (dst === src && dstStart === start) native.unmask(source, k);
    else native.mask(source, k, dst, dstStart, n);
    return false;
  };
}
