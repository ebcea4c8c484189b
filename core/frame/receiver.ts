import type { PeerErrorCode } from '../errors.ts';
import type { Limits } from '../limits.ts';
import type { MessageDecompressor } from '../deflate/codec.ts';
import type { Accelerators, BulkUnmask, RunUnmask } from '../accelerators.ts';
import { Utf8Validator } from '../text/utf8.ts';
import { unmask } from './mask.ts';
import { MessageBuffer } from './message-buffer.ts';
import type { MemoryBudget } from '../memory-budget.ts';
import { copySmall, releaseWordViews } from '../bytes.ts';
import { setFlag } from '../flags.ts';

/** What the receiver reports to its owner (the connection). Called synchronously, in wire order. */
export interface ReceiverSink {
  /** A whole message (receive mode `message`). `data` belongs to the callee. */
  onMessage(binary: boolean, data: Uint8Array): void;
  /** Part of a message (receive mode `stream`). */
  onFragment(binary: boolean, data: Uint8Array, first: boolean, fin: boolean): void;
  /** A complete control frame: ping (9), pong (10) or close (8). `payload` is only valid during the call. */
  onControl(opcode: number, payload: Uint8Array): void;
  /** The peer broke the protocol or a limit. The receiver stops; the owner fails the connection. */
  onProtocolError(code: PeerErrorCode, closeCode: number, message: string): void;
}

const EMPTY = new Uint8Array(0);
const TEXT = 1;
const BINARY = 2;
const CLOSE = 8;

/**
 * Payload runs shorter than this are unmasked in JavaScript even when a bulk unmasker is given: below it, the
 * call costs more than it can save on any runtime measured (a bulk unmasker may set a higher bar of its own).
 */
const BULK_UNMASK_MIN_BYTES = 256;

const NONE: Accelerators = Object.freeze({});

/**
 * What a receiver takes from its configuration (limits, mode, accelerators), resolved once and shared by every
 * receiver given the same: one field per receiver instead of six. Fields cost 8 bytes each, and Bun (JSC) rounds
 * objects up to size classes: 13–18 fields take 160 bytes, 19–26 take 224, 27–30 take 256 (bun:jsc heapStats).
 */
class ReceiverTools {
  readonly limits: Limits;
  readonly streaming: boolean;
  readonly accelerators: Accelerators;
  readonly unmask: BulkUnmask | undefined;
  readonly unmaskMinBytes: number;
  readonly unmaskRun: RunUnmask | undefined;
  readonly ownArraysUpTo: number;
  /** Where reassembly buffers draw from (shared by a server's connections); undefined: unbudgeted. */
  readonly budget: MemoryBudget | undefined;
  constructor(limits: Limits, streaming: boolean, accelerators: Accelerators, budget: MemoryBudget | undefined) {
    this.limits = limits;
    this.budget = budget;
    this.streaming = streaming;
    this.accelerators = accelerators;
    this.unmask = accelerators.unmask;
    this.unmaskMinBytes = accelerators.minBytes?.unmask ?? BULK_UNMASK_MIN_BYTES;
    this.unmaskRun = accelerators.unmaskRun;
    this.ownArraysUpTo = accelerators.ownArraysUpTo ?? 0;
  }
}

type ToolsPair = [ReceiverTools | undefined, ReceiverTools | undefined];

/** Key of the tools of receivers without a budget. */
const NO_BUDGET = {};

/** Tools by accelerators, limits and budget (weak keys), then `[message mode, stream mode]`. */
const toolsCache = new WeakMap<Accelerators, WeakMap<Limits, WeakMap<object, ToolsPair>>>();

function toolsFor(limits: Limits, streaming: boolean, accelerators: Accelerators, budget: MemoryBudget | undefined): ReceiverTools {
  let byLimits = toolsCache.get(accelerators);
  if (byLimits === undefined) toolsCache.set(accelerators, (byLimits = new WeakMap()));
  let byBudget = byLimits.get(limits);
  if (byBudget === undefined) byLimits.set(limits, (byBudget = new WeakMap()));
  const budgetKey = budget ?? NO_BUDGET;
  let pair = byBudget.get(budgetKey);
  if (pair === undefined) byBudget.set(budgetKey, (pair = [undefined, undefined]));
  const index = streaming ? 1 : 0;
  return (pair[index] ??= new ReceiverTools(limits, streaming, accelerators, budget));
}

