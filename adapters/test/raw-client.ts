/**
 * A minimal WebSocket client for the adapter tests, over node:net / node:tls (available on Node, Bun and
 * Deno). Raw on purpose: it can send any bytes (partial frames, bad codes), stop reading, or vanish mid-frame.
 */
import * as net from 'node:net';
import * as tls from 'node:tls';
import { createHash, randomBytes } from 'node:crypto';
import { type ClientSocket, DenoTlsSocket } from './deno-tls-socket.ts';

/** A frame as received. */
export interface Frame {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
  payload: Uint8Array;
}

/** The HTTP response head (and, for a refusal, the body up to the close). */
export interface HttpHead {
  status: number;
  headers: Map<string, string>;
}

export interface ConnectOptions {
  path?: string;
  protocols?: string[];
  origin?: string;
  extensions?: string;
  headers?: Record<string, string>;
  /** Bytes to send right after the request head, in the same write. */
  extra?: Uint8Array;
  /**
   * On Deno over TLS: connect with `Deno.connectTls`, trusting this certificate (PEM), so that `socket.pause()`
   * really stops reading (see deno-tls-socket.ts). Ignored elsewhere.
   */
  denoTlsCa?: string;
}

const onDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';

const TIMEOUT_MS = 5000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}

/** Encodes a client frame (masked unless `mask: false`). */
export function encodeFrame(opcode: number, payload: Uint8Array, options: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {}): Uint8Array {
  const fin = options.fin ?? true;
  const mask = options.mask ?? true;
  const len = payload.byteLength;
  const lenBytes = len < 126 ? 0 : len < 65536 ? 2 : 8;
  const head = 2 + lenBytes + (mask ? 4 : 0);
  const out = new Uint8Array(head + len);
  out[0] = (fin ? 0x80 : 0) | (options.rsv1 ? 0x40 : 0) | opcode;
  const lenCode = len < 126 ? len : len < 65536 ? 126 : 127;
  out[1] = (mask ? 0x80 : 0) | lenCode;
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(2, len);
  if (lenBytes === 8) view.setUint32(6, len);
  if (mask) {
    const key = randomBytes(4);
    out.set(key, 2 + lenBytes);
    for (let i = 0; i < len; i++) out[head + i] = payload[i]! ^ key[i & 3]!;
  } else {
    out.set(payload, head);
  }
  return out;
}

/** The accept key for a client key (RFC 6455 §4.2.2). */
export function acceptKeyFor(key: string): string {
  return createHash('sha1').update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
}

/** A raw test client. */
export class RawClient {
  readonly socket: ClientSocket;
  key = '';
  /** The response head, once read. */
  response: HttpHead | undefined;
  private buffer: Uint8Array = new Uint8Array(0);
  private waiter: (() => void) | undefined;
  ended = false;
  /** Resolves when the socket has closed. */
  readonly closed: Promise<void>;

