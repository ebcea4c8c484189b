/**
 * The client's opening handshake (RFC 6455 §4.1): the request it writes and the checks on the server's response,
 * including Sec-WebSocket-Accept (SHA-1 of the key and the GUID, base64).
 */
import { createHash } from 'node:crypto';

/** RFC 6455 §1.3: the GUID appended to the key. */
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** The Sec-WebSocket-Accept value the server must answer for `key` (RFC 6455 §4.2.2). */
export function expectedAccept(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64');
}

/** base64 of 16 bytes, the Sec-WebSocket-Key (RFC 6455 §4.1). */
export function makeKey(random16: Uint8Array): string {
  let s = '';
  for (const b of random16) s += String.fromCharCode(b);
  return btoa(s);
}

/** The request head, as bytes. */
export function buildRequest(opts: { host: string; path: string; key: string; extensions?: string; userAgent?: string }): Uint8Array {
  const lines = [
    `GET ${opts.path} HTTP/1.1`,
    `User-Agent: ${opts.userAgent ?? 'websock-conformance/0.1'}`,
    `Host: ${opts.host}`,
    'Upgrade: WebSocket',
    'Connection: Upgrade',
    'Pragma: no-cache',
    'Cache-Control: no-cache',
    `Sec-WebSocket-Key: ${opts.key}`,
    'Sec-WebSocket-Version: 13',
  ];
  if (opts.extensions) lines.push(`Sec-WebSocket-Extensions: ${opts.extensions}`);
  return new TextEncoder().encode(lines.join('\r\n') + '\r\n\r\n');
}

/** A parsed response head. */
export interface ResponseHead {
  readonly status: number;
  readonly headers: ReadonlyMap<string, string>;
}

/** Largest response head accepted (bytes up to and including the blank line). */
export const MAX_RESPONSE_HEAD = 64 * 1024;

/** Finds the end of the head (index after CRLFCRLF) in `buf`, or -1. */
export function findHeadEnd(buf: Uint8Array): number {
  for (let i = 3; i < buf.length; i++) {
    if (buf[i] === 10 && buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) return i + 1;
  }
  return -1;
}

/** Parses a response head (latin-1); header names lower-cased, repeats joined with ", ". */
export function parseResponseHead(head: Uint8Array): ResponseHead | string {
  let text = '';
  for (const b of head) text += String.fromCharCode(b);
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.[01] ([0-9]{3})/.exec(lines[0] ?? '');
  if (!m) return `bad status line: ${JSON.stringify(lines[0])}`;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers.set(name, headers.has(name) ? `${headers.get(name)}, ${value}` : value);
  }
  return { status: Number(m[1]), headers };
}

/** Checks the response against RFC 6455 §4.1 (status 101, Upgrade, Connection, Accept); returns an error or null. */
export function checkResponse(res: ResponseHead, key: string): string | null {
  if (res.status !== 101) return `status ${res.status}, expected 101`;
  if ((res.headers.get('upgrade') ?? '').toLowerCase() !== 'websocket') return 'missing Upgrade: websocket';
  const conn = (res.headers.get('connection') ?? '').toLowerCase().split(',').map((s) => s.trim());
  if (!conn.includes('upgrade')) return 'missing Connection: upgrade';
  if (res.headers.get('sec-websocket-accept') !== expectedAccept(key)) return 'wrong Sec-WebSocket-Accept';
  return null;
}
