/**
 * {@link Transport} over a `Bun.listen` socket. Bun sockets do not buffer: `write` returns how many bytes the
 * kernel took. The rest is queued here and flushed from the `drain` callback. Writes of one tick are
 * gathered and flushed in one microtask for all sockets, small chunks merged, so that a frame header and
 * its payload (and several sends) leave in one syscall / TLS record.
 */
import type { Socket } from 'bun';
import type { Transport, TransportSink } from '../shared/transport.ts';
import { WriteQueue } from '../shared/write-queue.ts';

let dirty: BunTransport[] = [];
let flushScheduled = false;

function flushDirty(): void {
  flushScheduled = false;
  const list = dirty;
  dirty = [];
  for (const transport of list) {
    transport.scheduled = false;
    transport.flush();
  }
}

/** A Bun socket as a websock transport. */
export class BunTransport implements Transport {
  readonly socket: Socket<BunTransport | undefined>;
  /** The session fed by this transport; set right after construction. */
  sink: TransportSink | undefined;
  /** @internal Queued in this tick's flush list. */
  scheduled = false;
  private readonly queue = new WriteQueue();
  private closing = false;
  private closed = false;

  constructor(socket: Socket<BunTransport | undefined>) {
    this.socket = socket;
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get bufferedAmount(): number {
    return this.queue.bytes;
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.closing || this.closed) return;
    this.queue.push(chunks);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    dirty.push(this);
    if (!flushScheduled) {
      flushScheduled = true;
      queueMicrotask(flushDirty);
    }
  }

  /** @internal Writes as much as the kernel takes; the rest waits for `drain`. */
  flush(): void {
    if (this.closed) return;
    const queue = this.queue;
    const before = queue.bytes;
    for (let buffer = queue.peek(); buffer !== undefined; buffer = queue.peek()) {
      const written = this.socket.write(buffer);
      if (written < 0) {
        queue.clear(); // closed or shutting down: nothing more will go out
        break;
      }
      queue.consume(written);
      if (written < buffer.byteLength) break; // the kernel is full: wait for drain
    }
    // Bun's socket.write is one syscall per call (measured: no corking inside `data` callbacks), hence the
    // merging above; flush() pushes out anything a TLS socket still holds.
    this.socket.flush();
    if (queue.bytes === 0 && this.closing) this.socket.end();
    if (queue.bytes < before && queue.takeDrainRequest()) this.sink?.onWritable();
  }

  /** @internal Bun's `drain`: the kernel takes bytes again. */
  onDrain(): void {
    this.flush();
  }

  /** @internal Bun's `close`. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue.clear();
    this.sink?.onClosed();
  }

  requestDrain(): void {
    this.queue.requestDrain(() => this.sink?.onWritable());
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.closing || this.closed) return;
    this.closing = true;
    // FIN once the queue is out (see flush); the session's timer terminates the socket if it never is.
    if (this.queue.bytes === 0) this.socket.end();
    else this.schedule();
  }

  destroy(): void {
    if (this.closed) return;
    this.closing = true;
    this.queue.clear();
    this.socket.terminate();
  }
}
