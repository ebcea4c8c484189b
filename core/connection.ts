import type { ConnectionEvent, HandshakeRequest, PlainHttpRequest } from './events.ts';
import { DEFAULT_LIMITS, resolveLimits, type Limits } from './limits.ts';
import { MisuseError, type PeerErrorCode } from './errors.ts';
import { nextState, type ConnectionState, type Transition } from './state.ts';
import { FrameReceiver, type ReceiverSink } from './frame/receiver.ts';
import type { Accelerators } from './accelerators.ts';
import type { MemoryBudget } from './memory-budget.ts';
import { encodeFrame, frameHeaderLength } from './frame/encoder.ts';
import { encodeClosePayload, encodeClosePayloadUnchecked, parseClosePayload, type ParsedClosePayload } from './close.ts';
import { RequestHeadParser, type RequestHead } from './http/request-parser.ts';
import { buildAcceptResponse, buildRejectResponse, validatePlainRequest, validateUpgrade } from './http/handshake.ts';
import { resolveDeflateOptions, type DeflateOptions, type DeflateParams, type ResolvedDeflateOptions } from './deflate/options.ts';
import { negotiateDeflate, type DeflateAgreement } from './deflate/negotiation.ts';
import { pakoCodec, type DeflateCodec, type MessageCompressor } from './deflate/codec.ts';
import { NO_CHUNKS } from './bytes.ts';
import { setFlag } from './flags.ts';

export type { ConnectionState } from './state.ts';

/** Options of a {@link ServerConnection}. */
export interface ServerConnectionOptions {
  /** Limits over {@link DEFAULT_LIMITS}. */
  limits?: Partial<Limits>;
  /** `message` (default): whole messages. `stream`: `fragment` events as payload arrives, nothing buffered. */
  receiveMode?: 'message' | 'stream';
  /** permessage-deflate configuration (RFC 7692); `false` or absent disables it. */
  deflate?: DeflateOptions | false;
  /** The compression codec (default: pako, pure JS, identical on every runtime). */
  codec?: DeflateCodec;
  /**
   * Faster implementations of the core's bulk work (UTF-8 checks, unmasking, allocation) that the runtime
   * offers; events and writes are the same without them. Adapters pass what their runtime has.
   */
  accelerators?: Accelerators;
  /** Report requests without an `Upgrade` header as `http-request` events instead of answering 426. */
  plainHttp?: boolean;
  /**
   * A byte budget shared with other connections (typically all of a server's): buffers of incomplete messages
   * draw from it, and the connection that finds it spent is closed with 1013. Absent: only the per-connection
   * limits bound them.
   */
  messageBudget?: MemoryBudget;
  /**
   * Receives every event synchronously, in wire order, while the core parses (the handler may call
   * `send`, `close`, `accept`, `reject`, `ping`, `pong`; not `receive`, `end` or `tick`).
   * Without it, events queue up for {@link ServerConnection.takeEvents}.
   */
  onEvent?: (event: ConnectionEvent) => void;
  /**
   * Like `onEvent`, as an object: its `handleConnectionEvent` is called with the object as `this`. Lets an owner
   * receive events without a closure per connection (a closure costs about 110 bytes on Bun). Ignored with `onEvent`.
   */
  eventListener?: ConnectionEventListener;
}

/** Receives a connection's events (see {@link ServerConnectionOptions.eventListener}). */
export interface ConnectionEventListener {
  /** Called synchronously, in wire order, with the same rules as `onEvent`. */
  handleConnectionEvent(event: ConnectionEvent): void;
}

/** How the application accepts an upgrade. */
export interface AcceptOptions {
  /** The subprotocol to select; must be one the client offered (else {@link MisuseError}). */
  protocol?: string;
  /**
   * Other permessage-deflate parameters than the server's options give (`false` declines compression). They are
   * negotiated against the client's offers exactly as those options are (RFC 7692 §7.1): the first acceptable
   * offer is taken, window bits never exceed what it allows, `client_max_window_bits` below 15 applies only if it
   * was offered, and a `*_no_context_takeover` the client asked for is kept. {@link MisuseError} if a value is
   * out of range or no offer is acceptable.
   */
  deflate?: DeflateParams | false;
  /** Extra response headers (validated: no CR/LF, names are tokens). */
  headers?: Iterable<readonly [string, string]> | Record<string, string>;
}

/** How the application refuses an upgrade (or answers a plain HTTP request). */
export interface RejectOptions {
  /** HTTP status, 200–599. */
  status: number;
  headers?: Iterable<readonly [string, string]> | Record<string, string>;
  body?: string | Uint8Array;
}

