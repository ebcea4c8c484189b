/**
 * The runtime-neutral pump of one connection: transport bytes → core → events → handlers; core writes →
 * transport; the core's next deadline, in the process's one deadline scheduler; outbound/inbound backpressure.
 * No protocol logic: handshake, framing, close codes and timeouts are the core's (ServerConnection).
 */
import { ServerConnection, type ConnectionEventListener, type ServerConnectionOptions } from '../../core/connection.ts';
import { RecordingConnection } from '../../core/trace/recorder.ts';
import { isValidUtf8 } from '../../core/text/utf8.ts';
import { MisuseError } from '../../core/errors.ts';
import { encodeClosePayload } from '../../core/close.ts';
import type { ConnectionEvent } from '../../core/events.ts';
import type { ServerConfig } from './options.ts';
import type { Transport, TransportSink } from './transport.ts';
import type { PublishData, TopicRegistry } from './topics.ts';
import type { SendOptions } from '../../core/connection.ts';
import type { HttpResponse, PeerFailure, UpgradeDecision } from './types.ts';
import { monotonicNow } from './clock.ts';
import { DeadlineScheduler, NOT_SCHEDULED, type DeadlineEntry } from './deadline-scheduler.ts';
import { WebSocket } from './websocket.ts';
import { checkUpgradeDecision, isOriginAllowed, isRejection, isThenable, selectProtocol, toHttpRequest, toUpgradeRequest } from './upgrade.ts';
import { setFlag } from '../../core/flags.ts';

/**
 * Reading is paused (a bit of `Session.bits`): the events held back (behind an async handler that has not settled,
 * or while the outbound queue is above the high-water mark) passed {@link HELD_BYTES_LIMIT}. It resumes once they
 * are delivered.
 */
const PAUSE_HELD = 64;
const PAUSE_MASK = PAUSE_HELD;

/**
 * Events held back may reach this many bytes (payloads, plus {@link HELD_EVENT_BYTES} each) before reading pauses.
 * Reading on while a handler is pending or the outbound queue is full keeps the keepalive working (a pong is
 * read, and counted, as it arrives), as Python's websockets reads on up to `max_queue` messages; past the bound
 * the peer meets TCP backpressure. One read chunk or one message may go past it.
 */
const HELD_BYTES_LIMIT = 64 * 1024;
/** What a held event counts for besides its payload (a flood of empty frames is bounded too). */
const HELD_EVENT_BYTES = 64;

/** The bytes `events` hold, as {@link HELD_BYTES_LIMIT} counts them; stops counting past `limit`. */
function heldBytes(events: readonly ConnectionEvent[], limit: number): number {
  let bytes = 0;
  for (let i = 0; i < events.length && bytes <= limit; i++) {
    const event = events[i]!;
    bytes += HELD_EVENT_BYTES;
    if (event.type === 'message' || event.type === 'fragment' || event.type === 'ping' || event.type === 'pong') bytes += event.data.byteLength;
  }
  return bytes;
}

// Boolean state of a session, packed in one number field with the pause reasons above: Bun (JSC) rounds an
// object of 8 fields up to 80 bytes, one of 9–12 fields to 112, and 16 fields took 160 (bun:jsc heapStats).
const S_IN_PUMP = 1;
const S_BLOCKED = 2;
const S_DRAINING = 4;
const S_OVER_HIGH_WATER = 8;
const S_TRANSPORT_CLOSING = 16;
const S_TRANSPORT_CLOSED = 32;
const S_DRAIN_WAITERS = 256; // drainWaitersOf has an entry for the session
const S_ENDED = 512; // the owner was told (sessionEnded): once only
const S_TERMINATED = 1024; // terminate(): once the transport has closed, `close` does not wait for a pending handler

/**
 * `drained()` promises waiting for the outbound queue to fall under the low-water mark, by session. Rare, so
 * kept out of the session object (a field per connection for what few connections use).
 */
const drainWaitersOf = new WeakMap<object, (() => void)[]>();

/** Bound on event rounds per pump call (handlers may cause more events); the rest waits for the next call. */
const MAX_ROUNDS = 64;

/** The owner of sessions (see server-state.ts). */
export interface SessionOwner<T> {
  readonly config: ServerConfig<T>;
  /** Called once, when the session's transport has closed. */
  sessionEnded(session: Session<T>): void;
  /** The server's topic subscriptions (pub/sub); a session leaves them all when the core reports it closed. */
  readonly topics: TopicRegistry<Session<T>>;
  /** Publishes to `topic`'s subscribers except `sender` (see server-state.ts). */
  publish(topic: string, data: PublishData, binary: boolean | undefined, compress: boolean | undefined, sender?: Session<T>): number;
}

