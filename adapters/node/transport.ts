/**
 * {@link Transport} over a `node:net` / `node:tls` socket. Listeners are shared functions that find the
 * transport through a symbol on the socket (no closures per connection). Writes of one tick are corked, so
 * that a frame header and its payload, and several sends, leave in one writev (one TLS record batch).
 */
import type { Socket } from 'node:net';
import type { Transport, TransportSink } from '../shared/transport.ts';

const kTransport = Symbol('websock.transport');
const EMPTY = new Uint8Array(0);

type TransportSocket = Socket & { [kTransport]?: NodeTransport };

function transportOf(socket: Socket): NodeTransport | undefined {
  return (socket as TransportSocket)[kTransport];
}

function onSocketData(this: Socket, chunk: Uint8Array): void {
  transportOf(this)?.sink?.onData(chunk);
}
function onSocketEnd(this: Socket): void {
  transportOf(this)?.sink?.onEnd();
}
function onSocketError(this: Socket): void {
  // The 'close' event follows; the read side is over either way.
  transportOf(this)?.sink?.onEnd();
}
function onSocketDrain(this: Socket): void {
  transportOf(this)?.sink?.onWritable();
}
function onSocketClose(this: Socket): void {
  const transport = transportOf(this);
  if (transport === undefined) return;
  (this as TransportSocket)[kTransport] = undefined;
  transport.sink?.onClosed();
}
function uncork(transport: NodeTransport): void {
  transport.corked = false;
  transport.socket.uncork();
}
function notifyWritable(transport: NodeTransport): void {
  transport.sink?.onWritable();
}

/** A Node socket as a websock transport. */
export class NodeTransport implements Transport {
  readonly socket: Socket;
  /** The session fed by this transport; set right after construction. */
  sink: TransportSink | undefined;
  /** @internal */
  corked = false;
  private drainCallback: (() => void) | undefined;

  constructor(socket: Socket) {
    this.socket = socket;
    (socket as TransportSocket)[kTransport] = this;
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('error', onSocketError);
    socket.on('drain', onSocketDrain);
    socket.on('close', onSocketClose);
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  write(chunks: readonly Uint8Array[]): void {
    const socket = this.socket;
    if (!socket.writable) return;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    for (const chunk of chunks) socket.write(chunk);
  }

  flushNow(): void {
    if (!this.corked) return;
    // Out now; the rest of the tick is corked again (the uncork already scheduled ends it).
    this.socket.uncork();
    this.socket.cork();
  }

  requestDrain(): void {
    const socket = this.socket;
    if (socket.writableLength === 0 || !socket.writable) {
      process.nextTick(notifyWritable, this);
      return;
    }
    // 'drain' only fires after a write hit Node's own high-water mark; below it, a zero-length write's
    // callback tells when everything before it has been flushed.
    if (socket.writableNeedDrain) return;
    this.drainCallback ??= () => this.sink?.onWritable();
    socket.write(EMPTY, this.drainCallback);
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  close(): void {
    // FIN after the queued bytes; the peer answers with its FIN (RFC 6455 §7.1.1: the server closes first).
    // The session's timer destroys the socket if that does not happen in time.
    if (this.corked) {
      this.corked = false;
      this.socket.uncork();
    }
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}
