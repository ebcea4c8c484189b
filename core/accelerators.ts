/**
 * Optional faster implementations of work the core also does in plain ECMAScript. The core never looks for
 * them itself (it stays free of runtime APIs); adapters pass what their runtime offers. Every verdict, event
 * and byte written is the same with or without them: only speed differs.
 */
import type { BulkUtf8Check } from './text/utf8.ts';

/**
 * Unmasks `src[start, end)` (RFC 6455 §5.3: XOR with `key`, starting at key byte `keyOffset`) and stores the
 * result at `dst[dstStart, dstStart + end - start)`. `dst` may be `src` with `dstStart === start` (in place);
 * otherwise the two ranges do not overlap, and `src` may be left as it was. With `checkAscii` (text), returns true
 * only if it checked that every unmasked byte is ASCII (below 0x80), which lets text skip its UTF-8 check; false
 * otherwise, and always false without `checkAscii`.
 */
export type BulkUnmask = (
  src: Uint8Array,
  start: number,
  end: number,
  key: Uint8Array,
  keyOffset: number,
  dst: Uint8Array,
  dstStart: number,
  checkAscii: boolean,
) => boolean;

/**
 * Unmasks, in place, `count` whole frame payloads lying in `buf[start, end)` (a run of frames read in one chunk),
 * payload `i` being `buf[payloads[i], payloads[i] + lengths[i])` with the key `masks[i]` (key bytes 0–3 from the
 * least significant byte up). Bytes of the range outside the payloads (headers) may be left as they were or
 * rewritten with their own value. Returns false, having changed nothing, when it declines the run (e.g. too long
 * for it); the core then unmasks payload by payload.
 */
export type RunUnmask = (
  buf: Uint8Array,
  start: number,
  end: number,
  payloads: Int32Array,
  lengths: Int32Array,
  masks: Int32Array,
  count: number,
) => boolean;

/**
 * Returns a fresh `Uint8Array` of exactly `size` bytes that owns its whole `ArrayBuffer` (shares it with
 * nothing), whose content may be uninitialized (e.g. Node's `Buffer.allocUnsafeSlow`). The core uses it only
 * for a message whose final size is known and writes every byte before handing it out, so no stale memory
 * can be seen; it saves zero-filling large messages.
 */
export type AllocUninitialized = (size: number) => Uint8Array;

/** The smallest run, in bytes, each accelerator is used for (each has a measured default). */
export interface AcceleratorThresholds {
  /** Default 256: below it the call costs more than any unmasker saves (the unmasker may set a higher bar). */
  readonly unmask?: number | undefined;
  /** Default 512: below it a native call costs about what the JavaScript check does. */
  readonly validateUtf8?: number | undefined;
  /** Default 16 KiB: below it zero-filling is cheap. */
  readonly allocUninitialized?: number | undefined;
}

/** What a runtime hands the core to do its bulk work faster (option `accelerators` of `ServerConnection`). */
export interface Accelerators {
  /** A one-shot check of complete UTF-8 (e.g. `buffer.isUtf8` of `node:buffer`), used for long runs of text. */
  readonly validateUtf8?: BulkUtf8Check | undefined;
  /** Bulk unmasking (e.g. WebAssembly SIMD), used for long payload runs. */
  readonly unmask?: BulkUnmask | undefined;
  /** Unmasking of a run of whole small frames in one call (e.g. WebAssembly SIMD), for bursts of messages. */
  readonly unmaskRun?: RunUnmask | undefined;
  /** Uninitialized allocation for large messages of known size. */
  readonly allocUninitialized?: AllocUninitialized | undefined;
  /**
   * Up to this many bytes, a received message and an output frame each get an array of their own (filled by a
   * JavaScript loop, or a `set`) instead of a view of a larger buffer (the read chunk, the shared output slab).
   * For runtimes where a view costs more than a small new array: on Bun's JavaScriptCore a view costs about
   * 25 ns and a new 16-byte array 3–4 ns; on V8 it is the other way round. A message with its own array also
   * stops pinning the whole read chunk it came in. Default 0: views.
   */
  readonly ownArraysUpTo?: number | undefined;
  /** Overrides of the thresholds, for tuning, and for tests that want every path taken on small inputs. */
  readonly minBytes?: AcceleratorThresholds | undefined;
}