/** The inflation state of a connection using permessage-deflate. */
class InflateState {
  readonly decompressor: MessageDecompressor;
  /** Output of the inflater for one push. */
  readonly out: Uint8Array[] = [];
  /** Inflated bytes of the current message. */
  bytes = 0;
  constructor(decompressor: MessageDecompressor) {
    this.decompressor = decompressor;
  }
}

// Boolean state of a receiver, packed in one number field (see ReceiverTools for why).
const R_STOPPED = 1;
const R_IN_PAYLOAD = 2;
const R_FIN = 4;
const R_MESSAGE_COMPRESSED = 8;
const R_MESSAGE_FIRST_PART = 16;
const R_INPUT_VIEWED = 32;

/**
 * Whole messages of one type lying one after another in a chunk (a burst of small messages) are unmasked in one
 * call where the runtime offers it (`Accelerators.unmaskRun`), and text ones have their UTF-8 checked in one pass
 * over the run instead of one call per message: the frame headers between them, already read, are blanked to
 * ASCII spaces, and since no UTF-8 sequence can span an ASCII byte, the run is valid exactly when every message
 * is. Only when it is not does each message get checked on its own, to fail at the right one. Runs are cut at
 * this many messages; the scratch below is shared by every receiver (calls run to completion; a receiver reached
 * again from a message handler while a run is delivered uses the one-message path).
 */
const RUN_MAX = 512;
/** Where each message's header starts, where its payload starts, and the payload's length. */
const runHeads = new Int32Array(RUN_MAX);
const runPayloads = new Int32Array(RUN_MAX);
const runLengths = new Int32Array(RUN_MAX);
const runMasks = new Int32Array(RUN_MAX);
let runBusy = false;

/**
 * The 4 key bytes, for the unmasking calls: one buffer shared by every connection, filled just before each
 * (synchronous) call.
 */
const key = new Uint8Array(4);

function keyOf(mask: number): Uint8Array {
  key[0] = mask;
  key[1] = mask >>> 8;
  key[2] = mask >>> 16;
  key[3] = mask >>> 24;
  return key;
}

/**
 * Resumable RFC 6455 §5.2 frame decoder for the server role, with message reassembly, incremental UTF-8
 * validation and inflation. Headers may be split anywhere; payloads are unmasked in place and delivered as
 * views over the input whenever a message lies whole in one chunk (zero copy), copied otherwise.
 * Every declared length is checked against the limits as soon as the header is complete, before any payload
 * is buffered.
 */
export class FrameReceiver {
  private readonly sink: ReceiverSink;
  private readonly tools: ReceiverTools;
  /** R_* bits (see the accessors below). */
  private bits = R_MESSAGE_FIRST_PART;
  /** While permessage-deflate is in use. */
  private inflater: InflateState | undefined = undefined;

  // Header being assembled across chunks (at most 14 bytes); allocated on first need, as most connections never
  // see a header cut by a read (a small typed array costs about 180 bytes per connection).
  private header: Uint8Array | undefined = undefined;
  private headerLength = 0;

  // Current frame (inPayload, fin: in bits).
  private opcode = 0;
  private payloadLength = 0;
  private remaining = 0;
  /** The frame's masking key, bytes 0–3 little-end first (a number: a Uint8Array per connection costs ~200 bytes). */
  private mask = 0;
  private maskOffset = 0;

  // Current data message (opcode 0 when none is in progress; messageCompressed, messageFirstPart: in bits).
  private messageOpcode = 0;
  private messageBytes = 0;
  // Created on first use (each costs about 64 bytes per connection on Bun; an idle connection needs neither).
  private messageBuffer: MessageBuffer | undefined = undefined;
  private utf8Validator: Utf8Validator | undefined = undefined;

