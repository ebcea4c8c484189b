/**
 * The user-facing API shared by every runtime adapter: `serve(options)` takes {@link ServeOptions} and
 * resolves to a {@link Server}; connections are {@link ServerWebSocket}s. The same application code runs
 * unchanged on Node, Bun and Deno.
 */
import type { Limits } from '../../core/limits.ts';
import type { DeflateOptions } from '../../core/deflate/options.ts';
import type { ExtensionOffer } from '../../core/extension-offer.ts';
import type { RecordOptions } from './recording.ts';

export type { RecordOptions } from './recording.ts';

/** Header fields for a response: a record or `[name, value]` pairs (pairs allow repeated names). */
export type HeadersInit = Record<string, string> | Iterable<readonly [string, string]>;

/** A WebSocket upgrade request, as handed to {@link ServeOptions.upgrade}. */
export interface UpgradeRequest {
  /** Always `GET` (the core refuses anything else with 405 before the hook runs). */
  readonly method: string;
  /** The request target as sent, e.g. `/chat?room=1`. */
  readonly url: string;
  /** The path part of {@link url}, without the query. */
  readonly path: string;
  /** Header fields by lower-cased name; repeated fields joined with `, `. */
  readonly headers: ReadonlyMap<string, string>;
  /** Subprotocols offered by the client, in its order. */
  readonly protocols: readonly string[];
  /** Extensions offered by the client, in its order. */
  readonly extensions: readonly ExtensionOffer[];
  /** The `Origin` header, if any (browsers always send it). */
  readonly origin: string | undefined;
  /** The peer's IP address. */
  readonly remoteAddress: string;
  /** True over TLS (wss). */
  readonly secure: boolean;
}

/** Context handed to the upgrade hook with the request. */
export interface UpgradeContext {
  /** The subprotocol the server would select from its {@link ServeOptions.protocols} list (undefined: none). */
  readonly protocol: string | undefined;
}

/** Accept the upgrade, attaching `data` to the socket (`ws.data`). */
export interface UpgradeAccept<T> {
  readonly data?: T;
  /** Override the selected subprotocol; must be one the client offered. */
  readonly protocol?: string;
  /** Extra headers on the 101 response. */
  readonly headers?: HeadersInit;
}

/** Refuse the upgrade with an HTTP response (the connection is then closed). */
export interface UpgradeReject {
  /** HTTP status, an integer 400–599 (a 2xx or 3xx is no answer to an upgrade request). */
  readonly status: number;
  readonly headers?: HeadersInit;
  readonly body?: string | Uint8Array;
}

/**
 * What the upgrade hook returns: accept (with data), reject, or `undefined` to accept as is. Anything else (a
 * string, a number, `null`, a status outside 400–599, headers that are neither a record nor pairs, a body that is
 * neither a string nor a Uint8Array) is answered 500 and logged, as a throw is: never taken for an accept.
 */
export type UpgradeDecision<T> = UpgradeAccept<T> | UpgradeReject | undefined | void;

/** A plain HTTP request (no `Upgrade`), handed to {@link ServeOptions.fetch}. */
export interface HttpRequest {
  readonly method: string;
  readonly url: string;
  readonly path: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly remoteAddress: string;
  readonly secure: boolean;
}

/**
 * The answer to a plain HTTP request. The connection is closed after it (no keep-alive). An invalid one (status
 * not an integer 200–599, a bad header, a body that is neither a string nor a Uint8Array) is answered 500 and logged.
 */
export interface HttpResponse {
  readonly status: number;
  readonly headers?: HeadersInit;
  readonly body?: string | Uint8Array;
}

/** A peer-caused failure, reported to {@link WebSocketHandlers.error}. */
export interface PeerFailure extends Error {
  /** The core's stable code, e.g. `INVALID_UTF8`, `IDLE_TIMEOUT`. */
  readonly code: string;
  /** The close code the core sent, when it sent one. */
  readonly closeCode?: number;
}

/**
 * Connection handlers. One object is shared by all sockets (no per-socket closures); per-socket state
 * belongs in `ws.data`. A `message` handler may return a promise: later messages are delivered after it
 * settles, in order (reading goes on until 64 KiB of them wait, so the keepalive still sees pongs). Any other value it returns is ignored, so the
 * one-line echo `message: (ws, data) => ws.send(data)` type-checks.
 */
