import { MisuseError } from '../errors.ts';

/**
 * permessage-deflate (RFC 7692) configuration of a server, and the parameters agreed for one connection.
 */
export interface DeflateOptions {
  /** Never use context takeover for what the server sends (saves the compressor's window between messages). Default false. */
  serverNoContextTakeover?: boolean;
  /** Ask the client not to use context takeover (lets the server drop its inflate window between messages). Default false. */
  clientNoContextTakeover?: boolean;
  /**
   * Largest LZ77 window (8–15) the server compresses with. Default 12 (a lean 4 KiB window; see README).
   * The server limits itself silently: it announces `server_max_window_bits` only when the client asked (RFC 7692 §7.1.2.1).
   * 8 is honoured with a 9-bit zlib stream, whose back-references never exceed 250 bytes (see codec.ts).
   */
  serverMaxWindowBits?: number;
  /**
   * Largest window (8–15) the server asks the client to compress with, when the client allows it by offering
   * `client_max_window_bits` (RFC 7692 §7.1.2.2). It also sizes the server's inflate window. Default 15.
   */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** zlib compression level 0–9. Default 1 (fast; most of the gain for JSON-like text). */
  level?: number;
  /** zlib memLevel 1–9 (the compressor's hash memory). Default 4 (a 32 KiB compressor at the default window). */
  memLevel?: number;
}

/** The parameters agreed with the client for one connection (RFC 7692 §7.1). */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  /** Window bits the server compresses with (8–15). */
  readonly serverMaxWindowBits: number;
  /** Window bits the client compresses with (8–15; 15 when the client did not limit it). */
  readonly clientMaxWindowBits: number;
}

/** {@link DeflateOptions} with every field filled in (see {@link resolveDeflateOptions}). */
export type ResolvedDeflateOptions = Readonly<Required<DeflateOptions>>;

/** The defaults: a lean 4 KiB server window, fast level 1, context takeover in both directions. */
export const DEFAULT_DEFLATE_OPTIONS: ResolvedDeflateOptions = Object.freeze({
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 12,
  clientMaxWindowBits: 15,
  threshold: 1024,
  level: 1,
  // memLevel 4: the compressor's hash tables take 32 KiB instead of 152 KiB at a 12-bit window, for output
  // about 5% larger at similar speed (measured); per-connection memory is what context takeover costs.
  memLevel: 4,
});

/**
 * Merges `options` over {@link DEFAULT_DEFLATE_OPTIONS} and checks every range.
 * Throws {@link MisuseError} (`INVALID_OPTION`) on a wrong type or a value out of range.
 */
export function resolveDeflateOptions(options: DeflateOptions | undefined): ResolvedDeflateOptions {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new MisuseError('INVALID_OPTION', 'deflate options must be an object');
  }
  const o = options ?? {};
  return Object.freeze({
    serverNoContextTakeover: flag(o.serverNoContextTakeover, 'serverNoContextTakeover', DEFAULT_DEFLATE_OPTIONS.serverNoContextTakeover),
    clientNoContextTakeover: flag(o.clientNoContextTakeover, 'clientNoContextTakeover', DEFAULT_DEFLATE_OPTIONS.clientNoContextTakeover),
    // RFC 7692 §7.1.2: window bits are 8–15.
    serverMaxWindowBits: int(o.serverMaxWindowBits, 'serverMaxWindowBits', 8, 15, DEFAULT_DEFLATE_OPTIONS.serverMaxWindowBits),
    clientMaxWindowBits: int(o.clientMaxWindowBits, 'clientMaxWindowBits', 8, 15, DEFAULT_DEFLATE_OPTIONS.clientMaxWindowBits),
    threshold: int(o.threshold, 'threshold', 0, Number.MAX_SAFE_INTEGER, DEFAULT_DEFLATE_OPTIONS.threshold),
    level: int(o.level, 'level', 0, 9, DEFAULT_DEFLATE_OPTIONS.level),
    memLevel: int(o.memLevel, 'memLevel', 1, 9, DEFAULT_DEFLATE_OPTIONS.memLevel),
  });
}

function flag(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new MisuseError('INVALID_OPTION', `deflate.${name} must be a boolean, got ${String(value)}`);
  return value;
}

function int(value: unknown, name: string, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new MisuseError('INVALID_OPTION', `deflate.${name} must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}
