/** Byte helpers shared across the project (one place per concept). */

const EMPTY_WORDS = new Int32Array(0);

/** Every WordView, so that {@link releaseWordViews} can let go of their buffers. */
const wordViews: WordView[] = [];

/**
 * A 32-bit word view over the whole of the last buffer it was asked for, indexed from the buffer's byte 0, for
 * word-at-a-time loops (unmasking, ASCII scans). One read holds many frames, and a view per frame costs 20–100 ns
 * (most on JavaScriptCore); this makes one per buffer. It holds that buffer only until {@link releaseWordViews}
 * (the receiver calls it after each chunk; a call from elsewhere, such as checking a close reason, holds its
 * buffer until the next chunk): a buffer kept across collections would be promoted to the old generation and
 * cost a full collection to free (measured: 64 KiB messages 40% slower on Node).
 */
export class WordView {
  private buffer: ArrayBufferLike | undefined = undefined;
  private view: Int32Array<ArrayBufferLike> = EMPTY_WORDS;

  constructor() {
    wordViews.push(this);
  }

  /** Words over `buffer` from its byte 0, covering at least up to byte `end` (`end` within the buffer). */
  over(buffer: ArrayBufferLike, end: number): Int32Array<ArrayBufferLike> {
    // Another buffer, or this one resized since (a shrunk buffer leaves the view empty): make a new view.
    if (buffer !== this.buffer || this.view.length < end >>> 2) {
      this.buffer = buffer;
      this.view = new Int32Array(buffer, 0, buffer.byteLength >>> 2);
    }
    return this.view;
  }

  /** Forgets the buffer. */
  release(): void {
    if (this.buffer === undefined) return;
    this.buffer = undefined;
    this.view = EMPTY_WORDS;
  }
}

/** Lets every WordView go of its buffer (at the end of a chunk: the next one is most likely another buffer). */
export function releaseWordViews(): void {
  for (let i = 0; i < wordViews.length; i++) (wordViews[i] as WordView).release();
}

/**
 * An empty chunk list shared by every owner with nothing listed (connection writes, Bun's pending writes): frozen,
 * so a push into it throws instead of leaking into every other owner; an owner swaps in an array of its own on its
 * first chunk. An empty array per connection costs about 64 bytes on Bun (JSC), and most connections are idle.
 */
export const NO_CHUNKS: Uint8Array[] = Object.freeze([]) as unknown as Uint8Array[];

/** Concatenates byte chunks into one new buffer. */
export function concatBytes(chunks: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  let total = 0;
  for (const c of chunks) total += c.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/**
 * A new array holding `src[start, start + length)`, copied by a loop: for a few dozen bytes, cheaper on
 * JavaScriptCore than a `slice` or a view (see `Accelerators.ownArraysUpTo`).
 */
export function copySmall(src: Uint8Array, start: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = src[start + i]!;
  return out;
}

/** A deterministic PRNG (mulberry32) returning numbers in [0, 1): tests, fuzzing and generated data reproduce from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
