/**
 * The runtime-neutral part of a server: its resolved configuration, the set of live sessions, topic
 * subscriptions with publishing, and graceful shutdown. Each runtime adapter owns one and calls
 * {@link ServerState.connect} for every accepted socket.
 */
import { MisuseError } from '../../core/errors.ts';
import { serverUrl, type ServerConfig } from './options.ts';
import type { Transport } from './transport.ts';
import type { Server, ServerWebSocket } from './types.ts';
import { Session, type SessionOwner } from './session.ts';
import { checkTopic, publishPayload, TopicRegistry, type PublishData } from './topics.ts';
import { MAX_TIMER_DELAY_MS } from './deadline-scheduler.ts';

const textEncoder = new TextEncoder();

/** Options of `Server.stop()`. */
type StopOptions = { timeoutMs?: number; force?: boolean };

/** Throws `MisuseError` unless `options` is undefined or `{ timeoutMs?: number >= 0 (Infinity: no limit), force?: boolean }`. */
function checkStopOptions(options: unknown): void {
  if (options === undefined) return;
  const fail = (what: string): never => {
    throw new MisuseError('INVALID_OPTION', `stop(): ${what}`);
  };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) fail('options must be an object');
  const { timeoutMs, force } = options as StopOptions;
  if (timeoutMs !== undefined && (typeof timeoutMs !== 'number' || !(timeoutMs >= 0))) fail(`timeoutMs must be a number >= 0 (got ${String(timeoutMs)})`);
  if (force !== undefined && typeof force !== 'boolean') fail(`force must be a boolean (got ${typeof force})`);
}

/** After the graceful wait, how long to wait for terminated transports to report closed. */
const TERMINATE_GRACE_MS = 1000;

/** Live sessions of one server, their topic subscriptions and publishing, and their shutdown. */
export class ServerState<T> implements SessionOwner<T> {
  readonly config: ServerConfig<T>;
  readonly sessions = new Set<Session<T>>();
  /** Topic subscriptions of this server's sockets. */
  readonly topics: TopicRegistry<Session<T>>;
  /** False once `stop()` has begun: adapters drop new sockets. */
  accepting = true;
  /** A run of refusals at `maxConnections` is under way (it was logged). */
  private refusing = false;
  private emptyWaiters: (() => void)[] = [];
  /** The promise of the first `stop()` (see {@link stop}). */
  private stopping: Promise<void> | undefined = undefined;

  constructor(config: ServerConfig<T>) {
    this.config = config;
    this.topics = new TopicRegistry<Session<T>>(config.topicLimits);
  }

  /**
   * Whether a socket just accepted may have a session: the server is not stopping and is under
   * `maxConnections`. Adapters close the socket at once otherwise (before any TLS handshake where they can).
   */
  admits(): boolean {
    if (!this.accepting) return false;
    const max = this.config.maxConnections;
    if (this.sessions.size < max) {
      this.refusing = false;
      return true;
    }
    this.noteRefused();
    return false;
  }

  /** A socket was refused at `maxConnections` (by {@link admits}, or by the runtime's own bound): logged once per run. */
  noteRefused(): void {
    if (this.refusing) return;
    this.refusing = true;
    console.error(`websock: maxConnections (${this.config.maxConnections}) reached: new connections are closed until some end`);
  }

  /** Starts a session over a freshly accepted transport. The adapter routes the transport's events to it. */
  connect(transport: Transport): Session<T> {
    const session = new Session<T>(this, transport);
    this.sessions.add(session);
    if (!this.accepting) session.terminate();
    return session;
  }