/** Options of one {@link ServerConnection.send}. */
export interface SendOptions {
  /** Binary (default for `Uint8Array`) or text (default for `string`). */
  binary?: boolean;
  /** `false` sends a fragment: the message goes on with the next `send`. Default true. */
  fin?: boolean;
  /** Compress when permessage-deflate is active. Default: when the message reaches the threshold. */
  compress?: boolean;
}

/** A request head already parsed by an HTTP server (Node's `upgrade` event). */
export interface ParsedRequest {
  method: string;
  target: string;
  httpVersion: string;
  rawHeaders: ReadonlyArray<readonly [string, string]>;
}

type ErrorEvent = Extract<ConnectionEvent, { type: 'error' }>;

const OPCODE_TEXT = 1;
const OPCODE_BINARY = 2;
const OPCODE_CONTINUATION = 0;
const OPCODE_CLOSE = 8;
const OPCODE_PING = 9;
const OPCODE_PONG = 10;
const EMPTY = new Uint8Array(0);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();
const NO_EVENTS: ConnectionEvent[] = Object.freeze([]) as unknown as ConnectionEvent[];

/** Without a handler: events queue up for takeEvents. */
class EventQueue implements ConnectionEventListener {
  events: ConnectionEvent[] = [];
  handleConnectionEvent(event: ConnectionEvent): void {
    this.events.push(event);
  }
}

/** What every connection given the same limits, deflate options and codec shares (one field, not three). */
class SharedSettings {
  readonly limits: Readonly<Limits>;
  readonly deflate: ResolvedDeflateOptions | undefined;
  readonly codec: DeflateCodec;
  constructor(limits: Readonly<Limits>, deflate: ResolvedDeflateOptions | undefined, codec: DeflateCodec) {
    this.limits = limits;
    this.deflate = deflate;
    this.codec = codec;
  }
}

/** The WeakMap key for "no deflate options". */
const NO_DEFLATE = {};
/** Settings by resolved limits, deflate options and codec (weak keys: nothing outlives its options). */
const settingsCache = new WeakMap<object, WeakMap<object, WeakMap<object, SharedSettings>>>();

function sharedSettings(options: ServerConnectionOptions): SharedSettings {
  const limits = resolveLimits(options.limits);
  const deflate = options.deflate;
  const codec = options.codec ?? pakoCodec;
  const deflateKey = !deflate ? NO_DEFLATE : typeof deflate === 'object' ? deflate : undefined;
  if (deflateKey === undefined) return new SharedSettings(limits, resolveDeflateOptions(deflate as DeflateOptions), codec);
  let byDeflate = settingsCache.get(limits);
  if (byDeflate === undefined) settingsCache.set(limits, (byDeflate = new WeakMap()));
  let byCodec = byDeflate.get(deflateKey);
  if (byCodec === undefined) byDeflate.set(deflateKey, (byCodec = new WeakMap()));
  let settings = byCodec.get(codec);
  if (settings === undefined) {
    settings = new SharedSettings(limits, deflate ? resolveDeflateOptions(deflate) : undefined, codec);
    byCodec.set(codec, settings);
  }
  return settings;
}

/** State of the opening handshake, dropped once the request is decided (or the connection fails). */
class HandshakePhase {
  /** Until the request head is complete. */
  parser: RequestHeadParser | undefined;
  /** The validated upgrade request, while the application decides. */
  request: HandshakeRequest | undefined = undefined;
  /** Bytes that arrived while the application was deciding. */
  pending: Uint8Array[] | undefined = undefined;
  pendingBytes = 0;
  constructor(parser: RequestHeadParser) {
    this.parser = parser;
  }
}

/** permessage-deflate in use on a connection: the parameters, and the compressor once a message was compressed. */
class DeflateInUse {
  readonly params: DeflateParams;
  compressor: MessageCompressor | undefined = undefined;
  constructor(params: DeflateParams) {
    this.params = params;
  }
}

// Boolean state packed in one number field. Fields cost 8 bytes each, and Bun (JSC) rounds objects up to size
// classes: 13–18 fields take 160 bytes, 19–26 take 224, 27–30 take 256 (measured with bun:jsc heapStats). State
// that only some phases or connections need lives in the small objects above, created when needed.
const F_PLAIN_HTTP = 1; // options.plainHttp
const F_PLAIN_REQUEST = 2; // the request is plain HTTP (no upgrade)
const F_BUSY = 4; // inside receive/end/tick
const F_CLOSE_SENT = 8;
const F_SENDING_FRAGMENTED = 16; // a message sent with fin: false is not finished
const F_INPUT_KEPT = 32; // the last chunk received is held while the upgrade is decided
const F_HEAD_REQUEST = 64; // the request's method is HEAD: its response carries no content (RFC 9110 §9.3.2)
const F_END_PENDING = 128; // end() was called from an event handler: the connection finishes when the call returns