/**
 * Core send options by `binary` and `compress`, built once: publishing hands text as bytes already encoded
 * (so `binary: false` must be explicit) and must not allocate per subscriber.
 */
const SEND_OPTIONS: readonly (SendOptions | undefined)[] = [
  undefined, { compress: false }, { compress: true }, // type from the payload (string or bytes)
  { binary: false }, { binary: false, compress: false }, { binary: false, compress: true }, // text as UTF-8 bytes
  { binary: true }, { binary: true, compress: false }, { binary: true, compress: true }, // binary
];

function sendOptions(binary: boolean | undefined, compress: boolean | undefined): SendOptions | undefined {
  return SEND_OPTIONS[(binary === undefined ? 0 : binary ? 6 : 3) + (compress === undefined ? 0 : compress ? 2 : 1)];
}

/** A core error event turned into an `Error` for the application. */
class PeerError extends Error implements PeerFailure {
  readonly code: string;
  readonly closeCode?: number;
  constructor(code: string, message: string, closeCode: number | undefined) {
    super(message);
    this.name = 'PeerError';
    this.code = code;
    if (closeCode !== undefined) this.closeCode = closeCode;
  }
}

/**
 * Bytes a peer may still send once the connection is closed (both close frames exchanged, or the connection
 * failed) before the session stops reading them. Nothing after a close frame has any meaning (RFC 6455 §5.5.1),
 * so they are only data a peer had in flight; a peer that goes on sending would otherwise be read, and its bytes
 * thrown away, until the close timeout. Paused, its socket is released at that timeout, as one that does not
 * read is; a peer that stays quiet is still read for its FIN, so a clean close ends at once.
 */
const DISCARD_AFTER_CLOSE_BYTES = 64 * 1024;

function onSessionTimer(session: Session<unknown>): void {
  session.onTimer();
}

/**
 * The deadlines of every session of the process behind one runtime timer: a timer object per connection costs
 * hundreds of bytes on Node; a heap slot costs a pointer.
 */
const sessionDeadlines = new DeadlineScheduler<Session<unknown>>(onSessionTimer, monotonicNow);

function toBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

function logHandlerError(error: unknown): void {
  console.error('websock: unhandled error in a handler:', error);
}

/** One connection: owns the core state machine and drives it from its transport. */
export class Session<T> implements TransportSink, DeadlineEntry, ConnectionEventListener {
  /** The core state machine. */
  readonly conn: ServerConnection;
  readonly transport: Transport;
  readonly owner: SessionOwner<T>;
  /** Set when the upgrade is accepted. */
  ws: WebSocket<T> | undefined;

  /** @internal When the scheduler wakes this session (see deadline-scheduler.ts; the scheduler writes it). */
  deadlineAt = Infinity;
  /** @internal This session's place in the scheduler (the scheduler writes it). */
  deadlineSlot = NOT_SCHEDULED;
  /** S_* and PAUSE_* bits (see the accessors below). */
  private bits = 0;
  private backlog: ConnectionEvent[] | undefined;
  /** Bytes received and thrown away since the transport began closing (see DISCARD_AFTER_CLOSE_BYTES). */
  private discardedAfterClose = 0;
  /** Over the high-water mark: the outbound queue's size at the last wake-up (see onTimer). */
  private bufferedAtCheck = 0;