  private constructor(socket: ClientSocket) {
    this.socket = socket;
    this.closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Uint8Array) => {
      this.buffer = concat(this.buffer, new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
      this.wake();
    });
    socket.on('end', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('close', () => {
      this.ended = true;
      this.wake();
    });
    socket.on('error', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiter;
    this.waiter = undefined;
    w?.();
  }

  /** Opens a TCP or TLS connection (no handshake yet). */
  static async open(port: number, secure: boolean, options: Pick<ConnectOptions, 'denoTlsCa'> = {}): Promise<RawClient> {
    if (secure && onDeno && options.denoTlsCa !== undefined) return new RawClient(await DenoTlsSocket.connect(port, options.denoTlsCa));
    return await new Promise<RawClient>((resolve, reject) => {
      const socket = secure
        ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost', ALPNProtocols: ['http/1.1'] })
        : net.connect({ host: '127.0.0.1', port });
      const client = new RawClient(socket);
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        socket.setNoDelay(true);
        resolve(client);
      });
      socket.once('error', reject);
    });
  }

  /** Opens and sends an upgrade request; does not wait for the response. */
  static async start(port: number, secure: boolean, options: ConnectOptions = {}): Promise<RawClient> {
    const client = await RawClient.open(port, secure, options);
    client.sendUpgrade(options);
    return client;
  }

  /** Opens, upgrades and checks for 101. */
  static async connect(port: number, secure: boolean, options: ConnectOptions = {}): Promise<RawClient> {
    const client = await RawClient.start(port, secure, options);
    const head = await client.readHead();
    if (head.status !== 101) {
      client.destroy();
      throw new Error(`expected 101, got ${head.status}`);
    }
    return client;
  }

  /** Writes an upgrade request. */
  sendUpgrade(options: ConnectOptions = {}): void {
    this.key = randomBytes(16).toString('base64');
    const lines = [
      `GET ${options.path ?? '/'} HTTP/1.1`,
      'Host: 127.0.0.1',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Key: ${this.key}`,
      'Sec-WebSocket-Version: 13',
    ];
    if (options.protocols) lines.push(`Sec-WebSocket-Protocol: ${options.protocols.join(', ')}`);
    if (options.origin) lines.push(`Origin: ${options.origin}`);
    if (options.extensions) lines.push(`Sec-WebSocket-Extensions: ${options.extensions}`);
    for (const [k, v] of Object.entries(options.headers ?? {})) lines.push(`${k}: ${v}`);
    const head = encoder.encode(lines.join('\r\n') + '\r\n\r\n');
    this.write(options.extra ? concat(head, options.extra) : head);
  }

  write(bytes: Uint8Array | string): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Waits until `ready()` holds or the socket ended. */
  private async waitFor(ready: () => boolean, timeoutMs = TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!ready()) {
      if (this.ended) return;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('raw client: timed out');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Reads the HTTP response head. */
  async readHead(timeoutMs = TIMEOUT_MS): Promise<HttpHead> {
    const find = (): number => {
      const b = this.buffer;
      for (let i = 3; i < b.byteLength; i++) if (b[i - 3] === 13 && b[i - 2] === 10 && b[i - 1] === 13 && b[i] === 10) return i + 1;
      return -1;
    };
    await this.waitFor(() => find() !== -1, timeoutMs);
    const end = find();
    if (end === -1) throw new Error('raw client: connection ended before the response head');
    const text = decoder.decode(this.buffer.subarray(0, end));
    this.buffer = this.buffer.subarray(end);
    const [statusLine, ...rest] = text.split('\r\n');
    const headers = new Map<string, string>();
    for (const line of rest) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    this.response = { status: Number(statusLine!.split(' ')[1]), headers };
    return this.response;
  }

  /** Everything until the peer closes (e.g. a refusal's body). */
  async readToEnd(timeoutMs = TIMEOUT_MS): Promise<string> {
    await this.waitFor(() => false, timeoutMs);
    const text = decoder.decode(this.buffer);
    this.buffer = new Uint8Array(0);
    return text;
  }

  /** Parses one frame from the buffer, if complete. */
  private parseFrame(): Frame | undefined {
    const b = this.buffer;
    if (b.byteLength < 2) return undefined;
    let len = b[1]! & 0x7f;
    let offset = 2;
    if (len === 126) {
      if (b.byteLength < 4) return undefined;
      len = (b[2]! << 8) | b[3]!;
      offset = 4;
    } else if (len === 127) {
      if (b.byteLength < 10) return undefined;
      len = new DataView(b.buffer, b.byteOffset).getUint32(6);
      offset = 10;
    }
    if (b[1]! & 0x80) throw new Error('raw client: masked frame from the server');
    if (b.byteLength < offset + len) return undefined;
    const frame = { fin: (b[0]! & 0x80) !== 0, rsv1: (b[0]! & 0x40) !== 0, opcode: b[0]! & 0x0f, payload: b.slice(offset, offset + len) };
    this.buffer = b.subarray(offset + len);
    return frame;
  }

  /** The next frame; throws on timeout, or if the connection ended first. */
  async nextFrame(timeoutMs = TIMEOUT_MS): Promise<Frame> {
    let frame: Frame | undefined;
    await this.waitFor(() => (frame = this.parseFrame()) !== undefined, timeoutMs);
    if (frame === undefined) throw new Error('raw client: connection ended before a frame');
    return frame;
  }

  /** The next frame, or undefined if the connection ends first. */
  async nextFrameOrEnd(timeoutMs = TIMEOUT_MS): Promise<Frame | undefined> {
    let frame: Frame | undefined;
    await this.waitFor(() => (frame = this.parseFrame()) !== undefined, timeoutMs);
    return frame;
  }

  /** The next data message (fragments joined); control frames other than close are skipped (pings answered). */
  async nextMessage(timeoutMs = TIMEOUT_MS): Promise<{ opcode: number; data: Uint8Array }> {
    let opcode = -1;
    let data: Uint8Array = new Uint8Array(0);
    for (let i = 0; i < 100_000; i++) {
      const frame = await this.nextFrame(timeoutMs);
      if (frame.opcode === 9) {
        this.sendFrame(10, frame.payload);
        continue;
      }
      if (frame.opcode === 10) continue;
      if (frame.opcode === 8) throw new Error(`raw client: close frame ${closeCodeOf(frame)}`);
      if (opcode === -1) opcode = frame.opcode;
      data = concat(data, frame.payload);
      if (frame.fin) return { opcode, data };
    }
    throw new Error('raw client: too many fragments');
  }

  /** The next data message as text. */
  async nextText(timeoutMs = TIMEOUT_MS): Promise<string> {
    const message = await this.nextMessage(timeoutMs);
    if (message.opcode !== 1) throw new Error(`expected text, got opcode ${message.opcode}`);
    return decoder.decode(message.data);
  }

  sendFrame(opcode: number, payload: Uint8Array | string, options: { fin?: boolean; mask?: boolean; rsv1?: boolean } = {}): void {
    this.write(encodeFrame(opcode, typeof payload === 'string' ? encoder.encode(payload) : payload, options));
  }

  sendText(text: string): void {
    this.sendFrame(1, text);
  }

  sendBinary(data: Uint8Array): void {
    this.sendFrame(2, data);
  }

  sendClose(code?: number, reason = ''): void {
    if (code === undefined) {
      this.sendFrame(8, new Uint8Array(0));
      return;
    }
    const r = encoder.encode(reason);
    const payload = new Uint8Array(2 + r.byteLength);
    payload[0] = code >> 8;
    payload[1] = code & 0xff;
    payload.set(r, 2);
    this.sendFrame(8, payload);
  }

  /** Waits for the server's close frame (skipping data), returns its code and reason. */
  async expectClose(timeoutMs = TIMEOUT_MS): Promise<{ code: number; reason: string }> {
    for (let i = 0; i < 100_000; i++) {
      const frame = await this.nextFrame(timeoutMs);
      if (frame.opcode === 8) return { code: closeCodeOf(frame), reason: decoder.decode(frame.payload.subarray(2)) };
    }
    throw new Error('raw client: no close frame');
  }

  /** Resolves when the socket has closed (throws on timeout). */
  async waitClosed(timeoutMs = TIMEOUT_MS): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.closed,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('raw client: socket did not close')), timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** The code of a close frame (1005 when empty). */
export function closeCodeOf(frame: Frame): number {
  return frame.payload.byteLength >= 2 ? (frame.payload[0]! << 8) | frame.payload[1]! : 1005;
}