  // Control frame payload: a view when it lies whole in one chunk, else copied (at most 125 bytes, allocated
  // on first need: most connections never see a split control frame).
  private controlView: Uint8Array | undefined = undefined;
  private control: Uint8Array | undefined = undefined;
  private controlLength = 0;

  constructor(sink: ReceiverSink, limits: Limits, streaming: boolean, accelerators: Accelerators = NONE, budget?: MemoryBudget) {
    this.sink = sink;
    this.tools = toolsFor(limits, streaming, accelerators, budget);
  }

  private bit(flag: number, on: boolean): void {
    this.bits = setFlag(this.bits, flag, on);
  }
  /** Set by the owner to stop decoding (after a failure or once the connection no longer reads). */
  get stopped(): boolean {
    return (this.bits & R_STOPPED) !== 0;
  }
  set stopped(on: boolean) {
    this.bit(R_STOPPED, on);
  }
  /** The inflater for RSV1 messages; undefined while permessage-deflate is not in use. */
  get decompressor(): MessageDecompressor | undefined {
    return this.inflater?.decompressor;
  }
  set decompressor(decompressor: MessageDecompressor | undefined) {
    this.inflater = decompressor === undefined ? undefined : new InflateState(decompressor);
  }
  private get limits(): Limits {
    return this.tools.limits;
  }
  private get streaming(): boolean {
    return this.tools.streaming;
  }
  private get inPayload(): boolean {
    return (this.bits & R_IN_PAYLOAD) !== 0;
  }
  private set inPayload(on: boolean) {
    this.bit(R_IN_PAYLOAD, on);
  }
  private get fin(): boolean {
    return (this.bits & R_FIN) !== 0;
  }
  private set fin(on: boolean) {
    this.bit(R_FIN, on);
  }
  private get messageCompressed(): boolean {
    return (this.bits & R_MESSAGE_COMPRESSED) !== 0;
  }
  private set messageCompressed(on: boolean) {
    this.bit(R_MESSAGE_COMPRESSED, on);
  }
  private get messageFirstPart(): boolean {
    return (this.bits & R_MESSAGE_FIRST_PART) !== 0;
  }
  private set messageFirstPart(on: boolean) {
    this.bit(R_MESSAGE_FIRST_PART, on);
  }

  /** Where messages that span frames or chunks are reassembled. */
  private get message(): MessageBuffer {
    const tools = this.tools;
    const accelerators = tools.accelerators;
    return (this.messageBuffer ??= new MessageBuffer(accelerators.allocUninitialized, accelerators.minBytes?.allocUninitialized, this.limits.maxMessageSize, tools.budget));
  }

  /** Bytes of the message being reassembled (without creating the buffer). */
  get heldBytes(): number {
    const buffer = this.messageBuffer;
    return buffer === undefined ? 0 : buffer.size;
  }

  /** The UTF-8 state of the text message being received. */
  private get utf8(): Utf8Validator {
    const accelerators = this.tools.accelerators;
    return (this.utf8Validator ??= new Utf8Validator(accelerators.validateUtf8, accelerators.minBytes?.validateUtf8));
  }

  /** Up to how many bytes messages and output frames get arrays of their own (`Accelerators.ownArraysUpTo`). */
  get ownArraysUpTo(): number {
    return this.tools.ownArraysUpTo;
  }

  /**
   * Whether a view of an input chunk has been handed out (a message, a streamed part, input to the inflater)
   * since {@link clearInputViewed}. Bytes the receiver copies (reassembled messages, small messages with
   * `ownArraysUpTo`, control payloads, header bytes) leave no view behind.
   */
  get inputViewed(): boolean {
    return (this.bits & R_INPUT_VIEWED) !== 0;
  }

  clearInputViewed(): void {
    this.bits &= ~R_INPUT_VIEWED;
  }

  /** True while a fragmented message or a frame is only partly received. */
  get midMessage(): boolean {
    return this.messageOpcode !== 0 || this.inPayload || this.headerLength > 0;
  }