/**
 * The server side of one WebSocket connection (RFC 6455, RFC 7692), without I/O.
 *
 * Feed it bytes ({@link receive}), application commands ({@link accept}, {@link send}, {@link close}, …) and time
 * ({@link tick}); it produces events (through `onEvent` or {@link takeEvents}), bytes to write ({@link takeWrites}),
 * the next time it needs to be woken ({@link nextDeadline}) and whether the transport should be closed
 * ({@link transportShouldClose}). Peer errors never throw; they become `error` events with the close frame or HTTP
 * response already written. API misuse throws {@link MisuseError}.
 */
export class ServerConnection implements ReceiverSink {
  /** The selected subprotocol ('' if none). */
  protocol = '';
  /** The `Sec-WebSocket-Extensions` response value ('' if none). */
  extensions = '';
  /** What negotiation chose for this request (parameters and response value). */
  private agreement: DeflateAgreement | undefined = undefined;

  private currentState: ConnectionState = 'handshake';
  /** `onEvent`, `eventListener`, or an {@link EventQueue} for takeEvents. */
  private readonly listener: ConnectionEventListener | ((event: ConnectionEvent) => void);
  /** Bytes to write; {@link NO_CHUNKS} while there are none. */
  private writes: Uint8Array[] = NO_CHUNKS;
  private readonly receiver: FrameReceiver;
  private readonly settings: SharedSettings;
  /** Until the upgrade is decided. */
  private handshake: HandshakePhase | undefined;
  /** From an accept with permessage-deflate. */
  private deflateInUse: DeflateInUse | undefined = undefined;
  /** F_* bits. */
  private flags = 0;

  // Time (ms of the caller's clock).
  private now: number;
  /**
   * When the current phase's deadline runs from: in `handshake` and `deciding`, when the connection started;
   * in `closing`, when our close frame was sent (one field for both: each is only read in its own states).
   */
  private phaseStartedAt: number;
  private lastReceivedAt: number;
  private pingSentAt = -1;

  /** The peer's close frame: undefined until one was received. */
  private peerClose: Extract<ParsedClosePayload, { ok: true }> | undefined = undefined;
  private pendingPongs = 0;
  private lastPongIndex = -1;

  constructor(options: ServerConnectionOptions = {}, now = 0) {
    const settings = sharedSettings(options);
    this.settings = settings;
    this.listener = options.onEvent ?? options.eventListener ?? new EventQueue();
    if (options.plainHttp === true) this.flags = F_PLAIN_HTTP;
    this.receiver = new FrameReceiver(this, settings.limits, options.receiveMode === 'stream', options.accelerators, options.messageBudget);
    this.handshake = new HandshakePhase(new RequestHeadParser(settings.limits));
    this.now = now;
    this.phaseStartedAt = now;
    this.lastReceivedAt = now;
  }

  /** The connection's state (see {@link ConnectionState}). */
  get state(): ConnectionState {
    return this.currentState;
  }

  /** The limits in force (frozen; shared by every connection given the same resolved limits). */
  get limits(): Readonly<Limits> {
    return this.settings.limits;
  }

  /**
   * The validated upgrade request, from the `request` event until the application accepts or rejects it; then
   * released, so that an open connection does not keep the request's headers alive.
   */
  get request(): HandshakeRequest | undefined {
    return this.handshake?.request;
  }

  /** The permessage-deflate parameters in use, if any. */
  get deflate(): DeflateParams | undefined {
    return this.deflateInUse?.params;
  }

  /** What negotiation would choose for this request; the application may override it in `accept`. */
  get proposedDeflate(): DeflateParams | undefined {
    return this.agreement?.params;
  }

  /** True once the transport should be closed (after flushing the writes already taken): the state is `closed`. */
  get transportShouldClose(): boolean {
    return this.currentState === 'closed';
  }

  /** The write list to push onto: the connection's own array from the first write on. */
  private get out(): Uint8Array[] {
    const writes = this.writes;
    return writes === NO_CHUNKS ? (this.writes = []) : writes;
  }

  private has(flag: number): boolean {
    return (this.flags & flag) !== 0;
  }