export interface WebSocketHandlers<T> {
  open?(ws: ServerWebSocket<T>): void;
  /**
   * A whole message: text as a string (already validated UTF-8), binary as bytes owned by the handler. A returned
   * promise holds later events (messages, and `close`) until it settles; reading goes on until 64 KiB of them
   * wait, then pauses. One that never settles holds the connection until the peer leaves, the keepalive gives up
   * on it, or `stop()`; once the connection has ended, `close` waits for it at most `closeTimeoutMs`, and then
   * runs, and the messages still held behind it are dropped. With
   * `textMessages: 'bytes'`, text arrives as its (validated) UTF-8 bytes too, and `isBinary` tells them apart.
   */
  message?(ws: ServerWebSocket<T>, data: string | Uint8Array, isBinary: boolean): unknown;
  /**
   * Receive mode `stream` only: part of a message as it arrives. Text parts are bytes, because a part may
   * split a UTF-8 sequence.
   */
  fragment?(ws: ServerWebSocket<T>, data: Uint8Array, info: { binary: boolean; first: boolean; fin: boolean }): unknown;
  /** The connection is finished. `code` is the peer's close code (1005 none, 1006 no close handshake). */
  close?(ws: ServerWebSocket<T>, code: number, reason: string, wasClean: boolean): void;
  /** The outbound queue fell to (or below) the low-water mark after having been above the high-water mark; on Node, whose `writableLength` falls in one step, that is when it is empty. */
  drain?(ws: ServerWebSocket<T>): void;
  /** Whether `ws.publish()` also reaches `ws` itself when it is subscribed (default false, as in `Bun.serve`). */
  publishToSelf?: boolean;
  /** A ping arrived (the core has already answered it). */
  ping?(ws: ServerWebSocket<T>, data: Uint8Array): void;
  pong?(ws: ServerWebSocket<T>, data: Uint8Array): void;
  /**
   * The peer broke the protocol or a limit (a {@link PeerFailure}; the close frame is already sent), or a
   * handler threw or rejected (the error as thrown). Without this handler, handler errors are logged.
   */
  error?(ws: ServerWebSocket<T>, error: unknown): void;
}

/** Outbound backpressure policy of every connection. */
export interface BackpressureOptions {
  /** Bytes queued towards the peer above which `send` reports backpressure and incoming messages wait (reading pauses once 64 KiB of them do). Default `limits.outboundHighWaterMark` (1 MiB). */
  highWaterMark?: number;
  /** Bytes below which reading resumes and `drain` fires. Default `limits.outboundLowWaterMark` (256 KiB). */
  lowWaterMark?: number;
  /**
   * What `send` (and `ping`, `pong`, `publish` for this socket) does while the queue is above the high-water
   * mark: `wait` queues anyway and returns -1 (the application should wait for `drain`), `drop` discards the
   * message and returns 0, `close` closes the connection with {@link closeCode} and returns 0. Default `wait`.
   * The mark measures what the operating system has not taken: the writes of one tick are handed to it as soon
   * as they pass the mark, so a peer that reads keeps up with a burst (on Deno and over Node's TLS, whose writes
   * complete asynchronously, the tick's bytes count until written: see `capabilities.syncFlush`).
   */
  onLimit?: 'wait' | 'drop' | 'close';
  /**
   * With `wait`: a send while more than this is queued closes the connection with {@link closeCode} instead
   * (the message is dropped, 0 returned): a peer that does not read cannot make the server queue without bound
   * for an application that does not wait for `drain`. Default 16 MiB (or the high-water mark, if higher), as
   * Bun.serve's `backpressureLimit`; `Infinity` turns it off.
   */
  maxBuffered?: number;
  /** Close code for `onLimit: 'close'` and for {@link maxBuffered}: 1008 (policy violation, default) or 1013 (try again later). */
  closeCode?: number;
}

/** TLS material: PEM strings, or paths of PEM files. */
export interface TlsConfig {
  cert?: string;
  key?: string;
  certFile?: string;
  keyFile?: string;
  /** Passphrase of an encrypted key (Node and Bun). */
  passphrase?: string;
  /** Extra CA certificates (PEM) for client certificates (Node and Bun). */
  ca?: string;
}