  /** Decodes `chunk` (unmasking it in place). Stops early when `stopped` becomes true. */
  push(chunk: Uint8Array): void {
    try {
      this.decode(chunk);
    } finally {
      // The word views of this chunk's buffer must not outlive it (see WordView).
      releaseWordViews();
    }
  }

  private decode(chunk: Uint8Array): void {
    const end = chunk.length;
    let pos = 0;
    while (pos < end && (this.bits & R_STOPPED) === 0) {
      if ((this.bits & R_IN_PAYLOAD) !== 0) {
        const take = Math.min(this.remaining, end - pos);
        this.remaining -= take;
        this.payload(chunk, pos, pos + take);
        this.maskOffset = (this.maskOffset + take) & 3;
        pos += take;
        if (this.remaining === 0 && !this.stopped) this.frameDone();
        continue;
      }
      // A run of whole messages of one type: one unmasking call and one UTF-8 pass for all of them.
      if (this.headerLength === 0 && this.messageOpcode === 0 && !this.streaming && !runBusy && (chunk[pos] === 0x81 || chunk[pos] === 0x82)) {
        const after = this.messageRun(chunk, pos);
        if (after !== pos) {
          pos = after;
          continue;
        }
      }
      // Fast path: the whole header is in this chunk.
      if (this.headerLength === 0 && end - pos >= 2) {
        const b1 = chunk[pos + 1] as number;
        const size = headerSize(b1);
        if (!this.checkStart(chunk[pos] as number, b1)) return;
        if (end - pos >= size) {
          if (!this.readHeader(chunk, pos)) return;
          pos += size;
          if (this.remaining === 0) this.frameDone();
          continue;
        }
      }
      // Slow path: collect the header byte by byte across chunks.
      const before = this.headerLength;
      const header = (this.header ??= new Uint8Array(14));
      header[this.headerLength++] = chunk[pos++] as number;
      if (this.headerLength < 2) continue;
      const b1 = header[1] as number;
      if (before < 2 && !this.checkStart(header[0] as number, b1)) return;
      if (this.headerLength < headerSize(b1)) continue;
      this.headerLength = 0;
      if (!this.readHeader(header, 0)) return;
      if (this.remaining === 0) this.frameDone();
    }
  }