  /** The next time (caller's clock) at which {@link tick} must be called; `Infinity` when none. */
  get nextDeadline(): number {
    const limits = this.settings.limits;
    switch (this.currentState) {
      case 'handshake':
      case 'deciding':
        return this.phaseStartedAt + limits.handshakeTimeoutMs;
      case 'open':
        if (limits.pingIntervalMs <= 0) return Infinity;
        return this.pingSentAt >= 0 ? this.pingSentAt + limits.pongTimeoutMs : this.lastReceivedAt + limits.pingIntervalMs;
      case 'closing':
        return this.phaseStartedAt + limits.closeTimeoutMs;
      default:
        return Infinity;
    }
  }

  /** Takes the queued events (only used when no `onEvent` handler was given). */
  takeEvents(): ConnectionEvent[] {
    const queue = this.listener;
    if (!(queue instanceof EventQueue)) return NO_EVENTS;
    const events = queue.events;
    if (events.length === 0) return events;
    queue.events = [];
    return events;
  }

  /** Takes the bytes to write, in order. The caller owns the returned array. */
  takeWrites(): Uint8Array[] {
    const writes = this.writes;
    this.pendingPongs = 0;
    this.lastPongIndex = -1;
    if (writes.length === 0) return writes;
    this.writes = NO_CHUNKS;
    return writes;
  }

  /** True when there are bytes to write. */
  get hasWrites(): boolean {
    return this.writes.length > 0;
  }

  // ---------------------------------------------------------------- input

  /**
   * Whether the chunk last passed to {@link receive} may still be referenced after that call: a message or a part
   * of one was handed out as a view of it, or the core keeps it (bytes that arrive while an upgrade is decided).
   * When false, the caller may reuse the chunk's memory for its next read (the Deno adapter does, which saves
   * allocating and zero-filling a read buffer per read when messages span reads and are reassembled anyway).
   */
  get retainsInput(): boolean {
    return (this.flags & F_INPUT_KEPT) !== 0 || this.receiver.inputViewed;
  }

  /**
   * Bytes of the incoming message being reassembled (after inflation), 0 when none: what the connection holds
   * of a message it has not delivered yet. An adapter that holds delivered events back counts it with them.
   */
  get incompleteMessageBytes(): number {
    return this.receiver.heldBytes;
  }

  /**
   * Bytes from the transport. The chunk may be unmasked in place, and views of it may be handed out in
   * `message` events: the caller must not reuse it unless {@link retainsInput} is false afterwards.
   */
  receive(chunk: Uint8Array, now: number = this.now): void {
    this.enter(now);
    this.flags &= ~F_INPUT_KEPT;
    this.receiver.clearInputViewed();
    try {
      this.lastReceivedAt = this.now;
      this.pingSentAt = -1;
      switch (this.currentState) {
        case 'handshake':
          this.receiveHead(chunk);
          break;
        case 'deciding':
          this.keepPending(chunk);
          break;
        case 'open':
        case 'closing':
          this.receiver.push(chunk);
          break;
        default:
          break; // closed: input is discarded
      }
    } finally {
      this.leave();
    }
  }

  /** A request head parsed by an HTTP server; bytes after the head follow through {@link receive}. */
  receiveRequest(request: ParsedRequest, now: number = this.now): void {
    const phase = this.handshake;
    if (this.currentState !== 'handshake' || phase === undefined || phase.parser === undefined) {
      throw new MisuseError('INVALID_STATE', 'receiveRequest() is only valid before any bytes were received');
    }
    this.enter(now);
    try {
      phase.parser = undefined;
      // No bytes can be pending here: an accept from the `request` handler leaves nothing to parse.
      this.onHead({ method: request.method, target: request.target, httpVersion: request.httpVersion, rawHeaders: request.rawHeaders.map((h) => [h[0], h[1]] as [string, string]) });
    } finally {
      this.leave();
    }
  }

  /**
   * The transport's read side ended or failed, or the application dropped it: nothing more will be received.
   * Unlike `receive` and `tick`, it may be called from an event handler (the transport went away meanwhile, or a
   * handler terminated the connection): nothing more of the input being parsed is then looked at, and the
   * connection finishes (`closed`) as soon as the handler's call into the core returns.
   */
  end(now: number = this.now): void {
    if (this.has(F_BUSY)) {
      if (now > this.now) this.now = now;
      if (this.currentState !== 'closed') {
        this.receiver.stopped = true;
        this.flags |= F_END_PENDING;
      }
      return;
    }
    this.enter(now);
    try {
      if (this.currentState === 'closed') return;
      this.receiver.stopped = true;
      const peer = this.peerClose;
      this.finish('transport-ended', peer !== undefined ? peer.code : 1006, peer !== undefined ? peer.reason : '');
    } finally {
      this.leave();
    }
  }