/** Options of `serve()`, the same on every runtime. */
export interface ServeOptions<T> {
  /** TCP port; 0 lets the OS pick one (see {@link Server.port}). Default 0. */
  port?: number;
  /** Interface to listen on. Default `127.0.0.1` (loopback: expose deliberately). */
  hostname?: string;
  /** TLS (wss). Omitted: plain ws. */
  tls?: TlsConfig;
  /**
   * Limits of each connection (core/limits.ts); also the source of the default water marks. A name that is not a
   * limit (a typo) throws `MisuseError` (`INVALID_OPTION`) rather than leaving the default in force.
   */
  limits?: Partial<Limits>;
  /**
   * permessage-deflate (RFC 7692): an options object (`{}` for the defaults); `false` or absent disables it. Checked
   * by `serve()`: a value out of range or an unknown name throws `MisuseError` (`INVALID_OPTION`).
   */
  deflate?: DeflateOptions | false;
  /** `message` (default): whole messages. `stream`: `fragment` handler as payload arrives. */
  receiveMode?: 'message' | 'stream';
  /**
   * How the `message` handler gets text: `'string'` (default, as `Bun.serve` and the WHATWG API do) or
   * `'bytes'`: the validated UTF-8 bytes, not decoded (as `ws` does; a relay then forwards them with
   * `sendText(bytes)` without decoding and re-encoding).
   */
  textMessages?: 'string' | 'bytes';
  /**
   * Per-socket bounds of pub/sub subscriptions (applications often subscribe from peer input): at most
   * `maxTopicsPerSocket` topics (default 1024) and `maxTopicCharsPerSocket` characters of topic names in total
   * (default 65,536). Beyond them `subscribe` throws `MisuseError`.
   */
  pubsub?: { maxTopicsPerSocket?: number; maxTopicCharsPerSocket?: number };
  /**
   * Allowed origins (exact, case-insensitive, e.g. `https://example.com`), or a predicate. Others get 403.
   * With a list, a request without `Origin` (a non-browser client) is refused; a predicate sees `undefined`.
   */
  origins?: readonly string[] | ((origin: string | undefined) => boolean);
  /**
   * Subprotocols in the server's preference order. The first one of this list that the client offered is
   * selected; none in common selects none (the upgrade still succeeds; the hook may refuse it).
   */
  protocols?: readonly string[];
  /** Outbound backpressure policy. */
  backpressure?: BackpressureOptions;
  /**
   * Decides on each upgrade (after the origin check). May be async: bytes that arrive meanwhile are kept by
   * the core (bounded by `limits.maxPendingBytes`), and `limits.handshakeTimeoutMs` bounds the decision.
   * A throw or rejection answers 500, as does a result that is not an {@link UpgradeDecision}.
   */
  upgrade?(req: UpgradeRequest, ctx: UpgradeContext): UpgradeDecision<T> | Promise<UpgradeDecision<T>>;
  /** Answers plain HTTP requests (no `Upgrade`). Absent: such requests get 426. A throw or an invalid {@link HttpResponse} answers 500. */
  fetch?(req: HttpRequest): HttpResponse | Promise<HttpResponse>;
  /** Connection handlers. A handler that is given must be a function (else `serve()` throws `MisuseError`). */
  websocket: WebSocketHandlers<T>;
  /** Upper bound of `stop()`'s wait for close handshakes, in ms. Default `limits.closeTimeoutMs` + 1000. */
  stopTimeoutMs?: number;
  /**
   * Most connections at once, handshakes in progress included. A socket accepted beyond it is closed at once,
   * without an answer (an answer over TLS would cost a handshake per attempt), and the first such refusal of a
   * run is logged. Default 10,000: 25–120 MB of idle connections depending on the runtime, and a bound below
   * the file-descriptor limit, where accepting fails (Bun then spins a core). `Infinity` removes the bound;
   * raise `ulimit -n` with it.
   */
  maxConnections?: number;
  /**
   * Bytes that all connections together may hold in messages still being received: the buffers where a message
   * that spans reads or frames is reassembled (and inflated). The connection whose message would pass it is closed
   * with 1013 (Try Again Later); the process keeps its memory. Without it, 10,000 connections could each hold
   * a partial message of `limits.maxMessageSize`, and with permessage-deflate about 16 KiB on the wire holds
   * 16 MiB. Default 256 MiB, or twice `limits.maxMessageSize` if that is more; at least `limits.maxMessageSize`.
   */
  maxMessageMemory?: number;
  /**
   * Record each connection as a trace (core/trace format v1) into `dir`, bounded per connection and in total;
   * replay with `npm run replay -- FILE`. Off by default (traces hold message contents).
   */
  record?: RecordOptions;
}

