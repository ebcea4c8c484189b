/**
 * Writes one trace per case in the project's trace format v1 (JSON Lines, seen from the server side):
 * what the client sent is what the server received ("in"), what came back is what it wrote ("out").
 */
import type { WireEvent } from './client/fuzzing-client.ts';

/** The header fields of a trace. */
export interface TraceHeader {
  readonly label: string;
  /** The ServerConnection options the server used (in-process), or {} when unknown (remote server). */
  readonly options: Readonly<Record<string, unknown>>;
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Collects the wire events of one connection and renders them as trace lines. */
export class TraceRecorder {
  private readonly lines: string[] = [];
  private header: TraceHeader;

  constructor(header: TraceHeader) {
    this.header = header;
  }

  /** Sets the server options recorded in the header (known once the in-process server is built). */
  setOptions(options: Readonly<Record<string, unknown>>): void {
    this.header = { ...this.header, options };
  }

  /** Adds one wire event. */
  add(event: WireEvent): void {
    const t = Math.round(event.t * 1000) / 1000;
    if (event.type === 'sent') this.lines.push(JSON.stringify({ t, in: base64(event.bytes) }));
    else if (event.type === 'received') this.lines.push(JSON.stringify({ t, out: base64(event.bytes) }));
    else this.lines.push(JSON.stringify({ t, end: true }));
  }

  /** The trace text (one JSON object per line, newline-terminated). */
  text(): string {
    const h = this.header;
    const head = JSON.stringify({ websockTrace: 1, label: h.label, app: 'echo', options: h.options, meta: h.meta });
    return [head, ...this.lines].join('\n') + '\n';
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (no Buffer, so it runs the same everywhere). */
export function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let s = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    s += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + ALPHABET[(v >>> 6) & 63]! + ALPHABET[v & 63]!;
    if (s.length >= 65536) {
      parts.push(s);
      s = '';
    }
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | ((i + 1 < n ? bytes[i + 1]! : 0) << 8);
    s += ALPHABET[v >>> 18]! + ALPHABET[(v >>> 12) & 63]! + (i + 1 < n ? ALPHABET[(v >>> 6) & 63]! : '=') + '=';
  }
  parts.push(s);
  return parts.join('');
}
