// Incremental, bounded parser of an HTTP/1.1 request head (RFC 9112 §2–§5), for the WebSocket opening handshake.
//
// Choices (documented for callers):
// - Lines must end in CRLF. A bare LF, or a CR not followed by LF, is a 400: RFC 9112 §2.2 lets a recipient accept
//   a bare LF, but refusing it keeps us in step with every strict intermediary (no disagreement about where the head
//   ends, which is what request smuggling feeds on). Real WebSocket clients always send CRLF.
// - Empty lines before the request line are skipped (RFC 9112 §2.2 "SHOULD ignore at least one"); they count
//   towards `maxHeaderBytes`.
// - Exactly one SP between the parts of the request line (RFC 9112 §3); the version must be `HTTP/d.d`.
// - Field values may hold HTAB, SP, VCHAR and obs-text (0x80–0xFF, kept as Latin-1 characters); any other control
//   byte (NUL, CR, LF, DEL…) is a 400. A field line starting with whitespace (obs-fold, or whitespace before the first
//   field) is a 400 (RFC 9112 §5.2, §2.2). Whitespace between a field name and the colon is a 400 (RFC 9112 §5.1).
// - The limits are checked on the byte that passes them, so the verdict never waits for the end of a line or head,
//   and the result is the same however the input is split.
import type { PeerErrorCode } from '../errors.ts';
import { MisuseError } from '../errors.ts';
import { asciiString, isFieldValueByte, isTokenChar, latin1String } from './chars.ts';
import { knownHeaderName } from './known-names.ts';

/** A syntactically valid request head; semantics (method, headers) are checked by `validateUpgrade`. */
export interface RequestHead {
  method: string;
  target: string;
  /** `major.minor`, e.g. `1.1`. The major version is always 1 (others are refused with 505). */
  httpVersion: string;
  /** Header fields in arrival order; names as sent, values trimmed of OWS, bytes as Latin-1 characters. */
  rawHeaders: Array<[string, string]>;
}

/** The outcome of one {@link RequestHeadParser.push}. */
export type HeadParseResult =
  | { kind: 'incomplete' }
  /** `consumed`: how many bytes of the chunk just pushed belong to the head; the rest follow the head (frames). */
  | { kind: 'complete'; head: RequestHead; consumed: number }
  /** 400 malformed, 431 over `maxHeaderBytes`/`maxHeaderCount`, 505 HTTP major version other than 1. */
  | { kind: 'error'; status: number; code: PeerErrorCode; reason: string };

const INCOMPLETE: HeadParseResult = Object.freeze({ kind: 'incomplete' }) as HeadParseResult;

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

/** Lines carried over between chunks start at this capacity and double, never beyond `maxHeaderBytes`. */
const INITIAL_LINE_CAPACITY = 256;
/** Copies up to this many bytes with a loop rather than `set(subarray)`, which allocates a view. */
const SMALL_COPY = 32;

/**
 * Parses the request head from bytes pushed as they arrive (sans-I/O). Memory is bounded by `maxHeaderBytes`
 * (only a line split across chunks is copied); time is linear in the input; there are no regular expressions.
 *
 * Once `push` has returned `complete` or `error`, the parser is finished: pushing again throws
 * `MisuseError('INVALID_STATE')`. Bytes after the head (in the same chunk, from `consumed` on) are not looked at.
 */
export class RequestHeadParser {
  readonly #maxHeaderBytes: number;
  readonly #maxHeaderCount: number;
  /** Head bytes accepted in previous pushes. */
  #seen = 0;
  /** The start of a line whose end has not arrived yet. */
  #carry: Uint8Array | undefined;
  #carryLength = 0;
  #method = '';
  #target = '';
  #httpVersion = '';
  #haveRequestLine = false;
  #headers: Array<[string, string]> = [];
  #finished = false;

  /** `maxHeaderBytes`: bytes of the whole head, CRLFs included; `maxHeaderCount`: header fields (see core/limits.ts). */
  constructor(limits: { maxHeaderBytes: number; maxHeaderCount: number }) {
    this.#maxHeaderBytes = limits.maxHeaderBytes;
    this.#maxHeaderCount = limits.maxHeaderCount;
  }

