/**
 * The permessage-deflate payload transform (RFC 7692 §7.2): a pluggable, synchronous codec interface and its
 * implementation on pako's low-level zlib port (pure JS, identical on Node, Bun and Deno).
 *
 * Memory (pako 3, per stream; allocated lazily on first use, never for connections that send nothing compressed):
 * - compressor: window 2·2^w + chain table 2·2^w + hash table 2·2^(memLevel+7) + pending buffer
 *   4·2^(memLevel+6) + ~5 KiB of trees. Measured on Node 20: w 12 / memLevel 8 (the defaults) 152 KiB,
 *   w 15 / memLevel 8 264 KiB, w 12 / memLevel 4 32 KiB, w 10 / memLevel 1 13 KiB. (memLevel < 8 selects
 *   zlib's classic hash, because pako's default hash keeps 2^15 entries whatever the memLevel.)
 * - decompressor: window 2^w (allocated at the first output byte) + ~9 KiB of code tables: w 15 40 KiB, w 12 13 KiB.
 * With context takeover a connection keeps its streams for its lifetime (dispose() frees them). With
 * `*_no_context_takeover` nothing is kept between messages: the work happens in streams shared by every
 * connection of this module instance (reset before each use; safe because the codec is synchronous), except
 * a fragmented incoming message, which gets its own inflate stream until its last frame.
 * Two module-wide 64 KiB scratch buffers hold output while it is produced; results are copied out.
 */
import {
  ZStream,
  Z_BUF_ERROR,
  Z_DEFAULT_STRATEGY,
  Z_OK,
  Z_STREAM_END,
  Z_SYNC_FLUSH,
  zlibDeflate,
  zlibDeflateInit2,
  zlibDeflateReset,
  zlibInflate,
  zlibInflateInit2,
  zlibInflateReset,
} from 'pako';
import { MisuseError } from '../errors.ts';

/** Compresses whole outgoing messages for one connection. */
export interface MessageCompressor {
  /**
   * Compresses one whole message: raw DEFLATE ending with a sync flush, whose trailing `00 00 ff ff` is
   * removed (RFC 7692 §7.2.1). The result is a new array owned by the caller; `data` is not retained.
   * With no context takeover each message starts from an empty window (RFC 7692 §7.1.1.1).
   * Never fails on any input; an internal zlib failure (a bug) throws `Error`.
   */
  compress(data: Uint8Array): Uint8Array;
  /** Frees the compression state. A later `compress` starts a fresh stream (always decodable by the peer). */
  dispose(): void;
}

/** Result of {@link MessageDecompressor.push}. */
export type DecompressStatus = 'ok' | 'too-big' | 'corrupt';

/** Inflates incoming compressed messages for one connection, frame by frame. */
export interface MessageDecompressor {
  /**
   * Feeds one frame's (unmasked) payload of a compressed message; `fin` marks its last frame. Appends the
   * inflated bytes to `out` as new arrays owned by the caller; `data` is not retained after the call.
   * On `fin` the `00 00 ff ff` tail is appended before inflating (RFC 7692 §7.2.2), and with no context
   * takeover the window is dropped. `budget` caps the inflated size of the whole message (compared with the
   * running total of this message): inflation stops as soon as it would be exceeded, so the work and memory
   * spent on a bomb are bounded by the budget, not by what the input expands to.
   * Output produced before a failure is still appended to `out`.
   * Returns `'ok'`, `'too-big'` (over budget) or `'corrupt'` (invalid DEFLATE data, RFC 7692 §8: fail the
   * connection, close 1007). Never throws. After `'too-big'` or `'corrupt'` the stream is dropped and every
   * later call returns the same status.
   */
  push(data: Uint8Array, fin: boolean, budget: number, out: Uint8Array[]): DecompressStatus;
  /** Drops all state (after an error or at close); later calls return `'corrupt'`. */
  dispose(): void;
}

