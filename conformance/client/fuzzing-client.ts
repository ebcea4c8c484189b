/**
 * The fuzzing client: runs one case over one connection, behaving like the Autobahn TestSuite's client
 * (fail by dropping TCP, 1 s close-handshake and server-drop timeouts, reply to a server close with 1000,
 * chopped writes paced one chunk at a time) and records the facts the judge needs.
 */
import type { CaseContext, CaseDef, CaseHooks, ClientState, SendFrameSpec } from '../cases/api.ts';
import { judge, sameEvents } from '../judge.ts';
import type { BehaviorVerdict, CaseResult, ExpectedClose, ObservedEvent } from '../types.ts';
import { concat, repeatBytes, utf8 } from './bytes.ts';
import type { Clock, RandomSource, TimerHandle } from './clock.ts';
import { DeflateCodec, formatOffers, parseDeflateResponse } from './deflate.ts';
import { type DecodedFrame, encodeFrame, FrameDecoder } from './frame-codec.ts';
import { buildRequest, checkResponse, findHeadEnd, makeKey, MAX_RESPONSE_HEAD, parseResponseHead } from './handshake.ts';
import type { CaseTransport } from './transport.ts';

/** Something to log per connection, in order (used for traces). */
export type WireEvent =
  | { readonly type: 'sent'; readonly t: number; readonly bytes: Uint8Array }
  | { readonly type: 'received'; readonly t: number; readonly bytes: Uint8Array }
  | { readonly type: 'end'; readonly t: number };

/** Options of one client run. */
export interface ClientOptions {
  readonly transport: CaseTransport;
  readonly clock: Clock;
  readonly random: RandomSource;
  /** Host header value. */
  readonly host: string;
  /** Request target, e.g. "/" or "/echo?x=1". */
  readonly path: string;
  /** Wire log callback (traces). */
  readonly onWire?: (event: WireEvent) => void;
  /** Seconds the opening handshake may take. Default 5. */
  readonly openHandshakeTimeout?: number;
  /** Seconds the server has to answer our close frame. Default 1 (the suite's closeHandshakeTimeout). */
  readonly closeHandshakeTimeout?: number;
  /** Seconds the server has to drop TCP after the closing handshake. Default 1. */
  readonly serverConnectionDropTimeout?: number;
}

/** RFC 6455 §7.4.1 codes a peer may send (the suite's CLOSE_STATUS_CODES_ALLOWED). */
const ALLOWED_CLOSE_CODES = new Set([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013]);

const DEFAULT_EXPECTED_CLOSE: ExpectedClose = { closedByMe: true, closeCode: [1000], requireClean: true };

/** Runs `def` once and resolves with its judged result. Never rejects. */
export function runCase(def: CaseDef, options: ClientOptions): Promise<CaseResult> {
  return new Promise((resolve) => startCase(def, options, resolve));
}

/** Starts `def`; `onDone` is called synchronously when the connection ends (for virtual-time loops). */
export function startCase(def: CaseDef, options: ClientOptions, onDone: (result: CaseResult) => void): void {
  new FuzzingClient(def, options, onDone).start();
}

class FuzzingClient implements CaseContext {
  state: ClientState = 'connecting';
  deflateAgreed = false;

  private readonly o: ClientOptions;
  private readonly timers = new Set<TimerHandle>();
  private readonly expected: Array<[BehaviorVerdict, readonly ObservedEvent[]]> = [];
  private expectedClose: ExpectedClose = DEFAULT_EXPECTED_CLOSE;
  private readonly received: ObservedEvent[] = [];
  private presetBehavior: BehaviorVerdict | undefined;
  private presetResult: string | undefined;
  private closeSuppressed = false;
  private hooks: CaseHooks = {};
  private autoFragmentSize = 0;
  private codec: DeflateCodec | null = null;
  private extensions = '';

