import type { PeerErrorCode } from './errors.ts';
import type { ExtensionOffer } from './extension-offer.ts';

/** The parsed and validated opening handshake request (RFC 6455 §4.2.1). */
export interface HandshakeRequest {
  /** Always `GET` (anything else was refused with 405). */
  readonly method: string;
  /** The request target as sent, e.g. `/chat?room=1`. */
  readonly target: string;
  /** e.g. `1.1`. */
  readonly httpVersion: string;
  /**
   * Header fields by lower-cased name; repeated fields joined with `, ` (RFC 9110 §5.3).
   * A `Map`, so that names such as `constructor` or `__proto__` are plain keys.
   */
  readonly headers: ReadonlyMap<string, string>;
  /** Header fields in arrival order, names as sent. */
  readonly rawHeaders: ReadonlyArray<readonly [name: string, value: string]>;
  readonly host: string;
  /** The `Origin` header, if any. */
  readonly origin: string | undefined;
  /** The `Sec-WebSocket-Key`, validated as base64 of 16 bytes. */
  readonly key: string;
  /** Subprotocols offered in `Sec-WebSocket-Protocol`, in the client's order. */
  readonly protocols: readonly string[];
  /** Extensions offered in `Sec-WebSocket-Extensions`, in the client's order. */
  readonly extensions: readonly ExtensionOffer[];
}

/** A request that is not a WebSocket upgrade (see the `plainHttp` option). */
export interface PlainHttpRequest {
  readonly method: string;
  readonly target: string;
  readonly httpVersion: string;
  readonly headers: ReadonlyMap<string, string>;
  readonly rawHeaders: ReadonlyArray<readonly [name: string, value: string]>;
}

/** Events produced by the core, in order. Data views are valid until the next call into the connection unless stated. */
export type ConnectionEvent =
  /** A complete, valid upgrade request: call `accept()` or `reject()` (now or later). */
  | { readonly type: 'request'; readonly request: HandshakeRequest }
  /**
   * A plain HTTP request (no `Upgrade` header) and the `plainHttp` option is on: answer it with `reject()`
   * (any status, 200 included); the transport is closed after the response (no keep-alive).
   */
  | { readonly type: 'http-request'; readonly request: PlainHttpRequest }
  /** The 101 response is in the writes; the connection is open. */
  | { readonly type: 'open'; readonly protocol: string; readonly extensions: string }
  /**
   * A whole message (receive mode `message`). Text is already validated UTF-8 (as bytes; decode with any decoder).
   * `data` is owned by the receiver: it is a view over received bytes or a fresh buffer, never reused by the core.
   */
  | { readonly type: 'message'; readonly binary: boolean; readonly data: Uint8Array }
  /**
   * Part of a message (receive mode `stream`): payload delivered as it arrives. `first` marks the first part of a
   * message, `fin` the last. Text parts are validated so far, and may split a UTF-8 sequence between parts.
   */
  | { readonly type: 'fragment'; readonly binary: boolean; readonly data: Uint8Array; readonly first: boolean; readonly fin: boolean }
  | { readonly type: 'ping'; readonly data: Uint8Array }
  | { readonly type: 'pong'; readonly data: Uint8Array }
  /** The peer sent a close frame (its code, 1005 if none). The reply is already in the writes. */
  | { readonly type: 'peer-close'; readonly code: number; readonly reason: string }
  /** The peer broke the protocol or a limit; the close frame or HTTP response is already in the writes. */
  | { readonly type: 'error'; readonly code: PeerErrorCode; readonly message: string; readonly closeCode?: number; readonly status?: number }
  /**
   * The connection is finished: the transport should be closed once the writes are flushed.
   * `code`/`reason` are the close frame received (1005 if none, 1006 if there was no close handshake).
   */
  | { readonly type: 'closed'; readonly code: number; readonly reason: string; readonly wasClean: boolean };
