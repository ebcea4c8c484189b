import { MisuseError } from './errors.ts';

/**
 * Every peer-controlled size, count and duration, in one place, each with a default that is safe for a
 * public server and the close code or HTTP status it produces when exceeded.
 * Durations are in milliseconds of the clock the caller passes as `now`.
 */
export interface Limits {
  /** Bytes of the HTTP request head (request line + headers). Over it: HTTP 431. Default 16 KiB. */
  maxHeaderBytes: number;
  /** Number of header fields in the request head. Over it: HTTP 431. Default 64. */
  maxHeaderCount: number;
  /** Time from the first byte (connection start) until the application has accepted or rejected. Over it: HTTP 408 (if the request was incomplete), then the transport is closed. Default 10 s. */
  handshakeTimeoutMs: number;
  /** Bytes kept while the application decides asynchronously on an upgrade. Over it: HTTP 400 and close. Default 64 KiB. */
  maxPendingBytes: number;
  /** Payload bytes of one frame, checked on the header before any payload is buffered. Over it: close 1009. Default 16 MiB. */
  maxFrameSize: number;
  /** Bytes of one message after reassembly (and after inflation). Over it: close 1009. Default 16 MiB. */
  maxMessageSize: number;
  /**
   * Bytes charged to the message budget for each frame of a fragmented message, on top of its payload,
   * so that a flood of tiny fragments is bounded by bytes (not only by count). Default 32.
   */
  fragmentOverheadBytes: number;
  /** Automatic pongs produced but not yet taken by the transport; past it, the newest pong replaces the previous one (RFC 6455 §5.5.3 allows answering only the latest ping). Default 64. */
  maxPendingPongs: number;
  /** Send a keepalive ping after this long without receiving anything. 0 disables. Default 30 s (inside a 60 s proxy timeout). */
  pingIntervalMs: number;
  /** Close (1001, transport closed) if nothing arrives within this long after a keepalive ping. Default 30 s. */
  pongTimeoutMs: number;
  /** Time allowed for the peer to answer our close frame before the transport is closed. Default 5 s. */
  closeTimeoutMs: number;
  /** High-water mark of the outbound queue in bytes, used by adapters for backpressure. Default 1 MiB. */
  outboundHighWaterMark: number;
  /** Low-water mark: below it, a paused reader resumes and `drain` fires. Default 256 KiB. */
  outboundLowWaterMark: number;
}

/** The defaults, safe for a public server. */
export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxHeaderBytes: 16 * 1024,
  maxHeaderCount: 64,
  handshakeTimeoutMs: 10_000,
  maxPendingBytes: 64 * 1024,
  maxFrameSize: 16 * 1024 * 1024,
  maxMessageSize: 16 * 1024 * 1024,
  fragmentOverheadBytes: 32,
  maxPendingPongs: 64,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 30_000,
  closeTimeoutMs: 5_000,
  outboundHighWaterMark: 1024 * 1024,
  outboundLowWaterMark: 256 * 1024,
});

/** Objects {@link resolveLimits} returned: passing one again returns it as it is. */
const resolved = new WeakSet<object>();

/**
 * Merges user limits over the defaults and checks their ranges. Throws {@link MisuseError} on a bad value or a name
 * that is not a limit (a typo must not leave a default in force silently). The
 * result is frozen, and resolving it again returns the same object, so that the connections of one server share
 * one limits object rather than holding a copy each.
 */
export function resolveLimits(partial: Partial<Limits> | undefined): Readonly<Limits> {
  if (partial === undefined) return DEFAULT_LIMITS;
  if (resolved.has(partial)) return partial as Readonly<Limits>;
  if (partial === null || typeof partial !== 'object' || Array.isArray(partial)) {
    throw new MisuseError('INVALID_OPTION', 'limits must be an object');
  }
  // A misspelt limit would leave the default in force without a word: refuse names that are not limits.
  for (const key of Object.keys(partial)) {
    if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, key)) {
      throw new MisuseError('INVALID_OPTION', `limits.${key} is not a limit (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
    }
  }
  const limits: Limits = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof Limits)[]) {
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new MisuseError('INVALID_OPTION', `limits.${key} must be a finite number >= 0, got ${String(value)}`);
    }
    limits[key] = value;
  }
  if (limits.maxFrameSize > 2 ** 53 - 1 || limits.maxMessageSize > 2 ** 53 - 1) {
    throw new MisuseError('INVALID_OPTION', 'maxFrameSize/maxMessageSize must be safe integers');
  }
  // A zero timeout would fire before any peer could answer (and race the answer differently on each runtime);
  // only the keepalive interval has a meaning for 0 (off).
  for (const key of ['handshakeTimeoutMs', 'pongTimeoutMs', 'closeTimeoutMs'] as const) {
    if (limits[key] === 0) throw new MisuseError('INVALID_OPTION', `limits.${key} must be > 0 (only pingIntervalMs may be 0: no keepalive)`);
  }
  if (limits.outboundLowWaterMark > limits.outboundHighWaterMark) {
    throw new MisuseError('INVALID_OPTION', 'outboundLowWaterMark must not exceed outboundHighWaterMark');
  }
  Object.freeze(limits);
  resolved.add(limits);
  return limits;
}
