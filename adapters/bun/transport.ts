/**
 * {@link Transport} over a `Bun.listen` socket. Bun sockets do not buffer: `write` returns how many bytes the
 * kernel (or the TLS layer) took. Writes of one tick are gathered and flushed in one microtask for all sockets;
 * a run of chunks that starts small (frame headers, short frames) is copied into one staging buffer shared by every socket
 * (Bun copies synchronously, so it is free again as soon as `write` returns) and leaves in one syscall / TLS
 * record. Only what the kernel did not take is kept, in a {@link WriteQueue}, and flushed from `drain`.
 */
import type { Socket } from 'bun';
import type { Transport, TransportSink } from '../shared/transport.ts';
import { MERGE_LIMIT, SMALL_CHUNK, WriteQueue } from '../shared/write-queue.ts';
import { setFlag } from '../../core/flags.ts';
import { NO_CHUNKS } from '../../core/bytes.ts';

/**
 * Largest merged write: a frame header (at most 14 bytes, RFC 6455 §5.2) and a payload of up to 64 KiB leave
 * together. Bun has no writev, and copying 64 KiB costs less than a second syscall (and TCP segment) for the
 * header (measured: 64 KiB echo, 100 × 8: server CPU per message 37 → 30 µs, like Bun.serve's writev).
 */
const STAGING_BYTES = MERGE_LIMIT + 16;

/**
 * Where small chunks are merged before a write. One per process: flushes run one at a time and the socket
 * copies the bytes before `write` returns, so no allocation per write and nothing retained between writes.
 */
const staging = new Uint8Array(STAGING_BYTES);

/** Up to this many bytes, a JavaScript loop copies faster than `set` (a native call; measured on Bun 1.4: 6–8 against 10 ns for 18 bytes). */
const LOOP_COPY_MAX = 64;

/** Copies `chunk` into the staging buffer at `at`. */
function stage(chunk: Uint8Array, at: number): void {
  const length = chunk.byteLength;
  if (length > LOOP_COPY_MAX) {
    staging.set(chunk, at);
    return;
  }
  for (let i = 0; i < length; i++) staging[at + i] = chunk[i]!;
}