  /**
   * The peer showed that it is alive without sending anything: the transport saw it take our bytes. The keepalive
   * counts it as traffic (a transport that stops reading while its outbound queue is full could not read a pong).
   */
  peerActive(now: number = this.now): void {
    if (now > this.now) this.now = now;
    if (this.currentState !== 'open') return;
    this.lastReceivedAt = this.now;
    this.pingSentAt = -1;
  }

  /** Advances time; handles the handshake, keepalive and close deadlines. */
  tick(now: number): void {
    this.enter(now);
    try {
      if (now < this.nextDeadline) return;
      switch (this.currentState) {
        case 'handshake':
          this.failHttp(408, 'HANDSHAKE_TIMEOUT', 'the opening handshake did not complete in time', []);
          break;
        case 'deciding':
          this.failHttp(503, 'HANDSHAKE_TIMEOUT', 'the upgrade decision did not come in time', []);
          break;
        case 'open':
          if (this.pingSentAt >= 0) {
            // RFC 6455 §7.1.7: the peer is gone; close with 1001 and drop the transport without waiting.
            this.writeClose(1001, 'idle timeout');
            this.finish('timeout', 1006, '', this.errorEvent('IDLE_TIMEOUT', 'no data from the peer after a keepalive ping', 1001));
          } else {
            this.frame(OPCODE_PING, EMPTY);
            this.pingSentAt = now;
          }
          break;
        case 'closing':
          this.finish('timeout', 1006, '', this.errorEvent('CLOSE_TIMEOUT', 'the peer did not answer the close frame in time'));
          break;
        default:
          break;
      }
    } finally {
      this.leave();
    }
  }

  // ---------------------------------------------------------------- application commands

  /** Accepts the pending upgrade: writes the 101 response and opens the connection. */
  accept(options: AcceptOptions = {}, now: number = this.now): void {
    if (this.currentState !== 'deciding' || this.has(F_PLAIN_REQUEST)) {
      throw new MisuseError('INVALID_STATE', `accept() needs a pending upgrade request (state ${this.currentState})`);
    }
    const request = this.request as HandshakeRequest;
    const protocol = options.protocol ?? '';
    if (protocol !== '' && !request.protocols.includes(protocol)) {
      throw new MisuseError('INVALID_OPTION', `subprotocol ${JSON.stringify(protocol)} was not offered by the client`);
    }
    let agreement = options.deflate === undefined ? this.agreement : undefined;
    if (options.deflate) {
      // The application's parameters go through the same negotiation as the server's options; RFC 6455 §9.1:
      // the server may only answer with an extension (and parameters) the client offered.
      const { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits } = options.deflate;
      agreement = negotiateDeflate(request.extensions, { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits });
      if (agreement === undefined) {
        throw new MisuseError('INVALID_OPTION', 'accept({ deflate }) needs an acceptable permessage-deflate offer from the client');
      }
    }
    const deflate = agreement?.params;
    const extensions = agreement?.response ?? '';
    const response = buildAcceptResponse(request.key, {
      protocol: protocol === '' ? undefined : protocol,
      extensions: extensions === '' ? undefined : extensions,
      headers: options.headers,
    });
    if (now > this.now) this.now = now;
    this.protocol = protocol;
    this.extensions = extensions;
    if (deflate !== undefined) {
      this.deflateInUse = new DeflateInUse(deflate);
      this.receiver.decompressor = this.settings.codec.createDecompressor({ windowBits: deflate.clientMaxWindowBits, noContextTakeover: deflate.clientNoContextTakeover });
    }
    this.out.push(response);
    // Bytes are only pending after a decision that came later: then accept runs outside receive() (not busy).
    const pending = this.handshake?.pending;
    this.handshake = undefined;
    this.move('accept');
    this.lastReceivedAt = this.now;
    this.emit({ type: 'open', protocol, extensions });
    // Called from the request handler inside receive(): the bytes after the head are parsed when the handler returns.
    if (!this.has(F_BUSY)) this.processPending(pending);
  }

  /** Parses the bytes that arrived while the application was deciding. */
  private processPending(pending: Uint8Array[] | undefined): void {
    if (pending === undefined) return;
    for (const chunk of pending) {
      const state = this.state; // handlers may have closed it meanwhile
      if (state !== 'open' && state !== 'closing') break;
      this.receiver.push(chunk);
    }
  }