  /**
   * Delivers the run of whole, unfragmented, uncompressed messages of one type that starts at `chunk[pos]` (a FIN
   * text or binary frame header), unmasked together and, for text, UTF-8-checked in one pass; returns where the
   * run ends, or `pos` when there are fewer than two such messages (the one-message path then takes them).
   * Anything else (another type, a control frame, a fragment, a 64-bit length, a frame over a limit or cut by
   * the chunk's end) ends the run and is left to the one-message path, so every check and failure happens
   * there, in wire order.
   */
  private messageRun(chunk: Uint8Array, pos: number): number {
    const end = chunk.length;
    const b0 = chunk[pos] as number;
    const text = b0 === 0x81;
    const maxLength = Math.min(this.limits.maxFrameSize, this.limits.maxMessageSize);
    let p = pos;
    let count = 0;
    while (count < RUN_MAX && end - p >= 6 && chunk[p] === b0) {
      const b1 = chunk[p + 1] as number;
      let length = b1 & 0x7f;
      let payload = p + 6;
      if ((b1 & 0x80) === 0 || length === 127) break;
      if (length === 126) {
        if (end - p < 8) break;
        length = ((chunk[p + 2] as number) << 8) | (chunk[p + 3] as number);
        payload = p + 8;
      }
      if (length > maxLength || end - payload < length) break;
      runHeads[count] = p;
      runPayloads[count] = payload;
      runLengths[count] = length;
      runMasks[count] = maskAt(chunk, payload - 4);
      count++;
      p = payload + length;
    }
    if (count < 2) return pos;
    runBusy = true;
    try {
      // Unmask each message in place (all in one call when the runtime can).
      const first = runPayloads[0] as number;
      let ascii = false;
      const unmaskRun = this.tools.unmaskRun;
      if (unmaskRun === undefined || !unmaskRun(chunk, first, p, runPayloads, runLengths, runMasks, count)) {
        ascii = text;
        for (let i = 0; i < count; i++) {
          const payload = runPayloads[i] as number;
          this.mask = runMasks[i] as number;
          this.maskOffset = 0;
          ascii = this.unmaskTo(chunk, payload, payload + (runLengths[i] as number), chunk, payload, text) && ascii;
        }
      }
      // Text: blank the headers between the messages, so that the run is one text, and check it. ASCII
      // throughout (as the bulk unmasker may report) needs no check; binary needs none.
      let valid = !text || ascii;
      const utf8 = text ? this.utf8 : undefined;
      if (utf8 !== undefined && !valid) {
        for (let i = 1; i < count; i++) chunk.fill(0x20, runHeads[i] as number, runPayloads[i] as number);
        utf8.reset();
        valid = utf8.push(chunk, first, p) < 0 && !utf8.incomplete;
      }
      for (let i = 0; i < count && (this.bits & R_STOPPED) === 0; i++) {
        const payload = runPayloads[i] as number;
        const length = runLengths[i] as number;
        let view: Uint8Array;
        if (length <= this.tools.ownArraysUpTo) view = copySmall(chunk, payload, length);
        else {
          view = chunk.subarray(payload, payload + length);
          this.bits |= R_INPUT_VIEWED;
        }
        this.messageOpcode = text ? TEXT : BINARY;
        if (utf8 !== undefined) {
          utf8.reset();
          if (!valid) {
            // Some message in the run is invalid: check them one by one, so that those before it are delivered.
            const bad = utf8.push(view, 0, length);
            if (bad >= 0) {
              this.failText(view, 0, bad);
              break;
            }
          }
        }
        this.finishMessage(view);
      }
    } finally {
      runBusy = false;
    }
    return p;
  }

  /** Forgets any partial frame or message (after the connection stopped reading). */
  reset(): void {
    this.headerLength = 0;
    this.inPayload = false;
    this.messageOpcode = 0;
    this.messageBuffer?.clear();
    if (this.inflater !== undefined) this.inflater.out.length = 0;
  }

  private fail(code: PeerErrorCode, closeCode: number, message: string): false {
    this.stopped = true;
    this.reset();
    this.sink.onProtocolError(code, closeCode, message);
    return false;
  }

  /**
   * The message's buffer could not grow: the shared budget is spent (1013, Try Again Later, from the registry of
   * RFC 6455 §11.7) or the runtime could not allocate it (1011). This connection closes, the process goes on.
   */
  private outOfMemory(): void {
    const message = this.message;
    if (message.overBudget) this.fail('MEMORY_BUDGET', 1013, `the server's message memory is spent (a message of ${message.size} bytes and more)`);
    else this.fail('OUT_OF_MEMORY', 1011, `no memory for a message of ${message.size} bytes and more`);
  }

  /** RFC 6455 §5.2/§5.4/§5.5: checks that need only the first two bytes, so a bad frame fails at once. */
  private checkStart(b0: number, b1: number): boolean {
    const opcode = b0 & 0x0f;
    if ((b0 & 0x30) !== 0) return this.fail('RSV_NOT_NEGOTIATED', 1002, 'RSV2/RSV3 set without a negotiated extension');
    if (opcode >= 8) {
      if (opcode > 10) return this.fail('RESERVED_OPCODE', 1002, `reserved control opcode ${opcode}`);
      if ((b0 & 0x80) === 0) return this.fail('CONTROL_FRAME_FRAGMENTED', 1002, 'fragmented control frame');
      if ((b1 & 0x7f) > 125) return this.fail('CONTROL_FRAME_TOO_LONG', 1002, 'control frame payload over 125 bytes');
      if ((b0 & 0x40) !== 0) return this.fail('RSV_NOT_NEGOTIATED', 1002, 'RSV1 set on a control frame');
    } else if (opcode === 0) {
      if (this.messageOpcode === 0) return this.fail('UNEXPECTED_CONTINUATION', 1002, 'continuation frame without a message to continue');
      // RFC 7692 §6.1: RSV1 marks the first frame of a compressed message only.
      if ((b0 & 0x40) !== 0) return this.fail('RSV_NOT_NEGOTIATED', 1002, 'RSV1 set on a continuation frame');
    } else {
      if (opcode > 2) return this.fail('RESERVED_OPCODE', 1002, `reserved data opcode ${opcode}`);
      if (this.messageOpcode !== 0) return this.fail('EXPECTED_CONTINUATION', 1002, 'new data frame inside a fragmented message');
      if ((b0 & 0x40) !== 0 && this.decompressor === undefined) {
        return this.fail('RSV_NOT_NEGOTIATED', 1002, 'RSV1 set without permessage-deflate');
      }
    }
    // RFC 6455 §5.1: a server must fail the connection on an unmasked client frame.
    if ((b1 & 0x80) === 0) return this.fail('UNMASKED_FRAME', 1002, 'client frame not masked');
    return true;
  }