  /** Feeds the next bytes of the stream. The chunk is only read during the call; no reference is kept. */
  push(chunk: Uint8Array): HeadParseResult {
    if (this.#finished) throw new MisuseError('INVALID_STATE', 'RequestHeadParser already returned a final result');
    const length = chunk.length;
    // Index in this chunk of the first byte that would take the head past maxHeaderBytes.
    const limitIndex = this.#maxHeaderBytes - this.#seen;
    // Never scan past the limit: a huge chunk without LF costs at most maxHeaderBytes, not its length.
    const window = length > limitIndex ? chunk.subarray(0, Math.max(0, limitIndex)) : chunk;
    let start = 0;
    for (;;) {
      const lf = window.indexOf(LF, start);
      if (lf === -1) {
        if (length > limitIndex) {
          return this.#fail(431, 'HTTP_HEADERS_TOO_LARGE', 'request head larger than maxHeaderBytes');
        }
        this.#keep(chunk, start, length);
        this.#seen += length;
        return INCOMPLETE;
      }
      let result: HeadParseResult | undefined;
      if (this.#carryLength > 0) {
        this.#keep(chunk, start, lf + 1);
        const carry = this.#carry!;
        const lineEnd = this.#carryLength - 1;
        this.#carryLength = 0;
        result = this.#line(carry, 0, lineEnd);
      } else {
        result = this.#line(chunk, start, lf);
      }
      start = lf + 1;
      if (result !== undefined) {
        if (result.kind === 'complete') result.consumed = start;
        return result;
      }
    }
  }

  /** Appends `chunk[from, to)` to the carried partial line; its size is already within maxHeaderBytes. */
  #keep(chunk: Uint8Array, from: number, to: number): void {
    const extra = to - from;
    if (extra === 0) return;
    const needed = this.#carryLength + extra;
    let carry = this.#carry;
    if (carry === undefined || carry.length < needed) {
      const capacity = Math.min(this.#maxHeaderBytes, Math.max(INITIAL_LINE_CAPACITY, needed * 2, carry ? carry.length * 2 : 0));
      const grown = new Uint8Array(Math.max(capacity, needed));
      if (carry !== undefined) grown.set(carry.subarray(0, this.#carryLength));
      this.#carry = carry = grown;
    }
    if (extra <= SMALL_COPY) {
      // Tiny pushes (down to one byte at a time) copy without creating a view per push.
      for (let i = 0, o = this.#carryLength; i < extra; i++) carry[o + i] = chunk[from + i]!;
    } else {
      carry.set(chunk.subarray(from, to), this.#carryLength);
    }
    this.#carryLength = needed;
  }

  /** Handles one line `bytes[start, lf)` (lf is the index of its LF). Returns a final result, or undefined to go on. */
  #line(bytes: Uint8Array, start: number, lf: number): HeadParseResult | undefined {
    if (lf === start || bytes[lf - 1] !== CR) return this.#fail(400, 'HTTP_BAD_REQUEST', 'line not terminated by CRLF');
    const end = lf - 1;
    if (!this.#haveRequestLine) {
      if (end === start) return undefined; // empty line before the request line: RFC 9112 §2.2
      return this.#requestLine(bytes, start, end);
    }
    if (end === start) {
      this.#finished = true;
      this.#carry = undefined;
      const head: RequestHead = {
        method: this.#method,
        target: this.#target,
        httpVersion: this.#httpVersion,
        rawHeaders: this.#headers,
      };
      return { kind: 'complete', head, consumed: 0 };
    }
    return this.#fieldLine(bytes, start, end);
  }

  /** request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
  #requestLine(bytes: Uint8Array, start: number, end: number): HeadParseResult | undefined {
    let i = start;
    while (i < end && isTokenChar(bytes[i]!)) i++;
    if (i === start || i === end || bytes[i] !== SP) return this.#fail(400, 'HTTP_BAD_REQUEST', 'malformed method');
    const methodEnd = i;
    const targetStart = ++i;
    while (i < end) {
      const c = bytes[i]!;
      if (c < 0x21 || c > 0x7e) break; // visible ASCII only
      i++;
    }
    if (i === targetStart || i === end || bytes[i] !== SP) {
      return this.#fail(400, 'HTTP_BAD_REQUEST', 'malformed request target');
    }
    const targetEnd = i;
    const v = i + 1;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3), case-sensitive.
    if (
      end - v !== 8 ||
      bytes[v] !== 0x48 || bytes[v + 1] !== 0x54 || bytes[v + 2] !== 0x54 || bytes[v + 3] !== 0x50 ||
      bytes[v + 4] !== 0x2f || !isDigit(bytes[v + 5]!) || bytes[v + 6] !== 0x2e || !isDigit(bytes[v + 7]!)
    ) {
      return this.#fail(400, 'HTTP_BAD_REQUEST', 'malformed HTTP version');
    }
    if (bytes[v + 5] !== 0x31) return this.#fail(505, 'HTTP_VERSION_NOT_SUPPORTED', 'HTTP major version is not 1');
    this.#method = asciiString(bytes, start, methodEnd);
    this.#target = asciiString(bytes, targetStart, targetEnd);
    this.#httpVersion = bytes[v + 7] === 0x31 ? '1.1' : asciiString(bytes, v + 5, end);
    this.#haveRequestLine = true;
    return undefined;
  }

  /** field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). */
  #fieldLine(bytes: Uint8Array, start: number, end: number): HeadParseResult | undefined {
    const first = bytes[start]!;
    if (first === SP || first === HTAB) return this.#fail(400, 'HTTP_BAD_REQUEST', 'obsolete line folding');
    let i = start;
    while (i < end && isTokenChar(bytes[i]!)) i++;
    if (i === start || i === end || bytes[i] !== COLON) return this.#fail(400, 'HTTP_BAD_REQUEST', 'malformed header name');
    const nameEnd = i;
    let valueStart = i + 1;
    while (valueStart < end && isOws(bytes[valueStart]!)) valueStart++;
    let valueEnd = end;
    while (valueEnd > valueStart && isOws(bytes[valueEnd - 1]!)) valueEnd--;
    let high = 0;
    for (let j = valueStart; j < valueEnd; j++) {
      const c = bytes[j]!;
      if (!isFieldValueByte(c)) return this.#fail(400, 'HTTP_BAD_REQUEST', 'invalid byte in header value');
      high |= c;
    }
    if (this.#headers.length >= this.#maxHeaderCount) {
      return this.#fail(431, 'HTTP_HEADERS_TOO_LARGE', 'more header fields than maxHeaderCount');
    }
    // obs-text (0x80–0xFF) becomes the Latin-1 character of the same number, never a UTF-8 interpretation.
    const value = high < 0x80 ? asciiString(bytes, valueStart, valueEnd) : latin1String(bytes, valueStart, valueEnd);
    this.#headers.push([knownHeaderName(bytes, start, nameEnd) ?? asciiString(bytes, start, nameEnd), value]);
    return undefined;
  }

  #fail(status: number, code: PeerErrorCode, reason: string): HeadParseResult {
    this.#finished = true;
    this.#carry = undefined;
    return { kind: 'error', status, code, reason };
  }
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isOws(c: number): boolean {
  return c === SP || c === HTAB;
}