  // Connection facts (the suite's protocol flags).
  private opened = false;
  private closedByMe = false;
  private failedByMe = false;
  private droppedByMe = false;
  private wasClean = false;
  private wasNotCleanReason: string | null = null;
  private remoteCloseCode: number | null = null;
  private remoteCloseReason: string | null = null;

  private key = '';
  private headBuf: Uint8Array = new Uint8Array(0);
  private readonly decoder: FrameDecoder;
  private insideMessage = false;
  private messageBinary = false;
  private messageCompressed = false;
  private messageParts: Uint8Array[] = [];
  private readonly sendQueue: Array<{ bytes: Uint8Array }> = [];
  private pumping = false;
  private readonly txFrames = new Map<number, number>();
  private connectTime = 0;
  private openTime = 0;
  private finished = false;
  private closeHandshakeTimer: TimerHandle | null = null;
  private streamMask = new Uint8Array(4);
  private streamOffset = 0;

  constructor(private readonly def: CaseDef, options: ClientOptions, private readonly resolve: (r: CaseResult) => void) {
    this.o = options;
    this.decoder = new FrameDecoder((f) => this.onFrame(f));
  }

  start(): void {
    this.connectTime = this.o.clock.now();
    // A bound on the whole case, so no server can hang the run.
    this.after(this.def.maxSeconds + (this.o.openHandshakeTimeout ?? 5) + 3, () => {
      this.wasClean = false;
      this.wasNotCleanReason = `case did not finish within ${this.def.maxSeconds} s`;
      this.drop();
    }, true);
    this.o.transport.connect({
      onOpen: () => this.onTransportOpen(),
      onData: (bytes) => this.onTransportData(bytes),
      onClose: (reason) => this.connectionLost(reason),
    });
  }

  // ---- CaseContext -------------------------------------------------------------------------------------

  expect(verdict: BehaviorVerdict, events: readonly ObservedEvent[]): void {
    const i = this.expected.findIndex(([v]) => v === verdict);
    if (i >= 0) this.expected[i] = [verdict, events];
    else this.expected.push([verdict, events]);
  }

  expectClose(close: ExpectedClose): void {
    this.expectedClose = close;
  }

  suppressClose(): void {
    this.closeSuppressed = true;
  }

  record(event: ObservedEvent): void {
    this.received.push(event);
  }

  setBehavior(verdict: BehaviorVerdict, result: string): void {
    this.presetBehavior = verdict;
    this.presetResult = result;
  }

  setAutoFragmentSize(size: number): void {
    this.autoFragmentSize = size;
  }

  sendFrame(spec: SendFrameSpec): void {
    let payload = typeof spec.payload === 'string' ? utf8(spec.payload) : (spec.payload ?? new Uint8Array(0));
    if (spec.repeatLength !== undefined) payload = repeatBytes(payload, spec.repeatLength);
    this.writeFrame(spec.opcode, payload, spec.fin ?? true, spec.rsv ?? 0, spec.sync ?? false, spec.chop ?? 0);
  }

  sendMessage(payload: Uint8Array | string, binary: boolean, fragmentSize?: number): void {
    let data = typeof payload === 'string' ? utf8(payload) : payload;
    const opcode = binary ? 2 : 1;
    let rsv = 0;
    if (this.codec !== null) {
      data = this.codec.compress(data);
      rsv = 4; // RFC 7692 §6: RSV1 on the first frame of a compressed message.
    }
    const size = fragmentSize ?? this.autoFragmentSize;
    if (size <= 0 || data.length <= size) {
      this.writeFrame(opcode, data, true, rsv, false, 0);
      return;
    }
    // Like the suite: fragments of `size` until one would pass the end, so an exact multiple ends with an
    // empty final frame.
    for (let i = 0; ; i += size) {
      const last = i + size > data.length;
      this.writeFrame(i === 0 ? opcode : 0, data.subarray(i, Math.min(i + size, data.length)), last, i === 0 ? rsv : 0, false, 0);
      if (last) break;
    }
  }

