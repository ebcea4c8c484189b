// Byte classes of HTTP (RFC 9110 §5.6.2 tokens, §5.5 field values) and a Latin-1 decoder.
// Shared by the request parser, the list parsers and the response builders.

/** 1 at each byte that is an RFC 9110 §5.6.2 `tchar`, 0 elsewhere (128 entries; bytes ≥ 0x80 are never tchar). */
const TCHAR: Uint8Array = (() => {
  const table = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1; // DIGIT
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1; // ALPHA upper
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1; // ALPHA lower
  for (const ch of "!#$%&'*+-.^_`|~") table[ch.charCodeAt(0)] = 1;
  return table;
})();

/** True if the code unit is an RFC 9110 §5.6.2 `tchar`. */
export function isTokenChar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** True if `s` is a non-empty RFC 9110 §5.6.2 token. */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

/**
 * True if the byte may appear inside a field value (RFC 9110 §5.5: VCHAR, SP, HTAB, obs-text).
 * Rejects NUL, CR, LF, every other control and DEL — stricter than "no NUL/CR/LF", and what keeps
 * response splitting and header smuggling out.
 */
export function isFieldValueByte(c: number): boolean {
  return c === 0x09 || (c >= 0x20 && c <= 0xff && c !== 0x7f);
}

/** True if every code unit of `s` is a field-value byte (so `s` is also encodable as Latin-1). */
export function isFieldValue(s: string): boolean {
  return fieldValueKind(s) !== FIELD_INVALID;
}

/** {@link fieldValueKind}: not a valid field value. */
export const FIELD_INVALID = 0;
/** {@link fieldValueKind}: a valid field value of ASCII only (UTF-8 and Latin-1 bytes coincide). */
export const FIELD_ASCII = 1;
/** {@link fieldValueKind}: a valid field value with obs-text (U+0080–U+00FF, written as single Latin-1 bytes). */
export const FIELD_LATIN1 = 2;

/** Classifies `s` as a field value in one pass: {@link FIELD_INVALID}, {@link FIELD_ASCII} or {@link FIELD_LATIN1}. */
export function fieldValueKind(s: string): number {
  const n = s.length;
  let high = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (!isFieldValueByte(c)) return FIELD_INVALID;
    high |= c;
  }
  return high < 0x80 ? FIELD_ASCII : FIELD_LATIN1;
}

/** ASCII decodes identically as UTF-8; the native decoder is the fastest way to make a string on every runtime. */
const asciiDecoder = new TextDecoder();

/** Decodes `bytes[start, end)`, which the caller has checked to be ASCII only. */
export function asciiString(bytes: Uint8Array, start: number, end: number): string {
  return asciiDecoder.decode(bytes.subarray(start, end));
}

/** Code units per `String.fromCharCode.apply` call: keeps far below any engine's argument limit. */
const APPLY_CHUNK = 4096;

/**
 * Decodes `bytes[start, end)` as Latin-1 (byte n → U+00nn). Used instead of `TextDecoder('latin1')`, which the
 * Encoding Standard maps to windows-1252 (0x80–0x9F would change). One string per call, no per-byte allocation.
 */
export function latin1String(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= APPLY_CHUNK) {
    return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
  }
  let out = '';
  for (let i = start; i < end; i += APPLY_CHUNK) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, Math.min(end, i + APPLY_CHUNK)) as unknown as number[]);
  }
  return out;
}

/**
 * Writes the Latin-1 code units of `s` into `out` at `offset`; returns the offset after them.
 * Callers have checked that every code unit is ≤ 0xFF (e.g. with {@link isFieldValue}).
 */
export function writeLatin1(out: Uint8Array, offset: number, s: string): number {
  const n = s.length;
  for (let i = 0; i < n; i++) out[offset + i] = s.charCodeAt(i);
  return offset + n;
}
