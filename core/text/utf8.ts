/**
 * Incremental, strict UTF-8 validation (RFC 3629 §3–4, as RFC 6455 §8.1 requires for text messages and
 * close reasons): no overlong forms, no surrogates (U+D800–U+DFFF), nothing above U+10FFFF.
 *
 * Fails fast: the reported position is the first byte that cannot continue any valid sequence
 * (e.g. `F4 90` fails at `90`, because U+110000 and above are excluded), which is what lets a server fail a
 * fragmented text message as early as RFC 6455 §8.1 asks and what the WHATWG decoder does.
 *
 * Speed: complete sequences inside a chunk are checked by straight-line code, with an ASCII fast path that
 * tests 16 aligned bytes per step; only a sequence cut by a chunk boundary goes through the small DFA below,
 * whose state is what the validator carries between chunks.
 */

import { WordView } from '../bytes.ts';

// Byte classes. Ranges follow RFC 3629 §4 (the "UTF8-octets" ABNF).
const C_ASCII = 0; // 00..7F
const C_CONT_80_8F = 1; // continuation 80..8F
const C_CONT_90_9F = 2; // continuation 90..9F
const C_CONT_A0_BF = 3; // continuation A0..BF
const C_LEAD2 = 4; // C2..DF
const C_E0 = 5; // E0: next byte A0..BF (no overlongs)
const C_LEAD3 = 6; // E1..EC, EE..EF
const C_ED = 7; // ED: next byte 80..9F (no surrogates)
const C_F0 = 8; // F0: next byte 90..BF (no overlongs)
const C_LEAD4 = 9; // F1..F3
const C_F4 = 10; // F4: next byte 80..8F (max U+10FFFF)
const C_INVALID = 11; // C0, C1, F5..FF: can never appear

/** Columns per DFA row; a power of two so that a state is a row offset (state = row << 4). */
const COLUMNS = 16;

// DFA states, stored as row offsets into TRANSITIONS.
const S_ACCEPT = 0; // between sequences
const S_NEED1 = 1 * COLUMNS; // one continuation byte 80..BF to go
const S_NEED2 = 2 * COLUMNS; // two continuation bytes to go
const S_E0 = 3 * COLUMNS; // after E0: A0..BF, then one more
const S_ED = 4 * COLUMNS; // after ED: 80..9F, then one more
const S_NEED3 = 5 * COLUMNS; // three continuation bytes to go
const S_F0 = 6 * COLUMNS; // after F0: 90..BF, then two more
const S_F4 = 7 * COLUMNS; // after F4: 80..8F, then two more
const S_REJECT = 8 * COLUMNS; // sticky failure

const BYTE_CLASS = /* @__PURE__ */ buildByteClasses();
const TRANSITIONS = /* @__PURE__ */ buildTransitions();

function buildByteClasses(): Uint8Array {
  const classes = new Uint8Array(256);
  for (let b = 0; b < 256; b++) {
    let c: number;
    if (b < 0x80) c = C_ASCII;
    else if (b < 0x90) c = C_CONT_80_8F;
    else if (b < 0xa0) c = C_CONT_90_9F;
    else if (b < 0xc0) c = C_CONT_A0_BF;
    else if (b < 0xc2) c = C_INVALID;
    else if (b < 0xe0) c = C_LEAD2;
    else if (b === 0xe0) c = C_E0;
    else if (b === 0xed) c = C_ED;
    else if (b < 0xf0) c = C_LEAD3;
    else if (b === 0xf0) c = C_F0;
    else if (b < 0xf4) c = C_LEAD4;
    else if (b === 0xf4) c = C_F4;
    else c = C_INVALID;
    classes[b] = c;
  }
  return classes;
}