  private bit(flag: number, on: boolean): void {
    this.bits = setFlag(this.bits, flag, on);
  }
  /** Inside the pump or a core call: handlers it triggers must not re-enter the pump. */
  private get inPump(): boolean {
    return (this.bits & S_IN_PUMP) !== 0;
  }
  private set inPump(on: boolean) {
    this.bit(S_IN_PUMP, on);
  }
  /** An async handler is pending: later events wait in {@link backlog}, in order. */
  private get blocked(): boolean {
    return (this.bits & S_BLOCKED) !== 0;
  }
  private set blocked(on: boolean) {
    this.bit(S_BLOCKED, on);
  }
  /** The backlog is being delivered: new events queue behind it. */
  private get draining(): boolean {
    return (this.bits & S_DRAINING) !== 0;
  }
  private set draining(on: boolean) {
    this.bit(S_DRAINING, on);
  }
  private get overHighWater(): boolean {
    return (this.bits & S_OVER_HIGH_WATER) !== 0;
  }
  private set overHighWater(on: boolean) {
    this.bit(S_OVER_HIGH_WATER, on);
  }
  private get transportClosing(): boolean {
    return (this.bits & S_TRANSPORT_CLOSING) !== 0;
  }
  private set transportClosing(on: boolean) {
    this.bit(S_TRANSPORT_CLOSING, on);
  }
  /** `drained()` promises waiting (see {@link drainWaitersOf}). */
  private get drainWaiters(): (() => void)[] | undefined {
    return (this.bits & S_DRAIN_WAITERS) !== 0 ? drainWaitersOf.get(this) : undefined;
  }
  private set drainWaiters(waiters: (() => void)[] | undefined) {
    if (waiters !== undefined) drainWaitersOf.set(this, waiters);
    else if ((this.bits & S_DRAIN_WAITERS) !== 0) drainWaitersOf.delete(this);
    this.bit(S_DRAIN_WAITERS, waiters !== undefined);
  }
  private get transportClosed(): boolean {
    return (this.bits & S_TRANSPORT_CLOSED) !== 0;
  }
  private set transportClosed(on: boolean) {
    this.bit(S_TRANSPORT_CLOSED, on);
  }

  constructor(owner: SessionOwner<T>, transport: Transport) {
    this.owner = owner;
    this.transport = transport;
    const config = owner.config;
    const now = monotonicNow();
    const coreOptions: ServerConnectionOptions = {
      limits: config.limits,
      receiveMode: config.receiveMode,
      deflate: config.deflate,
      plainHttp: config.fetch !== undefined,
      accelerators: config.accelerators,
      messageBudget: config.messageBudget,
      // Events reach the handlers while the core parses, so that what a handler sends for a message goes out
      // before the core's answer to anything that followed it in the same chunk (a close frame, a bad frame).
      // The session itself is the listener: no closure per connection.
      eventListener: this,
    };
    // A recorded connection reserves its trace's bound from the server's total (undefined: none left).
    const record = config.traces?.begin({ remoteAddress: transport.remoteAddress });
    if (record !== undefined) {
      // The recorder wraps `onEvent` (it records each event before the handler runs).
      this.conn = new RecordingConnection({ ...coreOptions, onEvent: (event) => this.handleConnectionEvent(event) }, record, now);
    } else {
      this.conn = new ServerConnection(coreOptions, now);
    }
    this.arm();
  }

  // ---- TransportSink -------------------------------------------------------------------------------

  onData(chunk: Uint8Array): boolean {
    if (this.transportClosed) return false;
    if (this.transportClosing) {
      // The core is closed and would discard the bytes: count them instead, and stop reading past the allowance.
      this.discardedAfterClose += chunk.byteLength;
      if (this.discardedAfterClose > DISCARD_AFTER_CLOSE_BYTES) this.transport.pause();
      return false;
    }
    const now = monotonicNow();
    this.inPump = true; // handlers run inside receive(); the pump runs once, after it
    try {
      this.conn.receive(chunk, now);
    } finally {
      this.inPump = false;
    }
    this.run(now);
    // Holding events back (a pending handler, the outbound mark): count them with the message being reassembled,
    // which would join them (and leave the server's message budget) once complete.
    if ((this.blocked || this.overHighWater) && (this.bits & PAUSE_HELD) === 0) {
      const backlog = this.backlog;
      const held = this.conn.incompleteMessageBytes + (backlog === undefined ? 0 : heldBytes(backlog, HELD_BYTES_LIMIT));
      if (held > HELD_BYTES_LIMIT) this.setPause(PAUSE_HELD, true);
    }
    return this.conn.retainsInput;
  }

  /**
   * For HTTP servers that parsed the request head already (Node's `upgrade` event): hands the parsed head to
   * the core, then the bytes that followed it.
   */
  receiveParsed(request: { method: string; target: string; httpVersion: string; rawHeaders: ReadonlyArray<readonly [string, string]> }, head: Uint8Array | undefined): void {
    const now = monotonicNow();
    this.inPump = true;
    try {
      this.conn.receiveRequest(request, now);
      if (head !== undefined && head.byteLength > 0) this.conn.receive(head, now);
    } finally {
      this.inPump = false;
    }
    this.run(now);
  }

  onEnd(): void {
    if (this.conn.state === 'closed') return;
    const now = monotonicNow();
    this.inCore(() => this.conn.end(now));
    this.run(now);
  }

