/**
 * {@link Transport} over a `Deno.Conn` / `Deno.TlsConn`. Reading is a loop of `conn.read` into a buffer that
 * is handed to the core: after a large read the buffer is reused when the core says no view of it went out,
 * else a fresh one is allocated; a small read is copied out so that the buffer is reused. Writes go through one
 * awaited queue, in order; small chunks of one tick are merged into one `conn.write`. Backpressure is the await.
 */
import type { Transport, TransportSink } from '../shared/transport.ts';
import { WriteQueue } from '../shared/write-queue.ts';
import type { DenoConn } from './deno-api.ts';

/**
 * Read buffer sizes. A pending read holds its buffer for as long as the connection is idle, so it starts
 * small (an idle connection costs 2 KiB) and doubles while reads fill it, halving when they don't. Every
 * `conn.read` is a round trip through Deno's async ops, so large messages want large reads: 256 KiB rather
 * than 64 took the CPU per echoed 1 MiB message from 848 to 572 µs, and per 64 KiB one from 53 to 33 µs.
 */
const MIN_READ = 2 * 1024;
const MAX_READ = 256 * 1024;

/**
 * Largest merged write: a frame header is merged with a payload of up to this size (one copy) rather than
 * written alone, as each `conn.write` is an async op of its own (Deno has no vectored write).
 */
const WRITE_MERGE_LIMIT = 256 * 1024;

/** A Deno connection as a websock transport. */
export class DenoTransport implements Transport {
  readonly conn: DenoConn;
  readonly remoteAddress: string;
  /** The session fed by this transport; set before {@link start}. */
  sink: TransportSink | undefined;
  private readonly queue = new WriteQueue(WRITE_MERGE_LIMIT, true);
  private writing = false;
  private paused = false;
  private wakeReader: (() => void) | undefined;
  private readEnded = false;
  private closing = false;
  private writeClosed = false;
  private closed = false;

  constructor(conn: DenoConn) {
    this.conn = conn;
    let address = '';
    try {
      address = conn.remoteAddr.hostname;
    } catch {
      /* not a network address */
    }
    this.remoteAddress = address;
    try {
      conn.setNoDelay?.(true);
    } catch {
      /* TLS connections may not expose it */
    }
  }

  /** Starts the read loop. */
  start(): void {
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    let size = MIN_READ;
    let buffer = new Uint8Array(size);
    try {
      // Ends at EOF, on error, or when the connection is closed (the pending read then rejects).
      while (!this.closed) {
        if (this.paused) {
          await new Promise<void>((resolve) => (this.wakeReader = resolve));
          continue;
        }
        const n = await this.conn.read(buffer);
        if (n === null) break;
        if (n === 0) continue;
        const nextSize = n === size ? Math.min(size * 2, MAX_READ) : n < size / 4 ? Math.max(size / 2, MIN_READ) : size;
        // A small read is copied out, so that a message the application keeps does not pin a mostly empty buffer.
        const small = n < size / 2;
        const kept = this.sink?.onData(small ? buffer.slice(0, n) : buffer.subarray(0, n)) ?? true;
        // The buffer is reused unless views of it went out (messages that spanned reads were copied, so TLS's
        // record-sized reads of large messages mostly reuse it): a new one is allocated and zero-filled otherwise.
        if ((kept && !small) || nextSize !== size) {
          size = nextSize;
          buffer = new Uint8Array(size);
        }
      }
    } catch {
      /* reset by the peer, TLS failure, or closed by us */
    }
    this.readEnded = true;
    if (!this.closed) this.sink?.onEnd();
    // A peer that half-closed still reads: while the write loop is busy, it goes on, and shuts down (and finishes)
    // once the queue is out. Finishing here would drop the queue: the last replies and our close frame.
    if (this.writeClosed || (this.closing && !this.writing)) this.finish();
  }

  get bufferedAmount(): number {
    return this.queue.bytes;
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.closing || this.closed) return;
    this.queue.push(chunks);
    if (!this.writing) {
      this.writing = true;
      // Start after the current tick so that its writes are merged.
      queueMicrotask(() => void this.writeLoop());
    }
  }

  flushNow(): void {
    // Writes are asynchronous (each `conn.write` is an op): the tick's bytes count until written.
  }

  private async writeLoop(): Promise<void> {
    const queue = this.queue;
    try {
      for (let buffer = queue.peek(); buffer !== undefined && !this.closed; buffer = queue.peek()) {
        const written = await this.conn.write(buffer);
        queue.consume(written);
        if (queue.takeDrainRequest()) this.sink?.onWritable();
      }
    } catch {
      queue.clear();
      this.writing = false;
      this.destroy();
      return;
    }
    this.writing = false;
    if (this.closing) void this.shutdownWrite();
  }

  /** FIN (or TLS close_notify) after the queue is out; the connection is released once the peer's EOF arrives. */
  private async shutdownWrite(): Promise<void> {
    if (this.writeClosed || this.closed) return;
    this.writeClosed = true;
    try {
      await this.conn.closeWrite();
    } catch {
      /* already gone */
    }
    if (this.readEnded || this.paused) this.finish();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    try {
      this.conn.close();
    } catch {
      /* already closed */
    }
    this.wakeReader?.();
    this.sink?.onClosed();
  }

  requestDrain(): void {
    this.queue.requestDrain(() => this.sink?.onWritable());
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    const wake = this.wakeReader;
    this.wakeReader = undefined;
    wake?.();
  }

  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    // The session's timer destroys the connection if the peer never takes the rest or never closes.
    if (!this.writing) void this.shutdownWrite();
  }

  destroy(): void {
    this.closing = true;
    this.finish();
  }
}