  beginMessageFrame(opcode: number, length: number): void {
    this.streamMask = new Uint8Array(4);
    this.o.random.fill(this.streamMask);
    this.streamOffset = 0;
    // Header only: FIN clear, the payload follows with sendMessageFrameData() (RFC 6455 §5.2 framing).
    const head = encodeFrame({ opcode, payload: new Uint8Array(0), fin: false, rsv: 0, mask: this.streamMask });
    const ext = length <= 125 ? 0 : length <= 0xffff ? 2 : 8;
    const out = new Uint8Array(2 + ext + 4);
    out[0] = head[0]!;
    out[1] = 0x80 | (ext === 0 ? length : ext === 2 ? 126 : 127);
    if (ext === 2) {
      out[2] = length >>> 8;
      out[3] = length & 0xff;
    } else if (ext === 8) {
      new DataView(out.buffer).setUint32(6, length >>> 0);
    }
    out.set(this.streamMask, 2 + ext);
    this.txFrames.set(opcode, (this.txFrames.get(opcode) ?? 0) + 1);
    this.queueOrWrite(out);
  }

  sendMessageFrameData(data: Uint8Array): void {
    const out = data.slice();
    const mask = this.streamMask;
    for (let i = 0; i < out.length; i++) out[i]! ^= mask[(this.streamOffset + i) & 3]!;
    this.streamOffset += out.length;
    this.queueOrWrite(out);
  }

  endMessage(): void {
    this.writeFrame(0, new Uint8Array(0), true, 0, false, 0);
  }

  sendClose(code?: number, reason?: Uint8Array | string): void {
    if (this.state !== 'open') return;
    this.sendCloseFrame(code, reason, false);
  }

  killAfter(seconds: number): void {
    this.after(seconds, () => this.failConnection('kill timer fired'));
  }

  closeAfter(seconds: number): void {
    this.after(seconds, () => this.sendClose());
  }

  continueLater(seconds: number, fn: () => void): void {
    this.after(seconds, fn);
  }

  // ---- opening handshake -------------------------------------------------------------------------------

  private onTransportOpen(): void {
    if (this.finished) return;
    const random = new Uint8Array(16);
    this.o.random.fill(random);
    this.key = makeKey(random);
    const offers = this.def.deflateOffers ?? [];
    const request = buildRequest({
      host: this.o.host,
      path: this.o.path,
      key: this.key,
      ...(offers.length > 0 ? { extensions: formatOffers(offers) } : {}),
    });
    this.write(request);
    this.after(this.o.openHandshakeTimeout ?? 5, () => {
      if (this.state === 'connecting') {
        this.wasNotCleanReason = 'peer did not finish (in time) the opening handshake';
        this.drop();
      }
    });
  }

  private onTransportData(bytes: Uint8Array): void {
    if (this.finished) return;
    this.o.onWire?.({ type: 'received', t: this.o.clock.now() - this.connectTime, bytes });
    if (this.state === 'connecting') {
      this.headBuf = this.headBuf.length === 0 ? bytes.slice() : concat([this.headBuf, bytes]);
      const end = findHeadEnd(this.headBuf);
      if (end < 0) {
        if (this.headBuf.length > MAX_RESPONSE_HEAD) this.handshakeFailed('response head too large');
        return;
      }
      const rest = this.headBuf.subarray(end);
      if (!this.onResponse(this.headBuf.subarray(0, end))) return;
      this.headBuf = new Uint8Array(0);
      if (rest.length > 0 && !this.isClosed()) this.decoder.push(rest);
      return;
    }
    if (this.state === 'open' || this.state === 'closing') this.decoder.push(bytes);
  }

  private onResponse(head: Uint8Array): boolean {
    const res = parseResponseHead(head);
    if (typeof res === 'string') return this.handshakeFailed(res);
    const err = checkResponse(res, this.key);
    if (err !== null) return this.handshakeFailed(err);
    const agreement = parseDeflateResponse(res.headers.get('sec-websocket-extensions'), this.def.deflateOffers ?? []);
    if (typeof agreement === 'string') return this.handshakeFailed(agreement);
    if (agreement !== null) {
      this.codec = new DeflateCodec(agreement);
      this.deflateAgreed = true;
      this.extensions = res.headers.get('sec-websocket-extensions') ?? '';
    }
    this.state = 'open';
    this.opened = true;
    this.openTime = this.o.clock.now();
    this.hooks = this.def.start(this) ?? {};
    return true;
  }

