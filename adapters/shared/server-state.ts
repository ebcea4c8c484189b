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

const textEncoder = new TextEncoder();

/** Options of `Server.stop()`. */
type StopOptions = { timeoutMs?: number; force?: boolean };

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

  /** Resolves when no session is left, or after `ms` (false then). */
  private whenEmpty(ms: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.emptyWaiters.indexOf(done);
        if (i !== -1) this.emptyWaiters.splice(i, 1);
        resolve(false);
      }, ms);
      const done = (): void => {
        clearTimeout(timer);
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

  server(port: number, hostname: string, close: (options: StopOptions) => Promise<void>): Server<T> {
    const state = this;
    let stopping: Promise<void> | undefined;
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
      stop: (options) => {
        if (stopping === undefined) return (stopping = close(options ?? {}));
        // Already stopping: `force` still means now, not after the graceful wait under way.
        if (options?.force === true) state.terminateAll();
        return stopping;
      },
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
