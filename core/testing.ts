/**
 * Helpers for tests, conformance and fuzzing: build client bytes (requests, masked frames), decode the server's
 * frames, and drive a connection with events collected. Not part of the protocol engine itself.
 */
import { ServerConnection, type ServerConnectionOptions } from './connection.ts';
import type { ConnectionEvent } from './events.ts';
import { concatBytes } from './bytes.ts';
import { MisuseError } from './errors.ts';

export { concatBytes, seededRandom } from './bytes.ts';

const encoder = new TextEncoder();

/** A valid upgrade request (RFC 6455 §1.3 sample key unless overridden). Headers given as `null` are left out. */
export function upgradeRequest(headers: Record<string, string | null> = {}, target = '/chat', version = 'HTTP/1.1'): Uint8Array {
  const base: Record<string, string | null> = {
    Host: 'server.example.com',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  let text = `GET ${target} ${version}\r\n`;
  for (const [name, value] of Object.entries(base)) if (value !== null) text += `${name}: ${value}\r\n`;
  return encoder.encode(text + '\r\n');
}

/** Options of {@link clientFrame}. */
export interface ClientFrameOptions {
  fin?: boolean;
  /** RSV bits as a 3-bit number (4 = RSV1). */
  rsv?: number;
  /** The 4-byte masking key, or `null` for an (invalid) unmasked frame. */
  mask?: readonly number[] | null;
  /** Force the 16-bit or 64-bit length form. */
  lengthForm?: 7 | 16 | 64;
}

/** Encodes one client frame (masked unless `mask: null`). */
export function clientFrame(opcode: number, payload: Uint8Array | string = new Uint8Array(0), options: ClientFrameOptions = {}): Uint8Array {
  const data = typeof payload === 'string' ? encoder.encode(payload) : payload;
  const fin = options.fin ?? true;
  const rsv = options.rsv ?? 0;
  const mask = options.mask === undefined ? [0x37, 0xfa, 0x21, 0x3d] : options.mask;
  const n = data.length;
  const form = options.lengthForm ?? (n < 126 ? 7 : n < 65536 ? 16 : 64);
  const extra = form === 7 ? 0 : form === 16 ? 2 : 8;
  const headerLength = 2 + extra + (mask ? 4 : 0);
  const out = new Uint8Array(headerLength + n);
  out[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  out[1] = (mask ? 0x80 : 0) | (form === 7 ? n : form === 16 ? 126 : 127);
  if (form === 16) {
    out[2] = n >>> 8;
    out[3] = n & 0xff;
  } else if (form === 64) {
    const high = Math.floor(n / 4294967296);
    new DataView(out.buffer).setUint32(2, high);
    new DataView(out.buffer).setUint32(6, n >>> 0);
  }
  let at = 2 + extra;
  if (mask) {
    for (let i = 0; i < 4; i++) out[at + i] = mask[i] as number;
    at += 4;
    for (let i = 0; i < n; i++) out[at + i] = (data[i] as number) ^ (mask[i & 3] as number);
  } else {
    out.set(data, at);
  }
  return out;
}

/** One frame as the server wrote it. */
export interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** Decodes the frames in `bytes` (whole frames only); returns them and the bytes left over. */
export function decodeFrames(bytes: Uint8Array): { frames: DecodedFrame[]; rest: Uint8Array } {
  const frames: DecodedFrame[] = [];
  let at = 0;
  while (bytes.length - at >= 2) {
    const b0 = bytes[at] as number;
    const b1 = bytes[at + 1] as number;
    let length = b1 & 0x7f;
    let p = at + 2;
    if (length === 126) {
      if (bytes.length - p < 2) break;
      length = ((bytes[p] as number) << 8) | (bytes[p + 1] as number);
      p += 2;
    } else if (length === 127) {
      if (bytes.length - p < 8) break;
      const view = new DataView(bytes.buffer, bytes.byteOffset + p, 8);
      length = view.getUint32(0) * 4294967296 + view.getUint32(4);
      p += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const key = masked ? bytes.subarray(p, p + 4) : undefined;
    if (masked) p += 4;
    if (bytes.length - p < length) break;
    const payload = bytes.slice(p, p + length);
    if (key) for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] as number) ^ (key[i & 3] as number);
    frames.push({ fin: (b0 & 0x80) !== 0, rsv: (b0 >> 4) & 7, opcode: b0 & 0x0f, masked, payload });
    at = p + length;
  }
  return { frames, rest: bytes.subarray(at) };
}

/** Splits the server's output into the HTTP response head and the frames after it. */
export function splitResponse(bytes: Uint8Array): { head: string; frames: DecodedFrame[] } {
  let end = -1;
  for (let i = 0; i + 3 < bytes.length; i++) {
    if (bytes[i] === 13 && bytes[i + 1] === 10 && bytes[i + 2] === 13 && bytes[i + 3] === 10) {
      end = i + 4;
      break;
    }
  }
  if (end < 0) return { head: '', frames: decodeFrames(bytes).frames };
  return { head: new TextDecoder('latin1').decode(bytes.subarray(0, end)), frames: decodeFrames(bytes.subarray(end)).frames };
}

/** A connection with its events and writes collected, for tests. */
export interface Harness {
  conn: ServerConnection;
  events: ConnectionEvent[];
  /** Everything written so far (taken after each step). */
  written: Uint8Array[];
  /** Feeds bytes, then collects writes. */
  feed(bytes: Uint8Array, now?: number): void;
  /** Collects pending writes. */
  flush(): void;
  /** All output so far as one buffer. */
  output(): Uint8Array;
}

/**
 * Drives a connection the way an adapter does. `onEvent` can act on events (accept, echo); by default a
 * `request` is accepted at once.
 */
export function harness(options: ServerConnectionOptions = {}, onEvent?: (event: ConnectionEvent, conn: ServerConnection) => void, now = 0): Harness {
  const events: ConnectionEvent[] = [];
  const written: Uint8Array[] = [];
  let conn: ServerConnection;
  const handle = (event: ConnectionEvent): void => {
    events.push(event);
    if (onEvent) onEvent(event, conn);
    else if (event.type === 'request') conn.accept();
  };
  conn = new ServerConnection({ ...options, onEvent: handle }, now);
  const flush = (): void => {
    for (const chunk of conn.takeWrites()) written.push(chunk.slice());
  };
  return {
    conn,
    events,
    written,
    feed(bytes, at) {
      conn.receive(bytes.slice(), at);
      flush();
    },
    flush,
    output: () => concatBytes(written),
  };
}

/** An echo application: accepts every upgrade and sends every message back as it came. */
export function echo(event: ConnectionEvent, conn: ServerConnection): void {
  if (event.type === 'request') conn.accept();
  else if (event.type === 'message' && conn.state === 'open') conn.send(event.data, { binary: event.binary });
}

/** The code of the {@link MisuseError} that `fn` throws; throws itself if `fn` throws anything else or nothing. */
export function misuseCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MisuseError) return error.code;
    throw error;
  }
  throw new Error('expected a MisuseError');
}