/** A WebSocket connection, as handed to the handlers. */
export interface ServerWebSocket<T> {
  /**
   * Sends a text (string) or binary message. Returns the bytes handed to the transport (>0), -1 if the
   * message was queued above the high-water mark (wait for `drain`), or 0 if it was dropped (the socket is
   * not open, or the `drop`/`close` backpressure policy applied).
   *
   * Throws `MisuseError` (`INVALID_OPTION`), in every state and before anything is queued, if `data` is none of
   * these types (a number, an array, an object, `undefined`…) or `compress` is neither a boolean nor undefined; the
   * same holds for every sending method below, each with its own types.
   */
  send(data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number;
  /**
   * {@link send} for text. Bytes are sent as they are, after a check that they are valid UTF-8 (a throw of
   * `MisuseError` `INVALID_OPTION` otherwise: a text frame must hold UTF-8, RFC 6455 §5.6). Other types throw too.
   */
  sendText(data: string | Uint8Array, compress?: boolean): number;
  /** {@link send} for binary. A string (or any other type) throws `MisuseError` (`INVALID_OPTION`). */
  sendBinary(data: Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number;
  /**
   * Starts the close handshake (no-op unless open). Throws `MisuseError`, in every state, on a code that may not be
   * sent or is not a number (`INVALID_CLOSE_CODE`), a reason over 123 UTF-8 bytes (`REASON_TOO_LONG`) or one that is
   * not a string (`INVALID_OPTION`).
   */
  close(code?: number, reason?: string): void;
  /** Closes the transport now, without a close handshake. */
  terminate(): void;
  /**
   * Sends a ping (at most 125 bytes). Same return values as {@link send}. Throws `MisuseError`: `INVALID_OPTION`
   * if `data` is neither a string, a Uint8Array nor undefined (in every state); `CONTROL_PAYLOAD_TOO_LONG` over
   * 125 bytes (RFC 6455 §5.5).
   */
  ping(data?: string | Uint8Array): number;
  /** Sends an unsolicited pong (a heartbeat; RFC 6455 §5.5.3). Throws as {@link ping}. */
  pong(data?: string | Uint8Array): number;
  /** Bytes queued towards the peer and not yet written to the OS. */
  readonly bufferedAmount: number;
  /** The selected subprotocol ('' if none). */
  readonly protocol: string;
  /** The `Sec-WebSocket-Extensions` value sent back ('' if none). */
  readonly extensions: string;
  readonly remoteAddress: string;
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED (as WHATWG WebSocket). */
  readonly readyState: 0 | 1 | 2 | 3;
  /** Application data attached by the upgrade hook. */
  data: T;
  /** Resolves once the outbound queue is at or below the low-water mark (at once if it is), or the socket closed. */
  drained(): Promise<void>;
  /**
   * Subscribes this socket to `topic` (any string; see {@link Server.publish}). Returns true once subscribed (also
   * if it already was), false without subscribing unless the socket is open (`readyState` 1), as Bun does. The
   * socket leaves all its topics when it closes, before the `close` handler runs. Throws `MisuseError`:
   * `INVALID_OPTION` if `topic` is not a string or is longer than 65536 characters; `INVALID_STATE` if the socket
   * already holds 1024 subscriptions, or its topic names would exceed 65536 characters in total (the per-socket
   * bound, since topics often come from peer input; `MAX_SUBSCRIPTIONS_PER_SOCKET`, `MAX_TOPIC_CHARS_PER_SOCKET`).
   */
  subscribe(topic: string): boolean;
  /** Unsubscribes from `topic`. Returns true if the socket was subscribed. Throws `MisuseError` if `topic` is not a string. */
  unsubscribe(topic: string): boolean;
  /** True if this socket is subscribed to `topic`. Throws `MisuseError` if `topic` is not a string. */
  isSubscribed(topic: string): boolean;
  /** The topics this socket is subscribed to, in subscription order (a fresh array; empty once closed). */
  readonly subscriptions: string[];
  /**
   * Sends a message to every subscriber of `topic` except this socket (as Bun.serve's default), whether or not
   * this socket is subscribed. Same as {@link Server.publish} otherwise; returns 0 once this socket is closed
   * (`readyState` 3): in the `close` handler, use `server.publish`.
   */
  publish(topic: string, data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number;
  /** {@link publish} for text; throws `MisuseError` if `data` is not a string. */
  publishText(topic: string, data: string, compress?: boolean): number;
  /** {@link publish} for binary; throws `MisuseError` if `data` is not a buffer. */
  publishBinary(topic: string, data: Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number;
}

/** A listening server; `T` is the type of `ws.data` (see {@link ServeOptions.upgrade}). */
export interface Server<T = unknown> {
  /** The bound port (the OS's pick when `port: 0`). */
  readonly port: number;
  readonly hostname: string;
  /** e.g. `ws://127.0.0.1:8080/` or `wss://…`. */
  readonly url: string;
  /**
   * Open transports (handshaking, open or closing). On Node over TLS they count from the end of the TLS handshake
   * (`node:tls` shows no socket before it; `maxConnections` still counts those, through Node's own limit).
   */
  readonly connections: number;
  /**
   * The sockets whose upgrade completed and whose `close` handler has not run yet (`readyState` 1, or 2 while
   * closing), in the order they connected: a new array on every read, as a snapshot, so
   * `server.clients.forEach((ws) => …)` works as with ws's `wss.clients`. To send to many sockets, topics
   * (`publish`) cost less: they encode (and compress, per socket) without building the list.
   */
  readonly clients: ServerWebSocket<T>[];
  /**
   * Graceful shutdown: stop accepting, close every open socket with 1001, wait for the close handshakes up to
   * `timeoutMs` (default {@link ServeOptions.stopTimeoutMs}; `Infinity`: no limit), then terminate the rest.
   * `force` skips the wait. Resolves once every `close` handler has run (one waiting for a pending async
   * `message` handler is delivered when it settles, or at `limits.closeTimeoutMs`). Later calls return the same
   * promise (`force` still takes effect). Throws `MisuseError` if `timeoutMs` is not a number >= 0 or `force` not a boolean.
   */
  stop(options?: { timeoutMs?: number; force?: boolean }): Promise<void>;
  /**
   * Sends a message (text for a string, binary for a buffer) to every socket subscribed to `topic`. Each
   * subscriber gets it through its own `send`: its backpressure policy applies to it alone (`wait` queues, `drop`
   * skips it, `close` closes it), and with permessage-deflate its own compressor is used (`compress` as for
   * `send`: undefined compresses from the `deflate.threshold`). Text is encoded to UTF-8 once per publish, and the
   * same bytes go to every subscriber as for `send` (payloads over 4 KiB are written as they are, uncopied): do
   * not modify a published buffer afterwards.
   *
   * Returns the number of subscribers the message was handed to (queued, above the high-water mark included);
   * 0 if there were none or all dropped it. Unlike Bun's status (bytes, -1, 0) this counts sockets: check a
   * subscriber's backpressure with `ws.bufferedAmount` or its `drain` handler. Throws `MisuseError`
   * (`INVALID_OPTION`) if `topic` is not a string or `data` is neither a string nor a buffer.
   */
  publish(topic: string, data: string | Uint8Array | ArrayBuffer | ArrayBufferView, compress?: boolean): number;
  /** How many sockets are subscribed to `topic` (closed sockets are never counted). Throws `MisuseError` if `topic` is not a string. */
  subscriberCount(topic: string): number;
}

/** What an adapter can do on its runtime: differences are stated here rather than hidden. */
export interface AdapterCapabilities {
  readonly runtime: 'node' | 'bun' | 'deno';
  /**
   * Writes over TLS feel the peer's reading speed, so `bufferedAmount`, `send() === -1`, `drain` and the
   * inbound pause work for wss. True for every adapter on the runtimes tested (Node 20, Bun 1.4, Deno 2.9:
   * there a write to a `TlsConn` whose peer stopped reading stays pending once about 3 MiB are in flight).
   */
  readonly tlsBackpressure: boolean;
  /** `createUpgradeHandler()` for an existing HTTP server's `upgrade` event. */
  readonly httpServerUpgrade: boolean;
  /**
   * Over plain TCP and over TLS: writes reach the OS synchronously when a tick's writes pass the high-water mark,
   * so the backpressure policy measures what the OS refused and a peer that reads takes a burst in stride. Where
   * false (Deno's writes are async ops; `node:tls` completes writes asynchronously), the tick's bytes count until written.
   */
  readonly syncFlush: { readonly tcp: boolean; readonly tls: boolean };
}