  /** @internal */
  sessionEnded(session: Session<T>): void {
    this.topics.unsubscribeAll(session); // normally done when the core closed; this catches every other ending
    this.sessions.delete(session);
    if (this.sessions.size === 0 && this.emptyWaiters.length > 0) {
      const waiters = this.emptyWaiters;
      this.emptyWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /**
   * Sends one message to every subscriber of `topic` except `sender`, through each subscriber's own `send` path
   * (its backpressure policy and, with permessage-deflate, its own compressor). Text is encoded to UTF-8 once;
   * the same bytes are handed to every subscriber (the core writes payloads over 4 KiB as they are, uncopied).
   * `binary` undefined takes the type from `data`. Returns how many subscribers took the message (their `send` returned > 0 or -1); throws `MisuseError` on a
   * topic that is not a string or data of the wrong type.
   */
  publish(topic: string, data: PublishData, binary: boolean | undefined, compress: boolean | undefined, sender?: Session<T>): number {
    checkTopic(topic);
    if (compress !== undefined && typeof compress !== 'boolean') {
      throw new MisuseError('INVALID_OPTION', `publish needs compress to be a boolean or undefined (got ${typeof compress})`);
    }
    const checked = publishPayload(data, binary);
    const members = this.topics.subscribersOf(topic);
    if (members.size === 0 || (members.size === 1 && sender !== undefined && members.has(sender))) return 0;
    const isText = typeof checked === 'string';
    const payload = isText ? textEncoder.encode(checked) : checked;
    let delivered = 0;
    // The live set, not a copy per publish: one that leaves during the loop is skipped, as Set iteration allows.
    for (const member of members) {
      if (member === sender) continue;
      if (member.sendPayload(payload, !isText, compress) !== 0) delivered++;
    }
    return delivered;
  }

  /** Resolves when no session is left, or after `ms` (false then; `Infinity`: no time limit). */
  private whenEmpty(ms: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      // Timers take at most 2^31 - 1 ms (a longer delay would fire at once): clamp, as the deadline scheduler does.
      const timer =
        ms === Infinity
          ? undefined
          : setTimeout(() => {
              const i = this.emptyWaiters.indexOf(done);
              if (i !== -1) this.emptyWaiters.splice(i, 1);
              resolve(false);
            }, Math.min(ms, MAX_TIMER_DELAY_MS));
      const done = (): void => {
        if (timer !== undefined) clearTimeout(timer);
        resolve(true);
      };
      this.emptyWaiters.push(done);
    });
  }

  /**
   * The {@link Server} an adapter returns once listening on `port`. `close` stops the adapter's listener and
   * shuts the sessions down; it runs once, later `stop()` calls get the same promise.
   */
  /** The sockets whose upgrade completed and that are not closed yet (readyState 1 or 2), in connection order. */
  clients(): ServerWebSocket<T>[] {
    const out: ServerWebSocket<T>[] = [];
    for (const session of this.sessions) {
      const ws = session.ws;
      if (ws !== undefined && (session.readyState === 1 || session.readyState === 2)) out.push(ws);
    }
    return out;
  }

  /**
   * `stop()` of a server or an upgrade handler: checks the options (`MisuseError`), then runs `close` once; later
   * calls get the same promise, but `force` still means now, not after the graceful wait under way.
   */
  stop(options: StopOptions | undefined, close: (options: StopOptions) => Promise<void>): Promise<void> {
    checkStopOptions(options);
    if (this.stopping === undefined) return (this.stopping = close(options ?? {}));
    if (options?.force === true) this.terminateAll();
    return this.stopping;
  }

  server(port: number, hostname: string, close: (options: StopOptions) => Promise<void>): Server<T> {
    const state = this;
    return {
      port,
      hostname,
      url: serverUrl(this.config.secure, hostname, port),
      get connections() {
        return state.sessions.size;
      },
      get clients() {
        return state.clients();
      },
      publish: (topic, data, compress) => state.publish(topic, data, undefined, compress),
      subscriberCount: (topic) => state.topics.subscriberCount(topic),
      stop: (options) => state.stop(options, close),
    };
  }

  /**
   * Graceful shutdown of the sessions (the adapter has stopped accepting): 1001 to every open socket, wait
   * for the close handshakes up to `timeoutMs`, then terminate what is left. Resolves once the traces of the
   * closed connections are written (`record` option), so that a process exiting right after keeps them.
   */
  async shutdown(options: StopOptions = {}): Promise<void> {
    this.accepting = false;
    try {
      if (options.force !== true) {
        for (const session of [...this.sessions]) session.shutdown();
        const timeoutMs = options.timeoutMs ?? this.config.stopTimeoutMs;
        if (await this.whenEmpty(timeoutMs)) return;
      }
      this.terminateAll();
      await this.whenEmpty(TERMINATE_GRACE_MS);
    } finally {
      await this.config.traces?.flush();
    }
  }

  /** Terminates every session now (the transports are dropped; each `close` handler runs with 1006). */
  terminateAll(): void {
    for (const session of [...this.sessions]) session.terminate();
  }
}