/** Settings of a compressor: the agreed server window and context mode, and the local effort settings. */
export interface CompressorParams {
  /** 8–15: the server's window (DeflateParams.serverMaxWindowBits). */
  readonly windowBits: number;
  /** DeflateParams.serverNoContextTakeover. */
  readonly noContextTakeover: boolean;
  /** zlib level 0–9. */
  readonly level: number;
  /** zlib memLevel 1–9. */
  readonly memLevel: number;
}

/** Settings of a decompressor: the agreed client window and context mode. */
export interface DecompressorParams {
  /** 8–15: the client's window (DeflateParams.clientMaxWindowBits; 15 when the client did not limit it). */
  readonly windowBits: number;
  /** DeflateParams.clientNoContextTakeover. */
  readonly noContextTakeover: boolean;
}

/** A permessage-deflate codec: makes one compressor and one decompressor per connection. */
export interface DeflateCodec {
  /** Throws {@link MisuseError} (`INVALID_OPTION`) on out-of-range params. Allocates nothing until first use. */
  createCompressor(params: CompressorParams): MessageCompressor;
  /** Throws {@link MisuseError} (`INVALID_OPTION`) on out-of-range params. Allocates nothing until first use. */
  createDecompressor(params: DecompressorParams): MessageDecompressor;
}

/** The sync-flush marker: an empty stored block's LEN/NLEN (RFC 7692 §7.2.1, §7.2.2). */
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const NO_BYTES = new Uint8Array(0);
const SCRATCH_BYTES = 64 * 1024;
/** Output space for deflate; more than 6 bytes always, as zlib requires for sync flushes. */
const deflateScratch = new Uint8Array(SCRATCH_BYTES);
const inflateScratch = new Uint8Array(SCRATCH_BYTES);

