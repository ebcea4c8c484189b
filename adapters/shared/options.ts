/**
 * Validation of `serve()` options into the per-server configuration every session reads. Done once per
 * server, so that sessions hold one shared object rather than copies.
 */
import { MisuseError } from '../../core/errors.ts';
import { resolveLimits, type Limits } from '../../core/limits.ts';
import { DEFAULT_DEFLATE_OPTIONS, resolveDeflateOptions, type DeflateOptions } from '../../core/deflate/options.ts';
import type { Accelerators } from '../../core/accelerators.ts';
import { MemoryBudget } from '../../core/memory-budget.ts';
import { DEFAULT_TOPIC_LIMITS, type TopicLimits } from './topics.ts';
import type { ServeOptions, WebSocketHandlers, UpgradeRequest, UpgradeContext, UpgradeDecision, HttpRequest, HttpResponse } from './types.ts';
import { decodeUtf8, type TextDecodeFn } from './text-decoder.ts';
import { TraceSink } from './recording.ts';
import { check, checkKeys } from './option-checks.ts';

/** The resolved configuration shared by all sessions of one server. */
export interface ServerConfig<T> {
  readonly limits: Limits;
  readonly deflate: DeflateOptions | false;
  readonly receiveMode: 'message' | 'stream';
  /** Per-socket bounds of pub/sub subscriptions. */
  readonly topicLimits: TopicLimits;
  /** Text reaches the `message` handler decoded (`string`) or as its UTF-8 bytes. */
  readonly textMessages: 'string' | 'bytes';
  readonly handlers: WebSocketHandlers<T>;
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly onLimit: 'wait' | 'drop' | 'close';
  /** Bytes queued towards a peer past which `wait` closes too (see BackpressureOptions.maxBuffered). */
  readonly maxBuffered: number;
  readonly limitCloseCode: number;
  /** Lower-cased allow-list, or a predicate, or undefined (any origin). */
  readonly origins: ReadonlySet<string> | ((origin: string | undefined) => boolean) | undefined;
  readonly protocols: readonly string[];
  readonly upgrade: ((req: UpgradeRequest, ctx: UpgradeContext) => UpgradeDecision<T> | Promise<UpgradeDecision<T>>) | undefined;
  readonly fetch: ((req: HttpRequest) => HttpResponse | Promise<HttpResponse>) | undefined;
  readonly decodeText: TextDecodeFn;
  /** What the runtime offers to speed up the core (handed to each connection). */
  readonly accelerators: Accelerators;
  readonly secure: boolean;
  readonly stopTimeoutMs: number;
  /** Most connections at once (see ServeOptions.maxConnections). */
  readonly maxConnections: number;
  /** The server's budget for messages being received, shared by its connections (see ServeOptions.maxMessageMemory). */
  readonly messageBudget: MemoryBudget;
  /** Where connections are recorded, when the `record` option is on. */
  readonly traces: TraceSink | undefined;
}

/** Default of `ServeOptions.maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;

/** Default of `BackpressureOptions.maxBuffered` (as Bun.serve's `backpressureLimit`). */
export const DEFAULT_MAX_BUFFERED = 16 * 1024 * 1024;

/** Default of `ServeOptions.maxMessageMemory` (or twice `limits.maxMessageSize`, if more). */
export const DEFAULT_MAX_MESSAGE_MEMORY = 256 * 1024 * 1024;


/** The handlers `options.websocket` may hold; each one given must be a function. */
const HANDLER_NAMES = ['open', 'message', 'fragment', 'close', 'drain', 'ping', 'pong', 'error'] as const;

/** Throws unless `value` is undefined or a function (a handler called later must fail here, not per connection). */
function checkFunction(value: unknown, name: string): void {
  check(value === undefined || typeof value === 'function', `${name} must be a function (got ${value === null ? 'null' : typeof value})`);
}

/**
 * The deflate option checked and resolved once per server: a bad value throws here rather than in every
 * connection's handshake, and all connections share the one resolved object.
 */
function resolveDeflate(deflate: unknown): DeflateOptions | false {
  if (deflate === undefined || deflate === false) return false;
  check(typeof deflate === 'object' && deflate !== null && !Array.isArray(deflate), 'deflate must be an options object ({} for the defaults) or false');
  checkKeys(deflate, 'deflate', Object.keys(DEFAULT_DEFLATE_OPTIONS));
  return resolveDeflateOptions(deflate as DeflateOptions);
}