  onWritable(): void {
    if (!this.overHighWater && (this.bits & S_DRAIN_WAITERS) === 0) return;
    if (this.transportClosed) return;
    if (this.transport.bufferedAmount > this.owner.config.lowWaterMark) {
      this.transport.requestDrain();
      return;
    }
    this.resolveDrainWaiters();
    if (this.overHighWater) {
      this.overHighWater = false;
      const ws = this.ws;
      const drain = this.owner.config.handlers.drain;
      if (ws !== undefined && drain !== undefined && this.conn.state === 'open') {
        try {
          drain(ws);
        } catch (error) {
          this.reportHandlerError(error);
        }
      }
      this.run(monotonicNow()); // delivers the events held while over the mark
    }
  }

  onClosed(): void {
    if (this.transportClosed) return;
    this.transportClosed = true;
    this.transportClosing = true;
    this.clearTimer();
    const now = monotonicNow();
    try {
      // From inside a handler (a terminate() whose transport closes at once) the core finishes when the handler returns.
      if (this.conn.state !== 'closed') this.inCore(() => this.conn.end(now));
      this.run(now);
      this.resolveDrainWaiters();
      const traces = this.owner.config.traces;
      if (traces !== undefined && this.conn instanceof RecordingConnection) traces.save(this.conn.recorder);
    } finally {
      // Events (at least `close`) may wait for an async handler that has not settled: wait for it at most the
      // close timeout, so that one that never settles cannot keep the `close` handler from running. The server
      // counts the connection until then, so that `stop()` resolves after every `close` handler ran. Otherwise,
      // whatever happened above, the server no longer counts this connection.
      if (!this.blocked) this.ended();
      else if ((this.bits & S_TERMINATED) !== 0) this.abandonHandler();
      else sessionDeadlines.schedule(this, now + this.owner.config.limits.closeTimeoutMs);
    }
  }

  /** Tells the owner, once, that this session is over (its transport closed and `close` delivered or dropped). */
  private ended(): void {
    if ((this.bits & S_ENDED) !== 0) return;
    this.bit(S_ENDED, true);
    this.owner.sessionEnded(this);
  }

  // ---- timer ---------------------------------------------------------------------------------------

  /** @internal The connection's deadline came (the scheduler has unscheduled it). */
  onTimer(): void {
    if (this.transportClosed) {
      if (this.blocked) this.abandonHandler();
      return;
    }
    if (this.transportClosing) {
      // The peer did not take our last bytes within the close timeout: give up on them.
      this.transport.destroy();
      return;
    }
    const now = monotonicNow();
    if (this.overHighWater) {
      // Reading may be paused (held events), so a pong may go unread: the queue going down since the last wake-up
      // (or since it passed the mark) is the peer's sign of life. One that reads nothing at all is still closed as idle.
      const buffered = this.transport.bufferedAmount;
      if (buffered < this.bufferedAtCheck) this.conn.peerActive(now);
      this.bufferedAtCheck = buffered;
    }
    this.inCore(() => this.conn.tick(now));
    this.run(now);
  }

  /** Runs a call into the core with the pump held off (handlers it triggers must not re-enter the pump). */
  private inCore(call: () => void): void {
    const outer = this.inPump;
    this.inPump = true;
    try {
      call();
    } finally {
      this.inPump = outer;
    }
  }

  /** @internal An event from the core, delivered at once unless an async handler or the outbound mark holds delivery. */
  handleConnectionEvent(event: ConnectionEvent): void {
    // Leave every topic as soon as the core is closed (before the `close` handler runs, even if it is held back),
    // so that publishers and `subscriberCount` no longer see this socket.
    if (event.type === 'closed') this.owner.topics.unsubscribeAll(this);
    if (this.draining || this.backlog !== undefined || !this.canDeliver()) {
      if (this.backlog === undefined) this.backlog = [event];
      else this.backlog.push(event);
      return;
    }
    const pending = this.dispatch(event);
    if (pending !== undefined) this.block(pending);
  }

  /**
   * Schedules a wake-up at the core's deadline. Only moved when the deadline moves earlier: a wake-up that finds
   * a later deadline re-arms, which costs less than moving the entry on every message. No deadline: unscheduled.
   */
  private arm(): void {
    const deadline = this.conn.nextDeadline;
    if (deadline < this.deadlineAt) sessionDeadlines.schedule(this, deadline);
    else if (deadline === Infinity && this.deadlineSlot !== NOT_SCHEDULED) sessionDeadlines.remove(this);
  }

