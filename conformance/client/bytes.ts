/** Small byte helpers shared by the conformance client and the case catalogue. */

const encoder = new TextEncoder();

/** UTF-8 bytes of a string. */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Bytes from a hex string (whitespace ignored). */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '');
  const out = new Uint8Array(clean.length >>> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex of bytes (for reports; at most `max` bytes, then ` ...`). */
export function toHex(bytes: Uint8Array, max = Infinity): string {
  let s = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) s += bytes[i]!.toString(16).padStart(2, '0');
  return n < bytes.length ? `${s} ...` : s;
}

/** Bytes from the latin-1 code units of a string (each char is one byte, as in the suite's Python 2 literals). */
export function latin1(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}

/** Concatenation of byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `length` bytes made of `pattern` repeated (and cut), like the suite's `payload_len` repetition. */
export function repeatBytes(pattern: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  if (pattern.length === 0 || length === 0) return out;
  out.set(pattern.subarray(0, Math.min(pattern.length, length)));
  // Doubling copy: O(log n) set() calls instead of one per repetition.
  let filled = Math.min(pattern.length, length);
  while (filled < length) {
    const n = Math.min(filled - (filled % pattern.length), length - filled);
    out.copyWithin(filled, 0, n);
    filled += n;
  }
  return out;
}

/** True if both arrays hold the same bytes. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