  /** Refuses the pending upgrade (or answers a plain HTTP request): writes the response, then the transport closes. */
  reject(options: RejectOptions, now: number = this.now): void {
    if (this.currentState !== 'deciding') {
      throw new MisuseError('INVALID_STATE', `reject() needs a pending request (state ${this.currentState})`);
    }
    const status = options.status;
    if (!Number.isInteger(status) || status < 200 || status > 599 || status === 101) {
      throw new MisuseError('INVALID_OPTION', `status must be an integer 200-599, got ${String(status)}`);
    }
    if (now > this.now) this.now = now;
    this.out.push(buildRejectResponse(status, { headers: options.headers, body: options.body, headOnly: this.has(F_HEAD_REQUEST) }));
    this.finish('reject', 1006, '');
  }

  /**
   * Sends a message or, with `fin: false`, a fragment of one. Strings are sent as text. Returns the bytes of the
   * frame queued (after compression). Throws {@link MisuseError} unless the connection is open.
   */
  send(data: Uint8Array | string, options?: SendOptions, now: number = this.now): number {
    if (this.currentState !== 'open') {
      throw new MisuseError('INVALID_STATE', `send() needs an open connection (state ${this.currentState})`);
    }
    if (now > this.now) this.now = now;
    const isString = typeof data === 'string';
    const bytes = isString ? textEncoder.encode(data) : data;
    const binary = options?.binary ?? !isString;
    const fin = options?.fin ?? true;
    const continuing = this.has(F_SENDING_FRAGMENTED);
    const opcode = continuing ? OPCODE_CONTINUATION : binary ? OPCODE_BINARY : OPCODE_TEXT;
    const deflate = this.settings.deflate;
    const inUse = this.deflateInUse;
    let payload = bytes;
    let rsv1 = false;
    // Only whole messages are compressed: RSV1 would have to be decided on the first fragment.
    if (inUse !== undefined && deflate !== undefined && !continuing && fin) {
      const compress = options?.compress ?? bytes.length >= deflate.threshold;
      if (compress) {
        inUse.compressor ??= this.settings.codec.createCompressor({
          windowBits: inUse.params.serverMaxWindowBits,
          noContextTakeover: inUse.params.serverNoContextTakeover,
          level: deflate.level,
          memLevel: deflate.memLevel,
        });
        payload = inUse.compressor.compress(bytes);
        rsv1 = true;
      }
    }
    this.flags = setFlag(this.flags, F_SENDING_FRAGMENTED, !fin);
    return this.frame(opcode, payload, fin, rsv1);
  }

  /** Sends a ping (payload ≤ 125 bytes); returns the bytes of the frame queued. */
  ping(data: Uint8Array | string = EMPTY, now: number = this.now): number {
    return this.sendControl(OPCODE_PING, data, now);
  }

  /** Sends an unsolicited pong (payload ≤ 125 bytes), e.g. as a one-way heartbeat; returns the bytes of the frame queued. */
  pong(data: Uint8Array | string = EMPTY, now: number = this.now): number {
    return this.sendControl(OPCODE_PONG, data, now);
  }

  /**
   * Starts the closing handshake (RFC 6455 §7.1.2) with `code` (1000–1003, 1007–1014, 3000–4999) and a reason of at
   * most 123 UTF-8 bytes. Does nothing once closing or closed (but bad arguments throw in every state). Before the
   * connection is open, use `reject`.
   */
  close(code = 1000, reason = '', now: number = this.now): void {
    const payload = encodeClosePayload(code, reason);
    const state = this.currentState;
    if (state === 'closing' || state === 'closed') return;
    if (state !== 'open') throw new MisuseError('INVALID_STATE', `close() needs an open connection (state ${state}); use reject()`);
    if (now > this.now) this.now = now;
    this.frame(OPCODE_CLOSE, payload);
    this.flags |= F_CLOSE_SENT;
    this.phaseStartedAt = this.now;
    this.move('close-sent');
  }

  // ---------------------------------------------------------------- receiver sink (called while parsing)

  /** @internal */
  onMessage(binary: boolean, data: Uint8Array): void {
    if (this.currentState !== 'open') return; // RFC 6455 §7.1.2: data after our close frame is discarded
    this.emit({ type: 'message', binary, data });
  }

  /** @internal */
  onFragment(binary: boolean, data: Uint8Array, first: boolean, fin: boolean): void {
    if (this.currentState !== 'open') return;
    this.emit({ type: 'fragment', binary, data, first, fin });
  }