  private clearTimer(): void {
    sessionDeadlines.remove(this);
  }

  // ---- the pump ------------------------------------------------------------------------------------

  /** Delivers pending events, flushes writes, closes the transport when the core says so, re-arms the timer. */
  private run(now: number): void {
    if (this.inPump) return; // the outer call finishes the job
    this.inPump = true;
    try {
      // Events held back (async handler, outbound mark) go first; events the handlers cause meanwhile queue behind.
      this.deliverBacklog();
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const events = this.conn.takeEvents();
        if (events.length === 0) break;
        this.deliver(events);
      }
      this.flush();
      if (this.conn.transportShouldClose) {
        this.closeTransport(now);
        // Events held over the outbound mark are due now that the transport is closing (`close` among them),
        // not when the transport has finally closed.
        this.deliverBacklog();
      } else if (!this.transportClosing) this.arm();
    } finally {
      this.inPump = false;
    }
    // Read again once the held events are out, unless a large message being reassembled still waits to be held.
    if ((this.bits & PAUSE_HELD) !== 0 && this.backlog === undefined && ((!this.blocked && !this.overHighWater) || this.conn.incompleteMessageBytes <= HELD_BYTES_LIMIT)) {
      this.setPause(PAUSE_HELD, false);
    }
  }

  /** Delivers the events held back, for as long as delivery is allowed. */
  private deliverBacklog(): void {
    while (this.canDeliver() && this.backlog !== undefined) {
      const backlog = this.backlog;
      this.backlog = undefined;
      this.draining = true;
      try {
        this.deliver(backlog);
      } finally {
        this.draining = false;
      }
    }
  }

  /**
   * Events wait while an async handler is pending, and while the outbound queue is above the high-water mark
   * (a read chunk may hold many messages: holding them keeps the queue within one message of the mark).
   * Once the transport is closing, everything left is delivered.
   */
  private canDeliver(): boolean {
    return !this.blocked && (!this.overHighWater || this.transportClosing);
  }

  private deliver(events: ConnectionEvent[]): void {
    if (!this.canDeliver()) {
      if (this.backlog === undefined) this.backlog = events;
      else for (const ev of events) this.backlog.push(ev);
      return;
    }
    for (let i = 0; i < events.length; i++) {
      const pending = this.dispatch(events[i]!);
      if (pending === undefined && !this.canDeliver() && i + 1 < events.length) {
        this.backlog = events.slice(i + 1); // over the high-water mark: the rest waits for drain
        return;
      }
      if (pending !== undefined) {
        if (i + 1 < events.length) {
          const rest = events.slice(i + 1);
          if (this.backlog === undefined) this.backlog = rest;
          else this.backlog.unshift(...rest);
        }
        this.block(pending);
        return;
      }
    }
  }

  /** An async handler is pending: hold later events until it settles (reading goes on up to HELD_BYTES_LIMIT). */
  private block(pending: PromiseLike<unknown>): void {
    this.blocked = true;
    pending.then(
      () => this.handlerSettled(),
      (error: unknown) => {
        this.reportHandlerError(error);
        this.handlerSettled();
      },
    );
  }

  private handlerSettled(): void {
    if (!this.blocked) return; // an abandoned handler settling late: its events went out already
    this.blocked = false;
    try {
      this.run(monotonicNow());
    } finally {
      if (this.transportClosed && !this.blocked) {
        this.clearTimer(); // the wait for this handler (see onClosed) is over
        this.ended();
      }
    }
  }

  /**
   * The connection is gone and an async handler has not settled within the close timeout: stop waiting for it.
   * The messages held behind it are dropped (delivering them now would break the one-at-a-time promise, and
   * nothing can be answered any more); the other events, ending with `close`, are delivered.
   */
  private abandonHandler(): void {
    const backlog = this.backlog;
    if (backlog !== undefined) this.backlog = backlog.filter((ev) => ev.type !== 'message' && ev.type !== 'fragment');
    this.blocked = false;
    this.clearTimer();
    try {
      this.run(monotonicNow());
    } finally {
      this.ended();
    }
  }

  /** Dispatches one event; returns a promise when an async handler must settle before the next event. */
  private dispatch(ev: ConnectionEvent): PromiseLike<unknown> | undefined {
    const handlers = this.owner.config.handlers;
    const ws = this.ws;
    try {
      switch (ev.type) {
        case 'message': {
          if (ws === undefined || handlers.message === undefined) return undefined;
          const config = this.owner.config;
          const data = ev.binary || config.textMessages === 'bytes' ? ev.data : config.decodeText(ev.data);
          const result = handlers.message(ws, data, ev.binary);
          return isThenable(result) ? result : undefined;
        }
        case 'fragment': {
          if (ws === undefined || handlers.fragment === undefined) return undefined;
          const result = handlers.fragment(ws, ev.data, { binary: ev.binary, first: ev.first, fin: ev.fin });
          return isThenable(result) ? result : undefined;
        }
        case 'request':
          this.onUpgradeRequest(ev.request);
          return undefined;
        case 'http-request':
          this.onHttpRequest(ev.request);
          return undefined;
        case 'open':
          if (ws !== undefined) handlers.open?.(ws);
          return undefined;
        case 'ping':
          if (ws !== undefined) handlers.ping?.(ws, ev.data);
          return undefined;
        case 'pong':
          if (ws !== undefined) handlers.pong?.(ws, ev.data);
          return undefined;
        case 'error':
          if (ws !== undefined && handlers.error !== undefined) handlers.error(ws, new PeerError(ev.code, ev.message, ev.closeCode));
          return undefined;
        case 'closed':
          this.resolveDrainWaiters();
          if (ws !== undefined) handlers.close?.(ws, ev.code, ev.reason, ev.wasClean);
          return undefined;
        case 'peer-close':
          return undefined; // the core has answered it; `close` follows with the code
        default:
          return undefined;
      }
    } catch (error) {
      this.reportHandlerError(error);
      return undefined;
    }
  }

  private reportHandlerError(error: unknown): void {
    const ws = this.ws;
    const onError = this.owner.config.handlers.error;
    if (ws === undefined || onError === undefined) {
      logHandlerError(error);
      return;
    }
    try {
      onError(ws, error);
    } catch (nested) {
      logHandlerError(nested);
    }
  }

  // ---- upgrade -------------------------------------------------------------------------------------

  private onUpgradeRequest(request: import('../../core/events.ts').HandshakeRequest): void {
    const config = this.owner.config;
    const now = monotonicNow();
    if (!isOriginAllowed(config, request.origin)) {
      this.conn.reject({ status: 403, body: 'Origin not allowed\n' }, now);
      return;
    }
    const protocol = selectProtocol(config.protocols, request.protocols);
    if (config.upgrade === undefined) {
      this.applyDecision(undefined, protocol, now);
      return;
    }
    let decision: UpgradeDecision<T> | Promise<UpgradeDecision<T>>;
    try {
      decision = config.upgrade(toUpgradeRequest(request, this.transport.remoteAddress, config.secure), { protocol });
    } catch (error) {
      logHandlerError(error);
      this.conn.reject({ status: 500 }, now);
      return;
    }
    if (!isThenable<UpgradeDecision<T>>(decision)) {
      this.applyDecision(decision, protocol, now);
      return;
    }
    // Asynchronous decision: the core keeps the bytes that arrive meanwhile and bounds the wait.
    decision.then(
      (value) => this.decided(value, protocol),
      (error: unknown) => {
        logHandlerError(error);
        this.decided({ status: 500 }, protocol);
      },
    );
  }

  private decided(decision: UpgradeDecision<T>, protocol: string | undefined): void {
    if (this.transportClosing || this.conn.state !== 'deciding') return; // timed out or gone meanwhile
    const now = monotonicNow();
    this.applyDecision(decision, protocol, now);
    this.run(now);
  }

  private applyDecision(result: UpgradeDecision<T>, protocol: string | undefined, now: number): void {
    let decision: UpgradeDecision<T>;
    try {
      decision = checkUpgradeDecision<T>(result);
    } catch (error) {
      logHandlerError(error); // not undefined, an accept or a 400–599 refusal: answered as a hook that threw
      this.conn.reject({ status: 500 }, now);
      return;
    }
    if (isRejection(decision)) {
      try {
        this.conn.reject({ status: decision.status, headers: decision.headers, body: decision.body }, now);
      } catch (error) {
        logHandlerError(error); // e.g. a status outside 400–599
        this.conn.reject({ status: 500 }, now);
      }
      return;
    }
    const accept = decision ?? undefined;
    this.ws = new WebSocket<T>(this, accept?.data as T);
    const selected = accept?.protocol ?? protocol;
    try {
      this.conn.accept({ protocol: selected, headers: accept?.headers }, now);
    } catch (error) {
      logHandlerError(error); // e.g. a protocol the client did not offer
      this.ws = undefined;
      this.conn.reject({ status: 500 }, now);
    }
  }

  private onHttpRequest(request: import('../../core/events.ts').PlainHttpRequest): void {
    const config = this.owner.config;
    const now = monotonicNow();
    const fetch = config.fetch;
    if (fetch === undefined) {
      this.conn.reject({ status: 426 }, now);
      return;
    }
    let response: HttpResponse | Promise<HttpResponse>;
    try {
      response = fetch(toHttpRequest(request, this.transport.remoteAddress, config.secure));
    } catch (error) {
      logHandlerError(error);
      this.conn.reject({ status: 500 }, now);
      return;
    }
    if (!isThenable<HttpResponse>(response)) {
      this.respond(response, now);
      return;
    }
    response.then(
      (value) => this.responded(value),
      (error: unknown) => {
        logHandlerError(error);
        this.responded({ status: 500 });
      },
    );
  }

  private responded(response: HttpResponse): void {
    if (this.transportClosing || this.conn.state === 'closed') return;
    const now = monotonicNow();
    this.respond(response, now);
    this.run(now);
  }

  private respond(response: HttpResponse, now: number): void {
    try {
      this.conn.reject({ status: response.status, headers: response.headers, body: response.body }, now);
    } catch (error) {
      logHandlerError(error);
      this.conn.reject({ status: 500 }, now);
    }
  }

  // ---- output --------------------------------------------------------------------------------------

  /** Hands the core's writes to the transport; returns their byte count. */
  private flush(): number {
    const writes = this.conn.takeWrites();
    if (writes.length === 0) return 0;
    let bytes = 0;
    for (const w of writes) bytes += w.byteLength;
    if (this.transportClosed) return bytes;
    const transport = this.transport;
    transport.write(writes);
    if (!this.overHighWater && transport.bufferedAmount > this.owner.config.highWaterMark) {
      // Past the mark with this tick's writes: hand them to the OS now, so that the mark measures what it refused
      // (a peer that reads takes a burst in stride) rather than what the tick has not offered yet.
      transport.flushNow();
      const buffered = transport.bufferedAmount;
      if (buffered <= this.owner.config.highWaterMark) return bytes;
      this.bufferedAtCheck = buffered;
      this.overHighWater = true;
      this.transport.requestDrain();
    }
    return bytes;
  }

  private closeTransport(now: number): void {
    if (this.transportClosing) return;
    this.transportClosing = true;
    this.flush();
    // Bound the flush: a peer that never reads must not hold the socket open (replaces any core deadline).
    sessionDeadlines.schedule(this, now + this.owner.config.limits.closeTimeoutMs);
    this.transport.close();
    // Read again if paused (a full outbound queue, an async handler): the peer's EOF ends the connection at once,
    // where an unread one would leave it to the close timeout. What the peer sends meanwhile is bounded (onData).
    if ((this.bits & PAUSE_MASK) !== 0) {
      this.bits &= ~PAUSE_MASK;
      this.transport.resume();
    }
  }

  private setPause(flag: number, on: boolean): void {
    const before = this.bits & PAUSE_MASK;
    const after = setFlag(before, flag, on);
    this.bits = (this.bits & ~PAUSE_MASK) | after;
    if (this.transportClosing) return;
    if (before === 0 && after !== 0) this.transport.pause();
    else if (before !== 0 && after === 0) this.transport.resume();
  }

  private resolveDrainWaiters(): void {
    const waiters = this.drainWaiters;
    if (waiters === undefined) return;
    this.drainWaiters = undefined;
    for (const resolve of waiters) resolve();
  }

  // ---- the socket's operations (via WebSocket) -----------------------------------------------------

  /** See {@link ServerWebSocket.send}. */
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress: boolean | undefined): number {
    return this.sendPayload(typeof data === 'string' ? data : toBytes(data), undefined, compress);
  }

  /**
   * {@link send} of a payload in its final form, with the same return values and backpressure policy. `binary`
   * false with bytes sends them as text (already UTF-8: publishing encodes once for all subscribers); undefined
   * takes the type from the payload. The bytes are written as `send` writes them (uncompressed ones over 4 KiB uncopied).
   */
  /** {@link ServerWebSocket.sendText} of bytes: checked to be UTF-8 (the runtime's native check where it has one). */
  sendTextBytes(bytes: Uint8Array, compress: boolean | undefined): number {
    const bulk = this.owner.config.accelerators.validateUtf8;
    if (!(bulk !== undefined ? bulk(bytes) : isValidUtf8(bytes))) {
      throw new MisuseError('INVALID_OPTION', 'sendText(bytes): the bytes are not valid UTF-8 (RFC 6455 §5.6)');
    }
    return this.sendPayload(bytes, false, compress);
  }

  sendPayload(payload: string | Uint8Array, binary: boolean | undefined, compress: boolean | undefined): number {
    if (this.conn.state !== 'open' || this.transportClosing) return 0;
    if (this.overHighWater && this.refusedByPolicy()) return 0;
    // The frame's own bytes: a 101 response or an automatic pong may leave in the same flush.
    const bytes = this.conn.send(payload, sendOptions(binary, compress));
    this.flush();
    return this.overHighWater ? -1 : bytes;
  }

  /** Ping (`true`) or unsolicited pong (`false`). */
  control(ping: boolean, data: string | Uint8Array | undefined): number {
    if (this.conn.state !== 'open' || this.transportClosing) return 0;
    if (this.overHighWater && this.refusedByPolicy()) return 0;
    // The core encodes a string itself (one encoder for the process).
    const bytes = ping ? this.conn.ping(data) : this.conn.pong(data);
    this.flush();
    return this.overHighWater ? -1 : bytes;
  }

  /**
   * Over the high-water mark: whether the backpressure policy refuses a send (`drop`; `close`, or `wait` past
   * `maxBuffered`, which also close the connection).
   */
  private refusedByPolicy(): boolean {
    const config = this.owner.config;
    const policy = config.onLimit;
    if (policy === 'drop') return true;
    if (policy === 'close' || this.transport.bufferedAmount > config.maxBuffered) {
      this.close(config.limitCloseCode, 'backpressure limit');
      return true;
    }
    return false;
  }

  /** See {@link ServerWebSocket.close}. */
  close(code: number | undefined, reason: string | undefined): void {
    // Only undefined means "omitted" (null is not a code or a reason).
    const closeCode = code === undefined ? 1000 : code;
    const closeReason = reason === undefined ? '' : reason;
    if (this.conn.state !== 'open' || this.transportClosing) {
      encodeClosePayload(closeCode, closeReason); // misuse throws in every state, as with the sending methods
      return;
    }
    const now = monotonicNow();
    this.conn.close(closeCode, closeReason, now);
    this.run(now);
  }

  /** See {@link ServerWebSocket.terminate}. */
  terminate(): void {
    if (this.transportClosed) {
      if (this.blocked) this.abandonHandler(); // `close` waits for a pending handler: stop waiting
      return;
    }
    this.bit(S_TERMINATED, true); // nor will it wait once the transport has closed
    if (this.transportClosing) {
      // A graceful close is waiting for the peer (or for our last bytes to leave it): stop waiting.
      this.clearTimer();
      this.transport.destroy();
      return;
    }
    this.transportClosing = true;
    this.clearTimer();
    this.transport.destroy();
    const now = monotonicNow();
    if (this.conn.state !== 'closed') this.inCore(() => this.conn.end(now));
    this.run(now);
  }

  /** Bytes queued towards the peer. */
  get bufferedAmount(): number {
    return this.transportClosed ? 0 : this.transport.bufferedAmount;
  }

  /** WHATWG readyState from the core's state. */
  get readyState(): 0 | 1 | 2 | 3 {
    switch (this.conn.state) {
      case 'open':
        return this.transportClosing ? 2 : 1;
      case 'closing':
        return 2;
      case 'closed':
        return 3;
      default:
        return 0;
    }
  }

  /** See {@link ServerWebSocket.drained}. */
  drained(): Promise<void> {
    if (this.transportClosed || this.conn.state === 'closed' || this.transport.bufferedAmount <= this.owner.config.lowWaterMark) {
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      if (this.drainWaiters === undefined) this.drainWaiters = [];
      this.drainWaiters.push(resolve);
      this.transport.requestDrain();
    });
  }

  /** Graceful shutdown of this connection: 1001 if open, else drop it (it has not been accepted). */
  shutdown(): void {
    if (this.transportClosing) return;
    if (this.conn.state === 'open') this.close(1001, 'server shutting down');
    else if (this.conn.state !== 'closing') this.terminate();
  }
}
