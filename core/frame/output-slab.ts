/**
 * Small output chunks (frame headers, small frames) are carved from a shared slab instead of each getting
 * its own ArrayBuffer: allocating an ArrayBuffer costs far more than copying a few hundred bytes (measured
 * on Node 20: 3–5x the throughput for 16–128 byte frames over loopback). A slab is never reused: when it
 * is full a new one is started and the old one is freed by the GC once every chunk cut from it is gone.
 *
 * Consequence for consumers: a chunk is a view that shares its ArrayBuffer with other chunks. Never
 * transfer or detach `chunk.buffer`, and never read past `chunk.byteLength`.
 */

/** Bytes per slab. Bounds the memory one retained small chunk can pin. */
export const OUTPUT_SLAB_BYTES = 32 * 1024;

/** Requests above this many bytes get their own ArrayBuffer (a slab would waste too much of its tail). */
export const OUTPUT_SLAB_MAX_CHUNK = 8 * 1024;

let slab = new Uint8Array(OUTPUT_SLAB_BYTES);
let slabUsed = 0;

/**
 * A new, writable chunk of exactly `length` bytes whose contents are unspecified (callers overwrite it).
 * Chunks start 8-byte aligned so that word-wise masking can reach them without a head loop. Chunks of at most
 * `ownUpTo` bytes get their own array instead (see `Accelerators.ownArraysUpTo`).
 */
export function allocateOutputChunk(length: number, ownUpTo = 0): Uint8Array {
  if (length > OUTPUT_SLAB_MAX_CHUNK || length <= ownUpTo) return new Uint8Array(length);
  if (slabUsed + length > OUTPUT_SLAB_BYTES) {
    slab = new Uint8Array(OUTPUT_SLAB_BYTES);
    slabUsed = 0;
  }
  const chunk = slab.subarray(slabUsed, slabUsed + length);
  slabUsed = (slabUsed + length + 7) & ~7;
  return chunk;
}