  /** Reads the (already started and checked) header at `buf[at]`, checks its length against the limits. */
  private readHeader(buf: Uint8Array, at: number): boolean {
    const b0 = buf[at] as number;
    const len7 = (buf[at + 1] as number) & 0x7f;
    let length = len7;
    let p = at + 2;
    if (len7 === 126) {
      length = ((buf[p] as number) << 8) | (buf[p + 1] as number);
      p += 2;
    } else if (len7 === 127) {
      const high = (((buf[p] as number) << 24) | ((buf[p + 1] as number) << 16) | ((buf[p + 2] as number) << 8) | (buf[p + 3] as number)) >>> 0;
      const low = (((buf[p + 4] as number) << 24) | ((buf[p + 5] as number) << 16) | ((buf[p + 6] as number) << 8) | (buf[p + 7] as number)) >>> 0;
      if (high >= 0x80000000) return this.fail('LENGTH_MSB_SET', 1002, '64-bit payload length with the most significant bit set');
      length = high * 4294967296 + low;
      p += 8;
    }
    this.mask = maskAt(buf, p);
    const opcode = b0 & 0x0f;
    if (length > this.limits.maxFrameSize) {
      return this.fail('FRAME_TOO_LARGE', 1009, `frame of ${length} bytes exceeds maxFrameSize ${this.limits.maxFrameSize}`);
    }
    if (opcode < 8) {
      const first = opcode !== 0;
      // Byte accounting: every frame after the first costs its payload plus a fixed overhead.
      const charge = first ? length : this.messageBytes + length + this.limits.fragmentOverheadBytes;
      if (charge > this.limits.maxMessageSize) {
        return this.fail('MESSAGE_TOO_LARGE', 1009, `message exceeds maxMessageSize ${this.limits.maxMessageSize}`);
      }
      this.messageBytes = charge;
      if (first) {
        this.messageOpcode = opcode;
        this.messageCompressed = (b0 & 0x40) !== 0;
        this.messageFirstPart = true;
        if (this.inflater !== undefined) this.inflater.bytes = 0;
        this.utf8Validator?.reset(); // one not created yet is in its initial state
      }
    }
    this.opcode = opcode;
    this.fin = (b0 & 0x80) !== 0;
    this.payloadLength = length;
    this.remaining = length;
    this.maskOffset = 0;
    this.controlLength = 0;
    this.inPayload = length > 0;
    return true;
  }

