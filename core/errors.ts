/**
 * Errors. Two families, never mixed (as in h11):
 * - {@link PeerErrorCode}: the peer broke the protocol. Never thrown; reported as an `error` event
 *   together with the close code (or HTTP status) that the core has already written.
 * - {@link MisuseError}: the application called the API wrongly. Thrown, synchronously.
 */

/** Stable identifiers of peer-caused failures; each maps to one close code or HTTP status. */
export type PeerErrorCode =
  // Opening handshake (answered with an HTTP status).
  | 'HTTP_BAD_REQUEST' // malformed request line or header
  | 'HTTP_HEADERS_TOO_LARGE' // header bytes or count over the limit (431)
  | 'HTTP_METHOD_NOT_ALLOWED' // not GET (405)
  | 'HTTP_VERSION_NOT_SUPPORTED' // below HTTP/1.1 (505 / 400)
  | 'HTTP_UPGRADE_REQUIRED' // no or wrong Upgrade/Connection (426 / 400)
  | 'HTTP_BAD_VERSION' // Sec-WebSocket-Version not 13 (426 + Sec-WebSocket-Version: 13)
  | 'HTTP_BAD_KEY' // Sec-WebSocket-Key missing or not base64 of 16 bytes (400)
  | 'HTTP_MISSING_HOST' // (400)
  | 'HTTP_CONTENT_NOT_ACCEPTED' // a plain HTTP request with content, which the server's hook cannot read (413)
  | 'HANDSHAKE_TIMEOUT' // request head (or the application's decision) not complete in time
  | 'HANDSHAKE_PENDING_OVERFLOW' // too many bytes arrived while the application was deciding
  // Framing (answered with a close frame).
  | 'RSV_NOT_NEGOTIATED' // 1002
  | 'RESERVED_OPCODE' // 1002
  | 'UNMASKED_FRAME' // 1002
  | 'LENGTH_MSB_SET' // 1002
  | 'NON_MINIMAL_LENGTH' // informational, not enforced (see decoder)
  | 'CONTROL_FRAME_TOO_LONG' // 1002
  | 'CONTROL_FRAME_FRAGMENTED' // 1002
  | 'UNEXPECTED_CONTINUATION' // 1002
  | 'EXPECTED_CONTINUATION' // 1002
  | 'FRAME_TOO_LARGE' // 1009
  | 'MESSAGE_TOO_LARGE' // 1009 (also the inflated size, and per-fragment overhead accounting)
  | 'INVALID_UTF8' // 1007
  | 'INVALID_CLOSE_PAYLOAD' // 1002 (1-byte payload)
  | 'INVALID_CLOSE_CODE' // 1002
  | 'INVALID_CLOSE_REASON' // 1007
  | 'DEFLATE_ERROR' // 1007 (corrupt compressed data)
  | 'DATA_AFTER_CLOSE' // frames after the peer's close frame: ignored, reported
  | 'OUT_OF_MEMORY' // 1011: the runtime could not allocate a message's buffer (a memory or address-space limit)
  | 'MEMORY_BUDGET' // 1013: the memory budget shared with other connections is spent (ServerConnectionOptions.messageBudget)
  // Time and transport.
  | 'IDLE_TIMEOUT' // no traffic from the peer after a keepalive ping (1001 sent, transport closed)
  | 'CLOSE_TIMEOUT' // the peer did not complete the close handshake in time
  | 'TRANSPORT_ENDED'; // the byte stream ended before a close handshake (1006)

/** Thrown when the application uses the API wrongly (e.g. `send` after `close`, an invalid close code). */
export class MisuseError extends Error {
  /** A stable identifier of the misuse. */
  readonly code: MisuseCode;
  constructor(code: MisuseCode, message: string) {
    super(message);
    this.name = 'MisuseError';
    this.code = code;
  }
}

export type MisuseCode =
  | 'INVALID_STATE' // the call is not allowed in the connection's current state
  | 'INVALID_CLOSE_CODE' // the application may send 1000-1003, 1007-1014 and 3000-4999 only
  | 'REASON_TOO_LONG' // a close reason over 123 UTF-8 bytes
  | 'CONTROL_PAYLOAD_TOO_LONG' // ping/pong payload over 125 bytes
  | 'INVALID_OPTION'; // an option out of its documented range