function buildTransitions(): Uint8Array {
  const table = new Uint8Array(9 * COLUMNS).fill(S_REJECT);
  // From ACCEPT: a lead byte decides the shape of the sequence.
  table[S_ACCEPT + C_ASCII] = S_ACCEPT;
  table[S_ACCEPT + C_LEAD2] = S_NEED1;
  table[S_ACCEPT + C_E0] = S_E0;
  table[S_ACCEPT + C_LEAD3] = S_NEED2;
  table[S_ACCEPT + C_ED] = S_ED;
  table[S_ACCEPT + C_F0] = S_F0;
  table[S_ACCEPT + C_LEAD4] = S_NEED3;
  table[S_ACCEPT + C_F4] = S_F4;
  // Continuation bytes: any 80..BF, except where the lead restricts the second byte.
  for (const c of [C_CONT_80_8F, C_CONT_90_9F, C_CONT_A0_BF]) {
    table[S_NEED1 + c] = S_ACCEPT;
    table[S_NEED2 + c] = S_NEED1;
    table[S_NEED3 + c] = S_NEED2;
  }
  table[S_E0 + C_CONT_A0_BF] = S_NEED1;
  table[S_ED + C_CONT_80_8F] = S_NEED1;
  table[S_ED + C_CONT_90_9F] = S_NEED1;
  table[S_F0 + C_CONT_90_9F] = S_NEED2;
  table[S_F0 + C_CONT_A0_BF] = S_NEED2;
  table[S_F4 + C_CONT_80_8F] = S_NEED2;
  return table;
}

/** Word views of the buffers being validated (one per buffer, not one per call). */
const asciiWords = new WordView();

/**
 * Chunks shorter than this skip the word-wise ASCII scan, because creating its Int32Array view costs about
 * as much as checking ~100 bytes 4 at a time (measured on Node 20).
 */
const WORD_SCAN_MIN_BYTES = 128;

/**
 * Validates a byte stream (one text message, possibly fragmented and cut anywhere) chunk by chunk,
 * carrying a partial multi-byte sequence across calls. Allocation-free except for a typed-array view per
 * long chunk.
 */
/**
 * A one-shot validator of complete UTF-8 (e.g. Node's and Bun's native `buffer.isUtf8`), which the core may be
 * given to check long runs faster than JavaScript can; the core never imports one itself.
 */
export type BulkUtf8Check = (bytes: Uint8Array) => boolean;

/** Runs shorter than this stay in JavaScript: a native call costs about as much as checking them here. */
const BULK_MIN_BYTES = 512;

export class Utf8Validator {
  private state: number = S_ACCEPT;
  private readonly bulk: BulkUtf8Check | undefined;
  private readonly bulkMinBytes: number;

  /** `bulk`: an optional native check for runs from `bulkMinBytes` on; results are identical with or without it. */
  constructor(bulk?: BulkUtf8Check, bulkMinBytes = BULK_MIN_BYTES) {
    this.bulk = bulk;
    this.bulkMinBytes = bulkMinBytes;
  }

  /**
   * Validates `bytes[start..end)` as the continuation of everything pushed since the last reset.
   * Returns -1 if these bytes are valid so far, else the index (in `bytes`) of the first invalid byte.
   * After a failure the validator stays failed, and returns `start` from every push, until {@link reset}.
   */
  push(bytes: Uint8Array, start: number, end: number): number {
    let state = this.state;
    let i = start;
    if (state !== S_ACCEPT) {
      if (state === S_REJECT) return start;
      // Finish the sequence carried over from the previous chunk.
      while (i < end) {
        state = TRANSITIONS[state + BYTE_CLASS[bytes[i]!]!]!;
        if (state === S_REJECT) {
          this.state = S_REJECT;
          return i;
        }
        i++;
        if (state === S_ACCEPT) break;
      }
      if (state !== S_ACCEPT) {
        this.state = state;
        return -1;
      }
    }

    // Long run: the native check takes everything up to the last complete sequence; only when it reports a
    // problem does the JavaScript loop below run over it, to find the first bad byte.
    if (this.bulk !== undefined && end - i >= this.bulkMinBytes) {
      const boundary = completeSequencesEnd(bytes, i, end);
      const run = i === 0 && boundary === bytes.length ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset + i, boundary - i);
      if (this.bulk(run)) i = boundary;
    }

    // Words over the 4-aligned middle of the chunk, for the ASCII fast path: indices [firstWord, endWord) of a
    // view of the whole buffer, which is made once per buffer rather than once per call.
    let words: Int32Array | null = null;
    let wordsStart = 0; // index in `bytes` of words[firstWord]
    let firstWord = 0;
    let endWord = 0;
    if (end - i >= WORD_SCAN_MIN_BYTES) {
      wordsStart = i + ((4 - ((bytes.byteOffset + i) & 3)) & 3);
      firstWord = (bytes.byteOffset + wordsStart) >>> 2;
      endWord = firstWord + ((end - wordsStart) >>> 2);
      words = asciiWords.over(bytes.buffer, endWord << 2);
    }