  private handshakeFailed(reason: string): false {
    this.wasNotCleanReason = `opening handshake failed: ${reason}`;
    this.drop();
    return false;
  }

  // ---- receiving ---------------------------------------------------------------------------------------

  /** Checks and dispatches one server frame; false stops decoding (the connection was failed). */
  private onFrame(f: DecodedFrame): boolean {
    if (this.state === 'closed') return false;
    const compressedOk = this.codec !== null && f.rsv === 4;
    // RFC 6455 §5.2: RSV bits need a negotiated extension; §5.1: a server must not mask.
    if (f.rsv !== 0 && !compressedOk) return this.protocolViolation(`RSV = ${f.rsv} and no extension negotiated`);
    if (f.masked) return this.protocolViolation('masked server-to-client frame');
    if (f.nonMinimalLength) return this.protocolViolation('invalid data frame length (not using minimal length encoding)');
    if (f.opcode > 7) {
      // RFC 6455 §5.5: control frames are not fragmented, carry at most 125 octets, use opcodes 8–10.
      if (!f.fin) return this.protocolViolation('fragmented control frame');
      if (f.payload.length > 125) return this.protocolViolation('control frame with payload length > 125 octets');
      if (f.opcode > 10) return this.protocolViolation(`control frame using reserved opcode ${f.opcode}`);
      if (f.opcode === 8 && f.payload.length === 1) return this.protocolViolation('close frame with payload length 1');
      if (compressedOk) return this.protocolViolation('compressed control frame');
      if (f.opcode === 8) return this.onCloseFrame(f.payload);
      if (f.opcode === 9) {
        if (this.state === 'open') this.writeFrame(10, f.payload, true, 0, false, 0);
        return true;
      }
      this.received.push({ kind: 'pong', data: f.payload });
      this.finishWhenDone();
      return !this.isClosed();
    }
    if (f.opcode > 2) return this.protocolViolation(`data frame using reserved opcode ${f.opcode}`);
    if (!this.insideMessage && f.opcode === 0) return this.protocolViolation('continuation frame outside fragmented message');
    if (this.insideMessage && f.opcode !== 0) return this.protocolViolation('non-continuation frame inside fragmented message');
    if (this.insideMessage && compressedOk) return this.protocolViolation('continuation frame with RSV1 set');
    if (!this.insideMessage) {
      this.insideMessage = true;
      this.messageBinary = f.opcode === 2;
      this.messageCompressed = compressedOk;
      this.messageParts = [];
    }
    this.messageParts.push(f.payload);
    if (!f.fin) return true;
    this.insideMessage = false;
    let data = concat(this.messageParts);
    this.messageParts = [];
    if (this.messageCompressed) {
      const out = this.codec!.decompress(data);
      if (typeof out === 'string') return this.protocolViolation(out);
      data = out;
    }
    if (!this.messageBinary && !validUtf8(data)) return this.invalidPayload('invalid UTF-8 in text message');
    if (this.hooks.onMessage) this.hooks.onMessage(data, this.messageBinary);
    else {
      this.received.push({ kind: 'message', data, binary: this.messageBinary });
      this.finishWhenDone();
    }
    return !this.isClosed();
  }