function checkRange(value: number, min: number, max: number, name: string): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new MisuseError('INVALID_OPTION', `deflate codec: ${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Compression

function newDeflateStream(p: CompressorParams): ZStream {
  const strm = new ZStream();
  // zlib (and pako) refuse a raw 8-bit window, so 8 is served by a 9-bit stream. That is still valid for a
  // 256-byte window: zlib never emits a distance above w_size - MIN_LOOKAHEAD = 512 - 262 = 250 (deflate.c
  // MAX_DIST), which codec.test.ts checks against a strict 8-bit inflater (RFC 7692 §7.1.2.1).
  const rawBits = p.windowBits === 8 ? 9 : p.windowBits;
  // pako's default hash ignores memLevel below 8 (hash table fixed at 2^15 entries); the classic hash honours it.
  const status = zlibDeflateInit2(strm, p.level, 8, -rawBits, p.memLevel, Z_DEFAULT_STRATEGY, p.memLevel < 8);
  if (status !== Z_OK) throw new Error(`permessage-deflate: deflateInit2 failed (${status})`);
  return strm;
}

/** Streams shared by all connections without context takeover, one per distinct setting. */
const sharedDeflateStreams = new Map<string, ZStream>();

function sharedDeflateStream(p: CompressorParams): ZStream {
  const key = `${p.windowBits}/${p.level}/${p.memLevel}`;
  let strm = sharedDeflateStreams.get(key);
  if (strm === undefined) {
    strm = newDeflateStream(p);
    sharedDeflateStreams.set(key, strm);
  } else {
    // Reset before (not after) each use, so that even a stream left half-way by an exception starts clean.
    resetDeflateStream(strm);
  }
  return strm;
}

const NO_HASH = new Uint16Array(0);

/**
 * `deflateReset`, faster: pako clears the 2^15-entry hash table (`state.head`) with a JS loop, ≈19 µs on
 * Node 20 — a third of the cost of a 1 KiB message. The table is swapped out during the reset and cleared with
 * `fill(0)` (≈0.4 µs); the resulting state is the same. Falls back to the plain reset if pako's state differs.
 */
function resetDeflateStream(strm: ZStream): void {
  const state = strm.state as { head?: unknown } | null;
  const head = state?.head;
  if (!(head instanceof Uint16Array)) {
    zlibDeflateReset(strm);
    return;
  }
  state!.head = NO_HASH;
  try {
    zlibDeflateReset(strm);
  } finally {
    state!.head = head;
  }
  head.fill(0);
}

/** Deflates `data` (non-empty) with a sync flush and returns the output without the 4-byte tail. */
function deflateMessage(strm: ZStream, data: Uint8Array): Uint8Array {
  strm.input = data;
  strm.next_in = 0;
  strm.avail_in = data.length;
  let chunks: Uint8Array[] | undefined;
  let total = 0;
  try {
    // Each round fills at most one scratch buffer; output is at most a little over the input size, so the
    // bound is never reached by a correct zlib.
    const maxRounds = Math.ceil(data.length / SCRATCH_BYTES) + 8;
    for (let round = 0; ; round++) {
      if (round > maxRounds) throw new Error('permessage-deflate: deflate made no progress');
      strm.output = deflateScratch;
      strm.next_out = 0;
      strm.avail_out = SCRATCH_BYTES;
      const status = zlibDeflate(strm, Z_SYNC_FLUSH);
      // Z_BUF_ERROR: nothing left to do (the previous round ended exactly at the end of the buffer).
      if (status !== Z_OK && status !== Z_BUF_ERROR) throw new Error(`permessage-deflate: deflate failed (${status})`);
      const produced = strm.next_out;
      const done = strm.avail_out !== 0;
      if (done && chunks === undefined) return withoutTail(deflateScratch, produced);
      (chunks ??= []).push(deflateScratch.slice(0, produced));
      total += produced;
      if (done) break;
    }
  } finally {
    strm.input = NO_BYTES; // do not keep the caller's message alive
    strm.avail_in = 0;
  }
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return withoutTail(joined, total);
}

/** Copies `buf[0, length - 4)` after checking that the sync-flush tail is there (RFC 7692 §7.2.1). */
function withoutTail(buf: Uint8Array, length: number): Uint8Array {
  if (length < 4 || buf[length - 4] !== 0 || buf[length - 3] !== 0 || buf[length - 2] !== 0xff || buf[length - 1] !== 0xff) {
    throw new Error('permessage-deflate: deflate output does not end with a sync flush');
  }
  return buf.slice(0, length - 4);
}

class PakoCompressor implements MessageCompressor {
  readonly #params: CompressorParams;
  /** Own stream, kept between messages (context takeover only). */
  #stream: ZStream | undefined;

  constructor(params: CompressorParams) {
    this.#params = params;
  }

  compress(data: Uint8Array): Uint8Array {
    // An empty message is one empty stored block, BFINAL 0 (RFC 7692 §7.2.3.6): the single byte 0x00 once the
    // tail is removed. zlib would emit nothing for a second empty sync flush, which the peer could not parse.
    if (data.length === 0) return new Uint8Array(1);
    if (this.#params.noContextTakeover) return deflateMessage(sharedDeflateStream(this.#params), data);
    this.#stream ??= newDeflateStream(this.#params);
    try {
      return deflateMessage(this.#stream, data);
    } catch (error) {
      this.#stream = undefined; // never continue a stream left half-way; a fresh one is always decodable
      throw error;
    }
  }

  dispose(): void {
    this.#stream = undefined;
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decompression

function newInflateStream(windowBits: number): ZStream {
  const strm = new ZStream();
  const status = zlibInflateInit2(strm, -windowBits);
  if (status !== Z_OK) throw new Error(`permessage-deflate: inflateInit2 failed (${status})`);
  limitDistances(strm);
  return strm;
}

/**
 * Refuses every distance longer than the window (zlib's `dmax`, which it sets only for zlib-wrapped streams and
 * resets to 32 KiB otherwise). Without it a peer that breaks its agreed `client_max_window_bits` (RFC 7692
 * §7.1.2.2) would be accepted or refused depending on how its frames were cut: zlib also resolves distances
 * into output produced in the same call. With it, any distance up to the window finds its bytes (the window
 * always holds the last 2^bits of output), and any longer one fails, however the input is chunked.
 */
function limitDistances(strm: ZStream): void {
  const state = (strm as unknown as { state: { dmax: number; wbits: number } }).state;
  state.dmax = 1 << state.wbits;
}

/** pako's inflate state, where it keeps its position in the DEFLATE format. */
const modeOf = (strm: ZStream): number => (strm as unknown as { state: { mode: number } }).state.mode;

/**
 * The mode an inflate stream is in between two blocks, waiting for the next block's header: read off a stream
 * that has just inflated an empty stored block (what a sync flush writes: a 3-bit header, padding to the byte,
 * then the tail's LEN 0000 and NLEN FFFF), rather than copied from pako's sources.
 */
const BETWEEN_BLOCKS = /* @__PURE__ */ (() => {
  const emptyStoredBlock = new Uint8Array([0x00, ...TAIL]);
  const strm = new ZStream();
  zlibInflateInit2(strm, -15);
  strm.input = emptyStoredBlock;
  strm.next_in = 0;
  strm.avail_in = emptyStoredBlock.length;
  strm.output = new Uint8Array(16);
  strm.next_out = 0;
  strm.avail_out = 16;
  zlibInflate(strm, Z_SYNC_FLUSH);
  return modeOf(strm);
})();

function resetInflateStream(strm: ZStream): void {
  zlibInflateReset(strm);
  limitDistances(strm);
}

/** Inflate streams shared by all connections without context takeover, for single-frame messages. */
const sharedInflateStreams = new Map<number, ZStream>();

function sharedInflateStream(windowBits: number): ZStream {
  let strm = sharedInflateStreams.get(windowBits);
  if (strm === undefined) {
    strm = newInflateStream(windowBits);
    sharedInflateStreams.set(windowBits, strm);
  } else {
    resetInflateStream(strm);
  }
  return strm;
}

class PakoDecompressor implements MessageDecompressor {
  /**
   * Inflate window bits. An agreed 8 is inflated with 9 (256 more bytes): a larger window never rejects valid
   * data, and it tolerates a peer whose deflater cannot do 8 and quietly uses 9 bits.
   */
  readonly #windowBits: number;
  readonly #noContextTakeover: boolean;
  /** Own stream: kept between messages with context takeover, or for the frames of one fragmented message. */
  #stream: ZStream | undefined;
  #inMessage = false;
  /** Inflated bytes of the current message so far. */
  #produced = 0;
  /** Compressed bytes of the current message so far. */
  #consumed = 0;
  /** The peer ended the DEFLATE stream (a block with BFINAL = 1, RFC 7692 §7.2.3.3) in this message. */
  #streamEnded = false;
  #failed: 'too-big' | 'corrupt' | undefined;

  constructor(params: DecompressorParams) {
    this.#windowBits = Math.max(9, params.windowBits);
    this.#noContextTakeover = params.noContextTakeover;
  }

  push(data: Uint8Array, fin: boolean, budget: number, out: Uint8Array[]): DecompressStatus {
    if (this.#failed !== undefined) return this.#failed;
    if (!this.#inMessage) {
      this.#inMessage = true;
      this.#produced = 0;
      this.#consumed = 0;
      this.#streamEnded = false;
    }
    this.#consumed += data.length;
    let status: DecompressStatus = 'ok';
    try {
      // An empty compressed message carries no DEFLATE data at all; inflating just the tail would leave the
      // stream inside a stored block, so nothing is fed (the message is empty).
      if (this.#consumed > 0) {
        const strm = this.#streamFor(fin);
        if (data.length > 0 && !this.#streamEnded) status = this.#inflate(strm, data, budget, out);
        if (status === 'ok' && fin && !this.#streamEnded) {
          status = this.#inflate(strm, TAIL, budget, out);
          // RFC 7692 §7.2.2: with the tail appended, a message's data ends with an empty stored block, so the
          // stream is between blocks. Otherwise the peer's data stopped inside a block, which would take the tail
          // (and the next message's bytes) as its own content: corrupt data, not a message.
          if (status === 'ok' && !this.#streamEnded && modeOf(strm) !== BETWEEN_BLOCKS) status = 'corrupt';
        }
      }
    } catch {
      status = 'corrupt'; // pako signals bad data by status codes; this only guards against the unexpected
    }
    if (status !== 'ok') {
      this.#failed = status;
      this.#stream = undefined;
      return status;
    }
    if (fin) {
      this.#inMessage = false;
      if (this.#noContextTakeover) {
        // RFC 7692 §7.1.1.2: no window survives the message.
        this.#stream = undefined;
      } else if (this.#streamEnded && this.#stream !== undefined) {
        // After a final block the peer's next message starts a new DEFLATE stream with an empty window.
        resetInflateStream(this.#stream);
      }
    }
    return 'ok';
  }

  dispose(): void {
    this.#stream = undefined;
    this.#failed = 'corrupt';
  }

  /** The stream for this frame: own, or a shared one for a single-frame message without context takeover. */
  #streamFor(fin: boolean): ZStream {
    if (this.#stream !== undefined) return this.#stream;
    if (this.#noContextTakeover && fin) return sharedInflateStream(this.#windowBits);
    this.#stream = newInflateStream(this.#windowBits);
    return this.#stream;
  }

  /** Inflates all of `input` (or up to the budget / the end of the stream / the first error). */
  #inflate(strm: ZStream, input: Uint8Array, budget: number, out: Uint8Array[]): DecompressStatus {
    strm.input = input;
    strm.next_in = 0;
    strm.avail_in = input.length;
    try {
      for (;;) {
        // At most one byte past the budget is ever produced: enough to know it is exceeded.
        const room = Math.min(SCRATCH_BYTES, Math.max(0, budget - this.#produced) + 1);
        strm.output = inflateScratch;
        strm.next_out = 0;
        strm.avail_out = room;
        const availBefore = strm.avail_in;
        const zstatus = zlibInflate(strm, Z_SYNC_FLUSH);
        const produced = strm.next_out;
        if (produced > 0) {
          this.#produced += produced;
          // Output is handed over even when it passes the budget (by one byte at most), so that the caller
          // judges the same bytes however the input was chunked (e.g. invalid UTF-8 before the excess).
          out.push(inflateScratch.slice(0, produced));
          if (this.#produced > budget) return 'too-big';
        }
        if (zstatus === Z_STREAM_END) {
          this.#streamEnded = true; // bytes after the final block (at least the tail) are ignored
          return 'ok';
        }
        if (zstatus !== Z_OK && zstatus !== Z_BUF_ERROR) return 'corrupt'; // Z_DATA_ERROR etc.
        // Output full: there may be more. Each such round adds `room` bytes, so the budget bounds the loop.
        if (strm.avail_out === 0) continue;
        if (strm.avail_in === 0) return 'ok';
        // Room left and input left but no progress: cannot happen with a correct inflate; never spin.
        if (produced === 0 && strm.avail_in === availBefore) return 'corrupt';
      }
    } finally {
      strm.input = NO_BYTES; // do not keep the caller's frame alive
      strm.avail_in = 0;
    }
  }
}

/**
 * The default codec, on pako (pure JS). Synchronous and identical on every runtime.
 * An agreed server window of 8 bits is served by a 9-bit zlib stream, whose distances never exceed 250 bytes.
 */
export const pakoCodec: DeflateCodec = Object.freeze({
  createCompressor(params: CompressorParams): MessageCompressor {
    checkRange(params.windowBits, 8, 15, 'windowBits');
    checkRange(params.level, 0, 9, 'level');
    checkRange(params.memLevel, 1, 9, 'memLevel');
    return new PakoCompressor({ ...params });
  },
  createDecompressor(params: DecompressorParams): MessageDecompressor {
    checkRange(params.windowBits, 8, 15, 'windowBits');
    return new PakoDecompressor(params);
  },
});