/** Validates `serve()` options (throws {@link MisuseError}) and resolves defaults. */
export function resolveServerConfig<T>(
  options: ServeOptions<T>,
  runtime: { decodeText?: TextDecodeFn; accelerators?: Accelerators; secure: boolean },
): ServerConfig<T> {
  check(typeof options === 'object' && options !== null, 'serve() needs an options object');
  check(typeof options.websocket === 'object' && options.websocket !== null, 'options.websocket (the handlers object) is required');
  for (const name of HANDLER_NAMES) checkFunction(options.websocket[name], `websocket.${name}`);
  const publishToSelf: unknown = options.websocket.publishToSelf;
  check(publishToSelf === undefined || typeof publishToSelf === 'boolean', 'websocket.publishToSelf must be a boolean');
  checkFunction(options.upgrade, 'upgrade');
  checkFunction(options.fetch, 'fetch');
  const limits = resolveLimits(options.limits);
  const deflate = resolveDeflate(options.deflate);
  checkKeys(options.backpressure, 'backpressure', ['highWaterMark', 'lowWaterMark', 'onLimit', 'closeCode', 'maxBuffered']);
  const bp = options.backpressure ?? {};
  const highWaterMark = bp.highWaterMark ?? limits.outboundHighWaterMark;
  const lowWaterMark = bp.lowWaterMark ?? Math.min(limits.outboundLowWaterMark, highWaterMark);
  check(Number.isFinite(highWaterMark) && highWaterMark >= 0, 'backpressure.highWaterMark must be a finite number >= 0');
  check(Number.isFinite(lowWaterMark) && lowWaterMark >= 0 && lowWaterMark <= highWaterMark, 'backpressure.lowWaterMark must be within 0..highWaterMark');
  const onLimit = bp.onLimit ?? 'wait';
  check(onLimit === 'wait' || onLimit === 'drop' || onLimit === 'close', "backpressure.onLimit must be 'wait', 'drop' or 'close'");
  const maxBuffered = bp.maxBuffered ?? Math.max(DEFAULT_MAX_BUFFERED, highWaterMark);
  check(typeof maxBuffered === 'number' && maxBuffered >= highWaterMark, 'backpressure.maxBuffered must be a number >= highWaterMark, or Infinity');
  const limitCloseCode = bp.closeCode ?? 1008;
  check(limitCloseCode === 1008 || limitCloseCode === 1013 || (limitCloseCode >= 3000 && limitCloseCode <= 4999), 'backpressure.closeCode must be 1008, 1013 or 3000-4999');
  const receiveMode = options.receiveMode ?? 'message';
  check(receiveMode === 'message' || receiveMode === 'stream', "receiveMode must be 'message' or 'stream'");
  checkKeys(options.pubsub, 'pubsub', Object.keys(DEFAULT_TOPIC_LIMITS));
  // An option given as undefined takes its default, as everywhere else.
  const pubsub = options.pubsub ?? {};
  const topicLimits: TopicLimits = {
    maxTopicsPerSocket: pubsub.maxTopicsPerSocket ?? DEFAULT_TOPIC_LIMITS.maxTopicsPerSocket,
    maxTopicCharsPerSocket: pubsub.maxTopicCharsPerSocket ?? DEFAULT_TOPIC_LIMITS.maxTopicCharsPerSocket,
  };
  for (const [name, value] of Object.entries(topicLimits)) {
    check(Number.isInteger(value) && value >= 1, `pubsub.${name} must be an integer >= 1`);
  }
  const textMessages = options.textMessages ?? 'string';
  check(textMessages === 'string' || textMessages === 'bytes', "textMessages must be 'string' or 'bytes'");
  let origins: ServerConfig<T>['origins'];
  if (typeof options.origins === 'function') origins = options.origins;
  else if (options.origins !== undefined) {
    check(Array.isArray(options.origins) && options.origins.every((o) => typeof o === 'string'), 'origins must be an array of strings or a function');
    origins = new Set(options.origins.map((o) => o.toLowerCase()));
  }
  const protocols = options.protocols ?? [];
  check(Array.isArray(protocols) && protocols.every((p) => typeof p === 'string' && p.length > 0), 'protocols must be an array of non-empty strings');
  const stopTimeoutMs = options.stopTimeoutMs ?? limits.closeTimeoutMs + 1000;
  check(Number.isFinite(stopTimeoutMs) && stopTimeoutMs >= 0, 'stopTimeoutMs must be a finite number >= 0');
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  check(maxConnections === Infinity || (Number.isInteger(maxConnections) && maxConnections >= 1), 'maxConnections must be an integer >= 1, or Infinity');
  const maxMessageMemory = options.maxMessageMemory ?? Math.max(DEFAULT_MAX_MESSAGE_MEMORY, 2 * limits.maxMessageSize);
  check(
    typeof maxMessageMemory === 'number' && maxMessageMemory >= limits.maxMessageSize && !Number.isNaN(maxMessageMemory),
    `maxMessageMemory must be a number of bytes >= limits.maxMessageSize (${limits.maxMessageSize}), or Infinity`,
  );
  return {
    limits,
    deflate,
    receiveMode,
    textMessages,
    topicLimits,
    handlers: options.websocket,
    highWaterMark,
    lowWaterMark,
    onLimit,
    maxBuffered,
    limitCloseCode,
    origins,
    protocols: [...protocols],
    upgrade: options.upgrade,
    fetch: options.fetch,
    decodeText: runtime.decodeText ?? decodeUtf8,
    accelerators: runtime.accelerators ?? {},
    secure: runtime.secure,
    stopTimeoutMs,
    maxConnections,
    messageBudget: new MemoryBudget(maxMessageMemory),
    traces: options.record === undefined ? undefined : new TraceSink(options.record),
  };
}

/** Port and hostname with their defaults, checked. */
export function resolveAddress(options: { port?: number; hostname?: string }): { port: number; hostname: string } {
  const port = options.port ?? 0;
  check(Number.isInteger(port) && port >= 0 && port <= 65535, 'port must be an integer 0-65535');
  const hostname = options.hostname ?? '127.0.0.1';
  check(typeof hostname === 'string' && hostname.length > 0, 'hostname must be a non-empty string');
  return { port, hostname };
}

/** `ws://host:port/` or `wss://…`, bracketing IPv6 literals. */
export function serverUrl(secure: boolean, hostname: string, port: number): string {
  const host = hostname.includes(':') ? `[${hostname}]` : hostname;
  return `${secure ? 'wss' : 'ws'}://${host}:${port}/`;
}