  private onCloseFrame(payload: Uint8Array): boolean {
    const code = payload.length >= 2 ? (payload[0]! << 8) | payload[1]! : null;
    // RFC 6455 §7.4: codes below 1000, unassigned 1xxx/2xxx and from 5000 on must not be sent.
    if (code !== null && (code < 1000 || (code <= 2999 && !ALLOWED_CLOSE_CODES.has(code)) || code >= 5000)) {
      return this.protocolViolation(`invalid close code ${code}`);
    }
    let reason: string | null = null;
    if (payload.length > 2) {
      const raw = payload.subarray(2);
      if (!validUtf8(raw)) return this.invalidPayload('invalid close reason (non-UTF8 payload)');
      reason = new TextDecoder().decode(raw);
    }
    this.remoteCloseCode = code;
    this.remoteCloseReason = reason;
    if (this.state === 'closing') {
      // The reply to our close: the server must now drop TCP.
      this.closeHandshakeTimer?.cancel();
      this.wasClean = true;
      this.after(this.o.serverConnectionDropTimeout ?? 1, () => {
        this.wasClean = false;
        this.wasNotCleanReason = 'server did not drop TCP connection (in time)';
        this.drop();
      });
    } else if (this.state === 'open') {
      // The server starts the closing handshake: reply with 1000 and wait for it to drop TCP.
      this.wasClean = true;
      this.sendCloseFrame(1000, undefined, true);
    }
    return true;
  }

  /** The suite's finishWhenDone: once the received events equal every expected sequence, close (if ours to). */
  private finishWhenDone(): void {
    for (const [, events] of this.expected) {
      if (!sameEvents(this.received, events)) return;
    }
    if (this.expectedClose.closedByMe && !this.closeSuppressed) this.sendClose(this.expectedClose.closeCode[0]);
  }

  // ---- failing and closing -----------------------------------------------------------------------------

  private protocolViolation(reason: string): false {
    this.failConnection(`protocol violation: ${reason}`);
    return false;
  }

  private invalidPayload(reason: string): false {
    this.failConnection(`invalid payload: ${reason}`);
    return false;
  }

  /** Fails the connection by dropping TCP (the suite's failByDrop). */
  private failConnection(reason: string): void {
    if (this.state === 'closed') return;
    this.failedByMe = true;
    this.wasClean = false;
    this.wasNotCleanReason = `I failed the WebSocket connection by dropping the TCP connection (${reason})`;
    this.drop();
  }

  private sendCloseFrame(code: number | undefined, reason: Uint8Array | string | undefined, isReply: boolean): void {
    if (this.state !== 'open') return;
    const parts: Uint8Array[] = [];
    if (code !== undefined) parts.push(new Uint8Array([(code >> 8) & 0xff, code & 0xff]));
    if (reason !== undefined) parts.push(typeof reason === 'string' ? utf8(reason) : reason);
    this.writeFrame(8, concat(parts.length ? parts : [new Uint8Array(0)]), true, 0, false, 0);
    this.state = 'closing';
    this.closedByMe = !isReply;
    if (this.closedByMe) {
      this.closeHandshakeTimer = this.after(this.o.closeHandshakeTimeout ?? 1, () => {
        this.wasClean = false;
        this.wasNotCleanReason = 'peer did not respond (in time) in closing handshake';
        this.drop();
      });
    }
  }

  /** Drops the TCP connection (the suite's dropConnection). */
  private drop(): void {
    if (this.state === 'closed') {
      if (!this.finished) this.o.transport.abort();
      return;
    }
    this.droppedByMe = true;
    this.state = 'closed';
    this.decoder.stop();
    this.o.onWire?.({ type: 'end', t: this.o.clock.now() - this.connectTime });
    this.o.transport.abort();
  }