  /**
   * Masked payload bytes `buf[start, end)` of the current frame (`remaining` already counts them as read).
   * They are unmasked in place, except when they go into the reassembly buffer: then they are unmasked on the
   * way there, in one pass.
   */
  private payload(buf: Uint8Array, start: number, end: number): void {
    const count = end - start;
    const last = this.fin && this.remaining === 0;
    const reassemble =
      this.opcode < 8 &&
      !this.messageCompressed &&
      !this.streaming &&
      // Else zero copy: a single-frame message lying whole in this chunk.
      !(last && this.messageOpcode !== 0 && this.heldBytes === 0 && count === this.payloadLength && this.opcode !== 0);
    if (reassemble) {
      // A final frame starting the buffer fixes the message's exact size.
      if (this.message.size === 0) this.message.reserve(this.fin ? this.remaining + count : count, this.fin);
      const at = this.message.extend(count);
      if (at < 0) return this.outOfMemory();
      const dst = this.message.bytes;
      const ascii = this.unmaskTo(buf, start, end, dst, at, this.messageOpcode === TEXT);
      if (this.messageOpcode === TEXT && !(ascii && this.utf8.betweenSequences)) {
        const bad = this.utf8.push(dst, at, at + count);
        if (bad >= 0) this.failText(dst, at, bad);
      }
      return;
    }
    if (count <= this.tools.ownArraysUpTo && this.opcode < 8 && !this.messageCompressed && !this.streaming) {
      // A small whole message gets an array of its own, made without a view (see Accelerators.ownArraysUpTo).
      this.unmaskTo(buf, start, end, buf, start, false);
      const bad = this.messageOpcode === TEXT ? this.utf8.push(buf, start, end) : -1;
      if (bad >= 0) this.failText(buf, start, bad);
      else this.finishMessage(copySmall(buf, start, count));
      return;
    }
    // One view serves unmasking, validation and delivery (each would otherwise make its own).
    const view = buf.subarray(start, end);
    // Control payloads are copied by the connection before its call returns; anything else may be kept.
    if (this.opcode < 8) this.bits |= R_INPUT_VIEWED;
    const ascii = this.unmaskTo(view, 0, count, view, 0, this.opcode < 8 && this.messageOpcode === TEXT && !this.messageCompressed);
    if (this.opcode >= 8) {
      if (this.controlLength === 0 && count === this.payloadLength) {
        this.controlView = view;
      } else {
        const control = (this.control ??= new Uint8Array(125));
        control.set(view, this.controlLength);
        this.controlLength += count;
      }
      return;
    }
    if (this.messageCompressed) {
      this.inflate(view, last);
      return;
    }
    // ASCII after a complete sequence is valid UTF-8 as it stands (RFC 3629 §3).
    if (this.messageOpcode === TEXT && !(ascii && this.utf8.betweenSequences)) {
      const bad = this.utf8.push(view, 0, count);
      if (bad >= 0) {
        this.failText(view, 0, bad);
        return;
      }
    }
    if (this.streaming) this.deliverPart(view, last);
    else this.finishMessage(view);
  }

  /**
   * Unmasks `src[start, end)` of the current frame into `dst` at `at` (which may be the same place). True if
   * `checkAscii` and the bulk unmasker found every byte ASCII (false when it did not look).
   */
  private unmaskTo(src: Uint8Array, start: number, end: number, dst: Uint8Array, at: number, checkAscii: boolean): boolean {
    const tools = this.tools;
    const bulkUnmask = tools.unmask;
    if (bulkUnmask !== undefined && end - start >= tools.unmaskMinBytes) {
      return bulkUnmask(src, start, end, keyOf(this.mask), this.maskOffset, dst, at, checkAscii);
    }
    unmask(src, start, end, keyOf(this.mask), this.maskOffset);
    // In place first, then copied: the source is the part of the input most likely still in cache.
    if (dst !== src || at !== start) dst.set(src.subarray(start, end), at);
    return false;
  }

