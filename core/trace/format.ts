/**
 * The trace format, version 1: what one server connection received, wrote, was told and reported, in order,
 * with the time of each step. See README.md in this folder for the JSON Lines form on disk.
 *
 * In memory a trace is a header plus a list of records; bytes are `Uint8Array`s (base64 only on disk).
 */
import type { DeflateOptions, DeflateParams } from '../deflate/options.ts';
import type { Limits } from '../limits.ts';

/** The version written in the header's `websockTrace` field; readers refuse any other. */
export const TRACE_VERSION = 1;

/**
 * Who drives the application side during replay.
 * - `echo`: accept every upgrade (deflate as negotiated), echo every message (text as text, binary as binary);
 *   `cmd` records are extra commands on top (e.g. a server-initiated close).
 * - `recorded`: only the `cmd` records act; nothing is implied.
 */
export type TraceApp = 'echo' | 'recorded';

/** The JSON-able subset of `ServerConnectionOptions` a trace records (functions such as `onEvent` are not). */
export interface TraceConnectionOptions {
  limits?: Partial<Limits>;
  receiveMode?: 'message' | 'stream';
  deflate?: DeflateOptions | false;
  plainHttp?: boolean;
}

/** Line 1 of a trace. */
export interface TraceHeader {
  /** Always {@link TRACE_VERSION}. */
  readonly websockTrace: number;
  /** A case id or name. */
  readonly label: string;
  readonly app: TraceApp;
  readonly options: TraceConnectionOptions;
  /** Free-form (runtime, adapter, remote address, why the trace was saved…). */
  readonly meta: Readonly<Record<string, unknown>>;
}

/** Header fields as (name, value) pairs, the form every command uses. */
export type TraceHeaderPairs = ReadonlyArray<readonly [string, string]>;

/** An application command, with the arguments it was called with. */
export type TraceCommand =
  | { readonly type: 'accept'; readonly protocol?: string; readonly deflate?: DeflateParams | false; readonly headers?: TraceHeaderPairs }
  | {
      readonly type: 'reject';
      readonly status: number;
      readonly headers?: TraceHeaderPairs;
      /** A body given as bytes. */
      readonly body?: Uint8Array;
      /** A body given as a string (sent as UTF-8 text, which may set a different Content-Type than bytes). */
      readonly bodyText?: string;
    }
  | {
      readonly type: 'send';
      readonly data: Uint8Array;
      /** The data was passed as a string (so `binary` defaults to false). */
      readonly text?: boolean;
      readonly binary?: boolean;
      readonly fin?: boolean;
      readonly compress?: boolean;
    }
  | { readonly type: 'close'; readonly code?: number; readonly reason?: string }
  | { readonly type: 'ping'; readonly data: Uint8Array }
  | { readonly type: 'pong'; readonly data: Uint8Array };

/**
 * An event in its canonical, JSON-able form (bytes as base64; error messages left out, since they are prose and
 * may be reworded): two events are the same iff their `JSON.stringify` forms are equal. See `eventToTrace`.
 */
export type TraceEvent = { readonly type: string } & Readonly<Record<string, unknown>>;

/** One step of a trace. `t` is milliseconds since the connection started (the core's clock minus its start). */
export type TraceRecord =
  /** Bytes the server received, exactly as the chunk arrived. */
  | { readonly kind: 'in'; readonly t: number; readonly data: Uint8Array }
  /** Bytes the server wrote: the result of one `takeWrites()` (concatenated). Replay takes writes at these points. */
  | { readonly kind: 'out'; readonly t: number; readonly data: Uint8Array }
  /** The caller woke the connection (`tick(t)`). */
  | { readonly kind: 'tick'; readonly t: number }
  /** The client's byte stream ended (`end(t)`). */
  | { readonly kind: 'end'; readonly t: number }
  /**
   * An application command. `inEvent` (1-based) is the event whose handler issued it, so replay issues it at the
   * same point; absent, it was issued between I/O calls.
   */
  | { readonly kind: 'cmd'; readonly t: number; readonly cmd: TraceCommand; readonly inEvent?: number }
  /** An event the connection emitted (optional: traces may omit events). */
  | { readonly kind: 'ev'; readonly t: number; readonly event: TraceEvent }
  /** The recorder's size limit was reached: nothing after this point was recorded. */
  | { readonly kind: 'truncated'; readonly t: number };

/** A whole trace. */
export interface Trace {
  readonly header: TraceHeader;
  readonly records: readonly TraceRecord[];
}

/** A trace file is malformed (wrong version, bad JSON, bad base64, unknown record). Not peer input: it throws. */
export class TraceFormatError extends Error {
  /** 1-based line number, 0 when not tied to a line. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(line > 0 ? `trace line ${line}: ${message}` : message);
    this.name = 'TraceFormatError';
    this.line = line;
  }
}