// Boolean state of a transport, packed in one number field: 6 fields fit Bun's 64-byte object size class,
// 10 take 112 (measured with bun:jsc heapStats).
const T_SCHEDULED = 1;
const T_DRAIN_WANTED = 2;
const T_CLOSING = 4;
const T_CLOSED = 8;
const T_SECURE = 16;
const T_TLS_READY = 32; // the TLS handshake completed (plain TCP: never needed)
const T_FIN_SENT = 64; // finishWriting ran (a flush scheduled before the close must not send it again)

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
  /** Chunks written this tick, not yet offered to the socket (the caller hands them over); {@link NO_CHUNKS} when none. */
  private pending: Uint8Array[] = NO_CHUNKS;
  private pendingBytes = 0;
  /**
   * What the socket did not take: waits for `drain`. Later writes queue behind it. Created when the kernel first
   * refuses bytes (a queue costs about 130 bytes per socket on Bun, and most sockets never need one).
   */
  private backlog: WriteQueue | undefined = undefined;
  /** T_* bits (see the accessors below). */
  private bits = 0;

  /** `secure`: the socket speaks TLS (its graceful close differs; see finishWriting). */
  constructor(socket: Socket<BunTransport | undefined>, secure = false) {
    this.socket = socket;
    if (secure) this.bits = T_SECURE;
  }

  private bit(flag: number, on: boolean): void {
    this.bits = setFlag(this.bits, flag, on);
  }
  /** @internal Queued in this tick's flush list. */
  get scheduled(): boolean {
    return (this.bits & T_SCHEDULED) !== 0;
  }
  set scheduled(on: boolean) {
    this.bit(T_SCHEDULED, on);
  }
  /** {@link requestDrain} is waiting for some queued bytes to leave. */
  private get drainWanted(): boolean {
    return (this.bits & T_DRAIN_WANTED) !== 0;
  }
  private set drainWanted(on: boolean) {
    this.bit(T_DRAIN_WANTED, on);
  }
  private get closing(): boolean {
    return (this.bits & T_CLOSING) !== 0;
  }
  private set closing(on: boolean) {
    this.bit(T_CLOSING, on);
  }
  private get closed(): boolean {
    return (this.bits & T_CLOSED) !== 0;
  }
  private set closed(on: boolean) {
    this.bit(T_CLOSED, on);
  }
  /** The socket speaks TLS (its graceful close differs; see finishWriting). */
  private get secure(): boolean {
    return (this.bits & T_SECURE) !== 0;
  }

  /** Bun's `handshake` callback: the TLS handshake succeeded. */
  tlsReady(): void {
    this.bit(T_TLS_READY, true);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get bufferedAmount(): number {
    const backlog = this.backlog;
    return backlog === undefined ? this.pendingBytes : this.pendingBytes + backlog.bytes;
  }

  write(chunks: readonly Uint8Array[]): void {
    if (this.closing || this.closed) return;
    let pending = this.pending;
    let bytes = 0;
    for (let i = 0; i < chunks.length; i++) {
      const chunk = chunks[i]!;
      if (chunk.byteLength === 0) continue;
      if (pending === NO_CHUNKS) pending = this.pending = [];
      pending.push(chunk);
      bytes += chunk.byteLength;
    }
    if (bytes === 0) return;
    this.pendingBytes += bytes;
    this.schedule();
  }

  flushNow(): void {
    if (this.pendingBytes > 0) this.flush(); // the flush already scheduled for the tick finds less (or nothing) to do
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

  /** @internal Writes as much as the socket takes; the rest waits for `drain`. */
  flush(): void {
    if (this.closed) return;
    const before = this.bufferedAmount;
    if (this.backlog === undefined || this.backlog.bytes === 0) {
      if (this.pendingBytes > 0) this.writePending();
    } else {
      // Order: this tick's chunks go behind what is still waiting.
      if (this.pendingBytes > 0) this.moveToBacklog(this.takePending(), 0);
      this.writeBacklog();
    }
    // No socket.flush(): Bun writes without MSG_MORE, so on Linux it would only cost a setsockopt(TCP_CORK) syscall.
    if (this.closing && this.bufferedAmount === 0) this.finishWriting();
    if (this.drainWanted && this.bufferedAmount < before) {
      this.drainWanted = false;
      this.sink?.onWritable();
    }
  }

  private takePending(): Uint8Array[] {
    const chunks = this.pending;
    this.pending = NO_CHUNKS;
    this.pendingBytes = 0;
    return chunks;
  }

  /** Nothing waits: one `write` per run of small chunks merged in the staging buffer, or per large chunk. */
  private writePending(): void {
    const chunks = this.takePending();
    const count = chunks.length;
    const socket = this.socket;
    let i = 0;
    while (i < count) {
      const first = chunks[i]!;
      let end = i + 1;
      let size = first.byteLength;
      let buffer = first;
      if (size < SMALL_CHUNK && end < count && size + chunks[end]!.byteLength <= STAGING_BYTES) {
        stage(first, 0);
        do {
          const next = chunks[end++]!;
          stage(next, size);
          size += next.byteLength;
        } while (end < count && size + chunks[end]!.byteLength <= STAGING_BYTES);
        buffer = staging;
      }
      const written = socket.write(buffer, 0, size);
      if (written < 0) return; // closed or shutting down: nothing more will go out
      if (written < size) {
        // The kernel is full. The staging buffer is reused by the next write: keep a copy of its rest.
        this.queue().push([buffer === staging ? staging.slice(written, size) : first.subarray(written)]);
        this.moveToBacklog(chunks, end);
        return;
      }
      i = end;
    }
  }

  private moveToBacklog(chunks: Uint8Array[], from: number): void {
    if (from >= chunks.length) return;
    this.queue().push(from === 0 ? chunks : chunks.slice(from));
  }

  private queue(): WriteQueue {
    return (this.backlog ??= new WriteQueue());
  }

  /** Writes queued bytes (merged by the queue) until the socket stops taking them. */
  private writeBacklog(): void {
    const queue = this.queue();
    for (let buffer = queue.peek(); buffer !== undefined; buffer = queue.peek()) {
      const written = this.socket.write(buffer);
      if (written < 0) {
        queue.clear(); // closed or shutting down: nothing more will go out
        return;
      }
      queue.consume(written);
      if (written < buffer.byteLength) return; // the kernel is full: wait for drain
    }
  }

  /** @internal Bun's `drain`: the kernel takes bytes again. */
  onDrain(): void {
    this.flush();
  }

  /** @internal Bun's `close`. */
  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    this.dropQueued();
    this.sink?.onClosed();
  }

  private dropQueued(): void {
    this.pending = NO_CHUNKS;
    this.pendingBytes = 0;
    this.backlog = undefined;
  }

  requestDrain(): void {
    if (this.bufferedAmount > 0) this.drainWanted = true;
    else queueMicrotask(() => this.sink?.onWritable());
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    if (this.closing || this.closed) return;
    if (this.secure && (this.bits & T_TLS_READY) === 0) {
      // No TLS session yet (the handshake timeout of a peer that never finished it): nothing can be written, and
      // a TLS shutdown would wait for the close timeout. Drop the socket now.
      this.destroy();
      return;
    }
    this.closing = true;
    // FIN once the queue is out (see flush); the session's timer terminates the socket if it never is.
    if (this.bufferedAmount === 0) this.finishWriting();
    else this.schedule();
  }

  /**
   * The FIN after the last bytes. Plain TCP: `end()`. TLS: `shutdown()`, because after `end()` Bun 1.4 waits for
   * the peer's close_notify and ignores `terminate()` while the peer stays silent: the socket would never close.
   */
  private finishWriting(): void {
    if ((this.bits & T_FIN_SENT) !== 0) return;
    this.bit(T_FIN_SENT, true);
    if (this.secure) this.socket.shutdown();
    else this.socket.end();
  }

  destroy(): void {
    if (this.closed) return;
    this.closing = true;
    this.dropQueued();
    this.socket.terminate();
  }
}