  /** @internal */
  onControl(opcode: number, payload: Uint8Array): void {
    if (opcode === OPCODE_PING) {
      if (this.currentState === 'open') this.autoPong(payload);
      this.emit({ type: 'ping', data: payload.slice() });
    } else if (opcode === OPCODE_PONG) {
      this.emit({ type: 'pong', data: payload.slice() });
    } else {
      this.onPeerClose(payload);
    }
  }

  /** @internal */
  onProtocolError(code: PeerErrorCode, closeCode: number, message: string): void {
    this.failConnection(code, closeCode, message);
  }

  // ---------------------------------------------------------------- internals

  private enter(now: number): void {
    if (this.has(F_BUSY)) throw new MisuseError('INVALID_STATE', 'receive() and tick() must not be called from an event handler');
    this.flags |= F_BUSY;
    if (now > this.now) this.now = now;
  }

  /** Leaves a call into the core; an `end()` that came from a handler meanwhile takes effect now. */
  private leave(): void {
    this.flags &= ~F_BUSY;
    if (this.has(F_END_PENDING)) {
      this.flags &= ~F_END_PENDING;
      this.end(this.now);
    }
  }

  private move(transition: Transition): void {
    this.currentState = nextState(this.currentState, transition);
  }

  private emit(event: ConnectionEvent): void {
    // A function is called directly: wrapping it in a listener object cost 16 B messages about 10% on Bun (JSC).
    const listener = this.listener;
    if (typeof listener === 'function') listener(event);
    else listener.handleConnectionEvent(event);
  }

  private errorEvent(code: PeerErrorCode, message: string, closeCode?: number, status?: number): ErrorEvent {
    const event: { type: 'error'; code: PeerErrorCode; message: string; closeCode?: number; status?: number } = { type: 'error', code, message };
    if (closeCode !== undefined) event.closeCode = closeCode;
    if (status !== undefined) event.status = status;
    return event;
  }

  /**
   * Moves to `closed`, asks for the transport to close, and reports it: first the peer's error if there is one
   * (handlers then already see the final state, so nothing they call can write after the close), then `closed`.
   */
  private finish(transition: Transition, code: number, reason: string, error?: ErrorEvent): void {
    if (this.currentState === 'closed') return;
    this.move(transition);
    this.receiver.stopped = true;
    this.receiver.reset();
    this.receiver.decompressor?.dispose();
    this.receiver.decompressor = undefined;
    if (this.deflateInUse !== undefined) this.deflateInUse.compressor = undefined;
    this.handshake = undefined;
    if (error !== undefined) this.emit(error);
    this.emit({ type: 'closed', code, reason, wasClean: this.has(F_CLOSE_SENT) && this.peerClose !== undefined });
  }

  private receiveHead(chunk: Uint8Array): void {
    const phase = this.handshake;
    const parser = phase?.parser;
    if (phase === undefined || parser === undefined) return;
    const result = parser.push(chunk);
    if (result.kind === 'incomplete') return;
    phase.parser = undefined;
    if (result.kind === 'error') {
      this.failHttp(result.status, result.code, result.reason, []);
      return;
    }
    this.onHead(result.head);
    // Bytes after the head are frames that arrived early. If the request handler accepted at once, they are
    // parsed now (after the handler returned, so that what it sent comes first); else kept until the decision.
    if (result.consumed < chunk.length) this.afterHead(chunk.subarray(result.consumed));
  }

  private afterHead(rest: Uint8Array): void {
    const state = this.state;
    if (state === 'deciding') this.keepPending(rest);
    else if (state === 'open' || state === 'closing') this.receiver.push(rest);
  }

  private onHead(head: RequestHead): void {
    if (head.method === 'HEAD') this.flags |= F_HEAD_REQUEST;
    if (this.has(F_PLAIN_HTTP) && !hasHeader(head.rawHeaders, 'upgrade')) {
      const checked = validatePlainRequest(head);
      if (!checked.ok) {
        this.failHttp(checked.status, checked.code, checked.reason, checked.headers);
        return;
      }
      this.flags |= F_PLAIN_REQUEST;
      this.move('request-complete');
      const request: PlainHttpRequest = { method: head.method, target: checked.target, httpVersion: head.httpVersion, headers: checked.headers, rawHeaders: head.rawHeaders };
      this.emit({ type: 'http-request', request });
      return;
    }
    const result = validateUpgrade(head);
    if (!result.ok) {
      this.failHttp(result.status, result.code, result.reason, result.headers);
      return;
    }
    const request = result.request;
    (this.handshake as HandshakePhase).request = request;
    const options = this.settings.deflate;
    if (options !== undefined) this.agreement = negotiateDeflate(request.extensions, options);
    this.move('request-complete');
    this.emit({ type: 'request', request });
  }