  private connectionLost(reason: string): void {
    if (this.finished) return;
    if (this.state !== 'closed' && !this.droppedByMe) {
      this.o.onWire?.({ type: 'end', t: this.o.clock.now() - this.connectTime });
    }
    this.state = 'closed';
    this.finished = true;
    this.decoder.stop();
    for (const t of this.timers) t.cancel();
    this.timers.clear();
    if (!this.wasClean && !this.droppedByMe && this.wasNotCleanReason === null) {
      this.wasNotCleanReason = `peer dropped the TCP connection without previous WebSocket closing handshake (${reason})`;
    }
    const facts = {
      opened: this.opened,
      closedByMe: this.closedByMe,
      failedByMe: this.failedByMe,
      droppedByMe: this.droppedByMe,
      wasClean: this.wasClean,
      remoteCloseCode: this.remoteCloseCode,
      remoteCloseReason: this.remoteCloseReason,
      wasNotCleanReason: this.wasNotCleanReason,
    };
    let j = judge({
      expected: this.expected,
      received: this.received,
      expectedClose: this.expectedClose,
      facts,
      ...(this.presetBehavior !== undefined ? { presetBehavior: this.presetBehavior } : {}),
      ...(this.presetResult !== undefined ? { presetResult: this.presetResult } : {}),
    });
    if (this.hooks.finish && this.opened) j = this.hooks.finish(j, { facts, txFrames: this.txFrames });
    this.resolve({
      id: this.def.id,
      description: this.def.description,
      expectation: this.def.expectation,
      ...j,
      duration: this.opened ? Math.round(this.o.clock.now() - this.openTime) : 0,
      remoteCloseCode: this.remoteCloseCode,
      facts,
      extensions: this.extensions,
    });
  }

  /** A method (not a field read) so that TypeScript does not narrow the state across calls that change it. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  // ---- writing -----------------------------------------------------------------------------------------

  private writeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv: number, sync: boolean, chop: number): void {
    const mask = new Uint8Array(4);
    this.o.random.fill(mask);
    const bytes = encodeFrame({ opcode, payload, fin, rsv, mask });
    this.txFrames.set(opcode, (this.txFrames.get(opcode) ?? 0) + 1);
    if (chop > 0) {
      for (let i = 0; i < bytes.length; i += chop) this.sendQueue.push({ bytes: bytes.subarray(i, i + chop) });
      this.pump();
    } else if (sync) {
      this.sendQueue.push({ bytes });
      this.pump();
    } else {
      this.queueOrWrite(bytes);
    }
  }

  /** Writes now, or behind what is queued (order is kept). */
  private queueOrWrite(bytes: Uint8Array): void {
    if (this.sendQueue.length > 0 || this.pumping) {
      this.sendQueue.push({ bytes });
      this.pump();
    } else {
      this.write(bytes);
    }
  }

  /** Writes queued chunks one at a time: the next only after the previous one was flushed. */
  private pump(): void {
    if (this.pumping) return;
    const next = this.sendQueue.shift();
    if (next === undefined) return;
    this.pumping = true;
    if (this.state === 'closed') {
      this.sendQueue.length = 0;
      this.pumping = false;
      return;
    }
    // The next chunk goes after this one was flushed and the event loop turned once (so the server's
    // answers to earlier chunks can arrive in between, as with the suite's reactor reentry).
    this.write(next.bytes, () => this.o.clock.defer(() => {
      this.pumping = false;
      this.pump();
    }));
  }

  private write(bytes: Uint8Array, flushed?: () => void): void {
    if (this.finished) {
      flushed?.();
      return;
    }
    this.o.onWire?.({ type: 'sent', t: this.o.clock.now() - this.connectTime, bytes });
    this.o.transport.write(bytes, flushed);
  }

  private after(seconds: number, fn: () => void, evenIfClosed = false): TimerHandle {
    let cancelled = false;
    const timer = this.o.clock.setTimer(seconds * 1000, () => {
      this.timers.delete(handle);
      // Decide after one more event-loop turn: if the loop was blocked past the deadline, bytes that arrived
      // meanwhile (e.g. the awaited close frame) are processed first, so a stall is not taken for a timeout.
      this.o.clock.defer(() => {
        if (cancelled || this.finished) return;
        if (this.state !== 'closed' || evenIfClosed) fn();
      });
    });
    const handle: TimerHandle = {
      cancel: () => {
        cancelled = true;
        timer.cancel();
      },
    };
    this.timers.add(handle);
    return handle;
  }
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true });

function validUtf8(bytes: Uint8Array): boolean {
  try {
    fatalDecoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