  private inflate(data: Uint8Array, last: boolean): void {
    const inflater = this.inflater as InflateState;
    const decompressor = inflater.decompressor;
    const out = inflater.out;
    // The decompressor counts the message's inflated bytes itself: the budget is the whole message's.
    const status = decompressor.push(data, last, this.limits.maxMessageSize, out);
    const text = this.messageOpcode === TEXT;
    // Output produced before a failure is still checked first, so that the verdict does not depend on how the
    // input was chunked (invalid text found early is a 1007 whatever comes after it).
    for (let i = 0; i < out.length; i++) {
      const part = out[i] as Uint8Array;
      // Only bytes within the message limit are judged: the byte past it is a 1009, whatever it holds.
      const within = Math.min(part.length, Math.max(0, this.limits.maxMessageSize - inflater.bytes));
      inflater.bytes += part.length;
      const bad = text ? this.utf8.push(part, 0, within) : -1;
      if (bad >= 0) {
        out.length = 0;
        this.failText(part, 0, bad);
        return;
      }
      if (status !== 'ok') continue;
      if (this.streaming) this.deliverPart(part, false);
      else if (!this.message.append(part, 0, part.length)) {
        out.length = 0;
        this.outOfMemory();
        return;
      }
    }
    out.length = 0;
    if (status === 'too-big') {
      this.fail('MESSAGE_TOO_LARGE', 1009, `inflated message exceeds maxMessageSize ${this.limits.maxMessageSize}`);
      return;
    }
    if (status === 'corrupt') {
      this.fail('DEFLATE_ERROR', 1007, 'invalid compressed data');
      return;
    }
    if (last && this.streaming) this.deliverPart(EMPTY, true);
  }

  /**
   * Invalid UTF-8 at `buf[bad]`. In stream mode the valid bytes before it are delivered first, so that the
   * application sees the same bytes however the input was chunked; then the connection fails with 1007.
   */
  private failText(buf: Uint8Array, start: number, bad: number): void {
    if (this.streaming && bad > start) this.deliverPart(buf.subarray(start, bad), false);
    if (!this.stopped) this.fail('INVALID_UTF8', 1007, 'invalid UTF-8 in a text message');
  }

  private deliverPart(data: Uint8Array, last: boolean): void {
    if (last && this.messageOpcode === TEXT && this.utf8Validator?.incomplete === true) {
      this.fail('INVALID_UTF8', 1007, 'text message ends inside a UTF-8 sequence');
      return;
    }
    const first = this.messageFirstPart;
    this.messageFirstPart = false;
    const binary = this.messageOpcode === BINARY;
    if (last) this.endMessage();
    this.sink.onFragment(binary, data, first, last);
  }

  private finishMessage(data: Uint8Array): void {
    if (this.messageOpcode === TEXT && this.utf8Validator?.incomplete === true) {
      this.fail('INVALID_UTF8', 1007, 'text message ends inside a UTF-8 sequence');
      return;
    }
    const binary = this.messageOpcode === BINARY;
    this.endMessage();
    this.sink.onMessage(binary, data);
  }

  private endMessage(): void {
    this.messageOpcode = 0;
    this.messageBytes = 0;
  }

  /** The current frame's payload is complete. */
  private frameDone(): void {
    this.inPayload = false;
    const opcode = this.opcode;
    if (opcode >= 8) {
      const payload = this.controlView ?? (this.controlLength === 0 ? EMPTY : (this.control as Uint8Array).subarray(0, this.controlLength));
      this.controlView = undefined;
      this.sink.onControl(opcode, payload);
      if (opcode === CLOSE) this.stopped = true;
      return;
    }
    if (!this.fin) return;
    if (this.messageCompressed) {
      // An empty final frame still has to flush the inflater (it carries the sync-flush tail).
      if (this.payloadLength === 0) this.inflate(EMPTY, true);
      if (this.stopped) return;
      if (!this.streaming) this.finishMessage(this.message.take());
      return;
    }
    if (this.streaming) {
      if (this.payloadLength === 0) this.deliverPart(EMPTY, true);
      return;
    }
    // Zero-length final frame, or the payload was reassembled.
    if (this.messageOpcode !== 0) this.finishMessage(this.heldBytes === 0 ? EMPTY : this.message.take());
  }
}

/** The masking key at `buf[at]` as one number, key bytes 0–3 from the least significant byte up. */
function maskAt(buf: Uint8Array, at: number): number {
  return (buf[at] as number) | ((buf[at + 1] as number) << 8) | ((buf[at + 2] as number) << 16) | ((buf[at + 3] as number) << 24);
}

/** Header size in bytes given the second header byte (RFC 6455 §5.2). */
function headerSize(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}
