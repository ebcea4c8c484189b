import type { AllocUninitialized } from '../accelerators.ts';
import type { MemoryBudget } from '../memory-budget.ts';

/**
 * Below this size zero-filling a new buffer is cheap next to a call out to an uninitialized allocator
 * (measured on Node 20: zero-filling only shows from tens of KiB, where it costs about as much as the copy).
 */
const UNINITIALIZED_MIN_BYTES = 16 * 1024;

/**
 * Room reserved ahead of the bytes received, when a frame header declares a final message size: a message up to
 * this size gets its exact buffer at once (no regrowth, no copy); a larger one starts here and doubles as its
 * bytes arrive. Without the bound a peer could declare a 16 MiB frame, send one byte, and have the server reserve
 * 16 MiB for it, on every connection it opens (lazily committed memory on Linux, but address space, and an
 * allocation failure once a process limit is reached).
 */
export const RESERVE_AHEAD_BYTES = 1 << 20;

/**
 * Reassembles a message that spans several frames or input chunks into one growing buffer.
 * Growing one buffer (rather than keeping a list of parts) keeps the cost of a tiny fragment at its payload
 * plus the caller's per-frame accounting, and hands the application one contiguous view at the end.
 * Memory held is at most about twice the bytes received, or {@link RESERVE_AHEAD_BYTES} more, and never more
 * than the message size limit. With a {@link MemoryBudget}, the bytes held are taken from it (what the peer sent,
 * not the room reserved ahead: a peer must not spend the budget with a frame header), and given back on
 * {@link take} and {@link clear}.
 */
export class MessageBuffer {
  private buffer: Uint8Array | undefined = undefined;
  private length = 0;
  /** The message's exact final size once a final frame declared it, else 0. */
  private finalSize = 0;
  private readonly allocUninitialized: AllocUninitialized | undefined;
  private readonly uninitializedMinBytes: number;
  /** The largest message allowed (the caller enforces it): doubling stops there rather than overshooting it. */
  private readonly maxSize: number;
  private readonly budget: MemoryBudget | undefined;
  /** The last failed {@link extend} was refused by the budget (rather than by the runtime's allocator). */
  overBudget = false;

  constructor(allocUninitialized?: AllocUninitialized, uninitializedMinBytes = UNINITIALIZED_MIN_BYTES, maxSize = Infinity, budget?: MemoryBudget) {
    this.allocUninitialized = allocUninitialized;
    this.uninitializedMinBytes = uninitializedMinBytes;
    this.maxSize = maxSize;
    this.budget = budget;
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
   * Reserves room for `bytes` more bytes (a hint from a declared frame length, already checked against limits),
   * up to {@link RESERVE_AHEAD_BYTES} ahead of what is held. `final`: the message will be exactly that long, so
   * its last buffer is sized exactly, and may be uninitialized (every byte of it is written before {@link take}
   * hands it out). Returns false when the memory could not be allocated (nothing changed).
   */
  reserve(bytes: number, final = false): boolean {
    const needed = this.length + bytes;
    if (final) this.finalSize = needed;
    return this.grow(Math.min(needed, this.length + RESERVE_AHEAD_BYTES));
  }

  /**
   * Makes room for `count` more bytes and counts them as held; returns where they go in {@link bytes}, or -1
   * when the memory could not be allocated (nothing changed).
   */
  extend(count: number): number {
    const budget = this.budget;
    if (budget !== undefined && !budget.acquire(count)) {
      this.overBudget = true;
      return -1;
    }
    if (!this.grow(this.length + count)) {
      budget?.release(count);
      this.overBudget = false;
      return -1;
    }
    const at = this.length;
    this.length += count;
    return at;
  }

  /** Copies `source[start, end)` to the end of the message; false when the memory could not be allocated. */
  append(source: Uint8Array, start: number, end: number): boolean {
    const count = end - start;
    if (count === 0) return true;
    const at = this.extend(count);
    if (at < 0) return false;
    (this.buffer as Uint8Array).set(count === source.length ? source : source.subarray(start, end), at);
    return true;
  }

  /** Ensures a buffer of at least `needed` bytes: doubling, capped at the final size when it is known, else at the limit. */
  private grow(needed: number): boolean {
    const current = this.buffer;
    if (current !== undefined && current.length >= needed) return true;
    let size = current === undefined ? needed : Math.max(needed, Math.min(current.length * 2, needed + (1 << 24), this.maxSize));
    const final = this.finalSize;
    if (final !== 0) size = Math.min(size, final);
    const next = this.allocate(size, final !== 0 && size === final);
    if (next === undefined) return false;
    if (current !== undefined && this.length > 0) next.set(current.subarray(0, this.length));
    this.buffer = next;
    return true;
  }

  /**
   * A new buffer, uninitialized when it is the message's exact final size (every byte gets written) and large
   * enough to be worth it; undefined when the runtime cannot allocate it (an address-space or memory limit),
   * which the caller turns into a close rather than an exception out of the core.
   */
  private allocate(size: number, exact: boolean): Uint8Array | undefined {
    try {
      return exact && this.allocUninitialized !== undefined && size >= this.uninitializedMinBytes
        ? this.allocUninitialized(size)
        : new Uint8Array(size);
    } catch {
      return undefined;
    }
  }

  /** Hands the assembled bytes to the caller (who owns them from now on) and starts empty. */
  take(): Uint8Array {
    const buffer = this.buffer;
    this.budget?.release(this.length);
    const out = buffer === undefined ? new Uint8Array(0) : this.length === buffer.length ? buffer : buffer.subarray(0, this.length);
    this.buffer = undefined;
    this.length = 0;
    this.finalSize = 0;
    return out;
  }

  /** Drops whatever is held. */
  clear(): void {
    this.budget?.release(this.length);
    this.buffer = undefined;
    this.length = 0;
    this.finalSize = 0;
  }
}
