import type { AllocUninitialized } from '../accelerators.ts';

/**
 * Below this size zero-filling a new buffer is cheap next to a call out to an uninitialized allocator
 * (measured on Node 20: zero-filling only shows from tens of KiB, where it costs about as much as the copy).
 */
const UNINITIALIZED_MIN_BYTES = 16 * 1024;

/**
 * Reassembles a message that spans several frames or input chunks into one growing buffer.
 * Growing one buffer (rather than keeping a list of parts) keeps the cost of a tiny fragment at its payload
 * plus the caller's per-frame accounting, and hands the application one contiguous view at the end.
 */
export class MessageBuffer {
  private buffer: Uint8Array | undefined = undefined;
  private length = 0;
  private readonly allocUninitialized: AllocUninitialized | undefined;
  private readonly uninitializedMinBytes: number;

  constructor(allocUninitialized?: AllocUninitialized, uninitializedMinBytes = UNINITIALIZED_MIN_BYTES) {
    this.allocUninitialized = allocUninitialized;
    this.uninitializedMinBytes = uninitializedMinBytes;
  }

  /** Bytes held so far. */
  get size(): number {
    return this.length;
  }

  /** The buffer being filled (valid until the next `reserve`, `extend`, `take` or `clear`). */
  get bytes(): Uint8Array {
    return this.buffer as Uint8Array;
  }

  /**
   * Reserves room for at least `bytes` more bytes (a hint from a declared frame length, already checked against
   * limits). `final`: the message will be exactly that long, so it may live in an uninitialized buffer of that
   * size (every byte of it is written before {@link take} hands it out).
   */
  reserve(bytes: number, final = false): void {
    const needed = this.length + bytes;
    const current = this.buffer;
    if (current !== undefined && current.length >= needed) return;
    if (current === undefined && final && this.allocUninitialized !== undefined && needed >= this.uninitializedMinBytes) {
      this.buffer = this.allocUninitialized(needed);
      return;
    }
    const grown = current === undefined ? needed : Math.max(needed, Math.min(current.length * 2, needed + (1 << 24)));
    const next = new Uint8Array(grown);
    if (current !== undefined && this.length > 0) next.set(current.subarray(0, this.length));
    this.buffer = next;
  }

  /** Makes room for `count` more bytes and counts them as held; returns where they go in {@link bytes}. */
  extend(count: number): number {
    this.reserve(count);
    const at = this.length;
    this.length += count;
    return at;
  }

  /** Copies `source[start, end)` to the end of the message. */
  append(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    if (count === 0) return;
    const at = this.extend(count);
    (this.buffer as Uint8Array).set(count === source.length ? source : source.subarray(start, end), at);
  }

  /** Hands the assembled bytes to the caller (who owns them from now on) and starts empty. */
  take(): Uint8Array {
    const buffer = this.buffer;
    const out = buffer === undefined ? new Uint8Array(0) : this.length === buffer.length ? buffer : buffer.subarray(0, this.length);
    this.buffer = undefined;
    this.length = 0;
    return out;
  }

  /** Drops whatever is held. */
  clear(): void {
    this.buffer = undefined;
    this.length = 0;
  }
}
