// Standard base64 (RFC 4648 §4, padded) without runtime helpers (no Buffer, no atob/btoa): the core is pure ECMAScript.
import { latin1String } from './chars.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Alphabet as char codes, index → code. */
export const BASE64_CODES: Uint8Array = (() => {
  const codes = new Uint8Array(64);
  for (let i = 0; i < 64; i++) codes[i] = ALPHABET.charCodeAt(i);
  return codes;
})();

/** char code → 6-bit value, or -1 for anything outside the alphabet (including '='). */
const DECODE: Int8Array = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 64; i++) table[ALPHABET.charCodeAt(i)] = i;
  return table;
})();

const PAD = 0x3d; // '='

/** Encodes bytes as padded standard base64 (RFC 4648 §4). */
export function encodeBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = BASE64_CODES[v >>> 18]!;
    out[o++] = BASE64_CODES[(v >>> 12) & 63]!;
    out[o++] = BASE64_CODES[(v >>> 6) & 63]!;
    out[o++] = BASE64_CODES[v & 63]!;
  }
  const rest = n - i;
  if (rest === 1) {
    const v = bytes[i]! << 16;
    out[o++] = BASE64_CODES[v >>> 18]!;
    out[o++] = BASE64_CODES[(v >>> 12) & 63]!;
    out[o++] = PAD;
    out[o++] = PAD;
  } else if (rest === 2) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out[o++] = BASE64_CODES[v >>> 18]!;
    out[o++] = BASE64_CODES[(v >>> 12) & 63]!;
    out[o++] = BASE64_CODES[(v >>> 6) & 63]!;
    out[o++] = PAD;
  }
  return latin1String(out, 0, o);
}

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? DECODE[c]! : -1;
}

/**
 * The number of bytes `s` decodes to if it is canonical padded base64, else -1. Allocates nothing, so
 * handshake validation can check a `Sec-WebSocket-Key` cheaply (RFC 6455 §4.2.1 item 5).
 * Canonical: length a multiple of 4, only alphabet characters, `=` only as the last one or two characters,
 * and the unused low bits of the last data character zero.
 */
export function base64DecodedLength(s: string): number {
  const n = s.length;
  if (n % 4 !== 0) return -1;
  if (n === 0) return 0;
  let pad = 0;
  if (s.charCodeAt(n - 1) === PAD) pad = s.charCodeAt(n - 2) === PAD ? 2 : 1;
  const dataChars = n - pad;
  for (let i = 0; i < dataChars; i++) if (sextet(s, i) < 0) return -1;
  // Non-canonical encodings carry data in the bits that padding discards; refuse them.
  const last = sextet(s, dataChars - 1);
  if (pad === 1 && (last & 0x03) !== 0) return -1;
  if (pad === 2 && (last & 0x0f) !== 0) return -1;
  return (n / 4) * 3 - pad;
}

/** Decodes canonical padded base64; `undefined` on any bad character, length or padding (never throws). */
export function decodeBase64Strict(s: string): Uint8Array | undefined {
  const length = base64DecodedLength(s);
  if (length < 0) return undefined;
  const out = new Uint8Array(length);
  let o = 0;
  const n = s.length;
  for (let i = 0; i < n; i += 4) {
    const a = sextet(s, i);
    const b = sextet(s, i + 1);
    const c = sextet(s, i + 2); // -1 for '='
    const d = sextet(s, i + 3);
    out[o++] = (a << 2) | (b >>> 4);
    if (c >= 0) out[o++] = ((b & 15) << 4) | (c >>> 2);
    if (d >= 0) out[o++] = ((c & 3) << 6) | d;
  }
  return out;
}
