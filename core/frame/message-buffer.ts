/**
 * Reassembles a message that spans several frames or input chunks into one growing buffer.
 * Growing one buffer (rather than keeping a list of parts) keeps the cost of a tiny fragment at its payload
 * plus the caller's per-frame accounting, and hands the application one contiguous view at the end.
 */
export class MessageBuffer {
  private buffer: Uint8Array | undefined = undefined;
  private length = 0;

  /** Bytes held so far. */
  get size(): number {
    return this.length;
  }

  /** Reserves room for at least `bytes` more bytes (a hint from a declared frame length, already checked against limits). */
  reserve(bytes: number): void {
    const needed = this.length + bytes;
    const current = this.buffer;
    if (current !== undefined && current.length >= needed) return;
    const grown = current === undefined ? needed : Math.max(needed, Math.min(current.length * 2, needed + (1 << 24)));
    const next = new Uint8Array(grown);
    if (current !== undefined && this.length > 0) next.set(current.subarray(0, this.length));
    this.buffer = next;
  }

  /** Copies `source[start, end)` to the end of the message. */
  append(source: Uint8Array, start: number, end: number): void {
    const count = end - start;
    if (count === 0) return;
    this.reserve(count);
    (this.buffer as Uint8Array).set(count === source.length ? source : source.subarray(start, end), this.length);
    this.length += count;
  }

  /** Hands the assembled bytes to the caller (who owns them from now on) and starts empty. */
  take(): Uint8Array {
    const out = this.buffer === undefined ? new Uint8Array(0) : this.buffer.subarray(0, this.length);
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