    while (i < end) {
      const b = bytes[i]!;
      if (b < 0x80) {
        i++;
        if (words !== null && ((i - wordsStart) & 3) === 0 && i >= wordsStart) {
          // Aligned: skip 16 bytes per step, then 4, while all of them are ASCII.
          let w = firstWord + ((i - wordsStart) >>> 2);
          const last4 = endWord - 4;
          while (w <= last4 && ((words[w]! | words[w + 1]! | words[w + 2]! | words[w + 3]!) & 0x80808080) === 0) w += 4;
          while (w < endWord && (words[w]! & 0x80808080) === 0) w += 1;
          i = wordsStart + ((w - firstWord) << 2);
        } else if (words === null) {
          // Short chunk: 4 bytes per step while all of them are ASCII.
          while (i + 4 <= end && ((bytes[i]! | bytes[i + 1]! | bytes[i + 2]! | bytes[i + 3]!) & 0x80) === 0) i += 4;
        }
        continue;
      }
      if (b < 0xe0) {
        // Two-byte sequence: C2..DF 80..BF (C0, C1 would be overlong, 80..BF cannot lead).
        if (b < 0xc2) return this.fail(i);
        if (i + 1 >= end) break;
        if ((bytes[i + 1]! & 0xc0) !== 0x80) return this.fail(i + 1);
        i += 2;
      } else if (b < 0xf0) {
        // Three-byte sequence; E0 needs A0..BF (no overlongs), ED needs 80..9F (no surrogates).
        if (i + 2 >= end) break;
        const b1 = bytes[i + 1]!;
        if (b === 0xe0 ? b1 < 0xa0 || b1 > 0xbf : b === 0xed ? b1 < 0x80 || b1 > 0x9f : (b1 & 0xc0) !== 0x80) {
          return this.fail(i + 1);
        }
        if ((bytes[i + 2]! & 0xc0) !== 0x80) return this.fail(i + 2);
        i += 3;
      } else if (b < 0xf5) {
        // Four-byte sequence; F0 needs 90..BF (no overlongs), F4 needs 80..8F (max U+10FFFF).
        if (i + 3 >= end) break;
        const b1 = bytes[i + 1]!;
        if (b === 0xf0 ? b1 < 0x90 || b1 > 0xbf : b === 0xf4 ? b1 < 0x80 || b1 > 0x8f : (b1 & 0xc0) !== 0x80) {
          return this.fail(i + 1);
        }
        if ((bytes[i + 2]! & 0xc0) !== 0x80) return this.fail(i + 2);
        if ((bytes[i + 3]! & 0xc0) !== 0x80) return this.fail(i + 3);
        i += 4;
      } else {
        return this.fail(i);
      }
    }

    // A sequence cut by the end of the chunk: run its bytes through the DFA to check them and carry state.
    state = S_ACCEPT;
    for (; i < end; i++) {
      state = TRANSITIONS[state + BYTE_CLASS[bytes[i]!]!]!;
      if (state === S_REJECT) return this.fail(i);
    }
    this.state = state;
    return -1;
  }

  /** True between sequences (nothing pending, nothing failed): ASCII bytes pushed now would all be valid. */
  get betweenSequences(): boolean {
    return this.state === S_ACCEPT;
  }

  /** True while a multi-byte sequence is pending: if the message ends now, it is invalid (RFC 6455 §8.1). */
  get incomplete(): boolean {
    return this.state !== S_ACCEPT && this.state !== S_REJECT;
  }

  /** Forgets all state, for the next message. */
  reset(): void {
    this.state = S_ACCEPT;
  }

  private fail(index: number): number {
    this.state = S_REJECT;
    return index;
  }
}

/** The end of the last complete UTF-8 sequence in `bytes[start, end)`: a trailing partial sequence is left out. */
function completeSequencesEnd(bytes: Uint8Array, start: number, end: number): number {
  for (let k = 1; k <= 3 && end - k >= start; k++) {
    const b = bytes[end - k]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for its lead
    if (b < 0xc0) return end; // ASCII: everything before the end is complete
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return k < length ? end - k : end;
  }
  return end;
}

const oneShot = new Utf8Validator();

/** True if `bytes[start..end)` is complete, valid UTF-8 on its own (e.g. a close reason, RFC 6455 §5.5.1). */
export function isValidUtf8(bytes: Uint8Array, start = 0, end: number = bytes.length): boolean {
  oneShot.reset();
  const valid = oneShot.push(bytes, start, end) === -1 && !oneShot.incomplete;
  oneShot.reset();
  return valid;
}