  private keepPending(chunk: Uint8Array): void {
    const phase = this.handshake;
    if (this.has(F_PLAIN_REQUEST) || phase === undefined) return; // no keep-alive: the response closes the connection
    phase.pendingBytes += chunk.length;
    if (phase.pendingBytes > this.settings.limits.maxPendingBytes) {
      this.failHttp(400, 'HANDSHAKE_PENDING_OVERFLOW', 'too many bytes before the upgrade was accepted', []);
      return;
    }
    (phase.pending ??= []).push(chunk);
    this.flags |= F_INPUT_KEPT;
  }

  private failHttp(status: number, code: PeerErrorCode, reason: string, headers: ReadonlyArray<readonly [string, string]>): void {
    this.out.push(buildRejectResponse(status, { headers, body: reason, headOnly: this.has(F_HEAD_REQUEST) }));
    this.finish('fail', 1006, '', this.errorEvent(code, reason, undefined, status));
  }

  /** RFC 6455 §7.1.7 "Fail the WebSocket Connection": send a close frame with `closeCode`, then close the transport. */
  private failConnection(code: PeerErrorCode, closeCode: number, message: string): void {
    const state = this.currentState;
    if (state === 'closed') return;
    this.receiver.stopped = true;
    if (!this.has(F_CLOSE_SENT)) this.writeClose(closeCode, '');
    this.finish('fail', closeCode, '', this.errorEvent(code, message, closeCode));
  }

  private writeClose(code: number, reason: string): void {
    this.frame(OPCODE_CLOSE, encodeClosePayloadUnchecked(code, reason));
    this.flags |= F_CLOSE_SENT;
  }

  private onPeerClose(payload: Uint8Array): void {
    const parsed = parseClosePayload(payload);
    if (!parsed.ok) {
      const closeCode = parsed.code === 'INVALID_CLOSE_REASON' ? 1007 : 1002;
      this.failConnection(parsed.code, closeCode, 'invalid close frame');
      return;
    }
    this.peerClose = parsed;
    this.emit({ type: 'peer-close', code: parsed.code, reason: parsed.reason });
    if (this.currentState === 'closed') return;
    if (!this.has(F_CLOSE_SENT)) {
      // RFC 6455 §5.5.1: echo the status code; an empty close is answered with an empty close.
      this.frame(OPCODE_CLOSE, payload.length === 0 ? EMPTY : encodeClosePayloadUnchecked(parsed.code, ''));
      this.flags |= F_CLOSE_SENT;
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection first.
    this.finish('close-received', parsed.code, parsed.reason);
  }

  private autoPong(payload: Uint8Array): void {
    // RFC 6455 §5.5.3: past the limit, answer only the most recent ping by replacing the previous pong.
    if (this.pendingPongs >= this.settings.limits.maxPendingPongs && this.lastPongIndex >= 0) {
      const replacement: Uint8Array[] = [];
      this.frame(OPCODE_PONG, payload.slice(), true, false, replacement);
      if (replacement.length === 1) {
        this.writes[this.lastPongIndex] = replacement[0] as Uint8Array;
        return;
      }
    }
    this.lastPongIndex = this.writes.length;
    this.pendingPongs++;
    this.frame(OPCODE_PONG, payload.slice());
  }

  /**
   * Encodes one frame into `out` (the writes by default), with the runtime's choice of arrays (`ownArraysUpTo`);
   * returns its size in bytes.
   */
  private frame(opcode: number, payload: Uint8Array, fin = true, rsv1 = false, out: Uint8Array[] = this.out): number {
    encodeFrame(fin, rsv1, opcode, payload, out, this.receiver.ownArraysUpTo);
    return frameHeaderLength(payload.length) + payload.length;
  }

  private sendControl(opcode: number, data: Uint8Array | string, now: number): number {
    if (this.currentState !== 'open') {
      throw new MisuseError('INVALID_STATE', `ping()/pong() need an open connection (state ${this.currentState})`);
    }
    const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
    if (bytes.length > 125) throw new MisuseError('CONTROL_PAYLOAD_TOO_LONG', 'control frame payloads are limited to 125 bytes');
    if (now > this.now) this.now = now;
    return this.frame(opcode, bytes);
  }
}

function hasHeader(rawHeaders: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  for (const [key] of rawHeaders) if (key.toLowerCase() === name) return true;
  return false;
}

/** Decodes validated UTF-8 (a convenience for callers without a faster runtime decoder). */
export function decodeText(data: Uint8Array): string {
  return textDecoder.decode(data);
}
