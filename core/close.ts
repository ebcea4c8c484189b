/**
 * Close frame payloads (RFC 6455 §5.5.1) and close code validity (RFC 6455 §7.4).
 * A close payload is empty, or a 2-byte big-endian code followed by a UTF-8 reason.
 */

import { MisuseError } from './errors.ts';
import { isValidUtf8 } from './text/utf8.ts';

/** The largest close reason in UTF-8 bytes: control payloads are at most 125 bytes (RFC 6455 §5.5), minus the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/** The code reported when a close frame has no payload; it must never be sent (RFC 6455 §7.4.1). */
export const CLOSE_NO_STATUS = 1005;

/**
 * Whether a code received in a close frame is acceptable (RFC 6455 §7.4.1–7.4.2, IANA registry):
 * 1000–1003 and 1007–1014 are defined for use on the wire, 3000–4999 are for libraries and applications.
 * 0–999, 1004 (reserved), 1005/1006/1015 (never sent: local meaning only) and 1016–2999 (unassigned) fail
 * the connection with 1002.
 */
export function isValidReceivedCloseCode(code: number): boolean {
  return (
    (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999)
  );
}

/** Whether the application may send this code: the same set as {@link isValidReceivedCloseCode}, integers only. */
export function isValidSentCloseCode(code: number): boolean {
  return Number.isInteger(code) && isValidReceivedCloseCode(code);
}

/** A parsed close payload, or why it is invalid (each reason maps to a `PeerErrorCode` and close code). */
export type ParsedClosePayload =
  | { ok: true; code: number; reason: string }
  | { ok: false; code: 'INVALID_CLOSE_PAYLOAD' | 'INVALID_CLOSE_CODE' | 'INVALID_CLOSE_REASON' };

/**
 * Parses the (already unmasked) payload of a received close frame. Never throws.
 * Empty → code 1005 and reason '' (RFC 6455 §7.1.5); 1 byte → INVALID_CLOSE_PAYLOAD (1002);
 * a code outside {@link isValidReceivedCloseCode} → INVALID_CLOSE_CODE (1002);
 * a reason that is not valid UTF-8 → INVALID_CLOSE_REASON (1007, RFC 6455 §5.5.1, §8.1).
 */
export function parseClosePayload(payload: Uint8Array): ParsedClosePayload {
  const length = payload.length;
  if (length === 0) return { ok: true, code: CLOSE_NO_STATUS, reason: '' };
  if (length === 1) return { ok: false, code: 'INVALID_CLOSE_PAYLOAD' };
  const code = (payload[0]! << 8) | payload[1]!;
  if (!isValidReceivedCloseCode(code)) return { ok: false, code: 'INVALID_CLOSE_CODE' };
  if (length === 2) return { ok: true, code, reason: '' };
  if (!isValidUtf8(payload, 2, length)) return { ok: false, code: 'INVALID_CLOSE_REASON' };
  // Validated above, so the decoder never substitutes.
  return { ok: true, code, reason: reasonDecoder.decode(payload.subarray(2)) };
}

/** `ignoreBOM: true` keeps a leading U+FEFF in the reason instead of silently dropping it. */
const reasonDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

const reasonEncoder = new TextEncoder();

/**
 * Encodes the payload of a close frame the application asked for. `code` undefined → empty payload
 * (then `reason` must be ''). Throws {@link MisuseError}: INVALID_CLOSE_CODE for a code that is not a number or
 * that the application may not send (see {@link isValidSentCloseCode}; 1005 included) or for a reason without a
 * code; REASON_TOO_LONG for a reason over {@link MAX_CLOSE_REASON_BYTES} UTF-8 bytes; INVALID_OPTION for a reason
 * that is not a string.
 */
export function encodeClosePayload(code: number | undefined, reason: string): Uint8Array {
  if (typeof reason !== 'string') throw new MisuseError('INVALID_OPTION', `a close reason must be a string (got ${typeof reason})`);
  if (code !== undefined && typeof code !== 'number') throw new MisuseError('INVALID_CLOSE_CODE', `a close code must be a number (got ${typeof code})`);
  if (code === undefined) {
    if (reason.length > 0) {
      throw new MisuseError('INVALID_CLOSE_CODE', 'a close reason can only be sent together with a close code');
    }
    return new Uint8Array(0);
  }
  if (!isValidSentCloseCode(code)) {
    throw new MisuseError(
      'INVALID_CLOSE_CODE',
      `close code ${String(code)} may not be sent; use 1000-1003, 1007-1014 or 3000-4999`,
    );
  }
  const payload = new Uint8Array(2 + MAX_CLOSE_REASON_BYTES);
  // encodeInto writes whole characters only; if it could not take the whole string, the reason is too long.
  const { read, written } = reasonEncoder.encodeInto(reason, payload.subarray(2));
  if (read !== reason.length) {
    throw new MisuseError('REASON_TOO_LONG', `a close reason must be at most ${MAX_CLOSE_REASON_BYTES} UTF-8 bytes`);
  }
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  return payload.subarray(0, 2 + written);
}

/**
 * Encodes a close payload for a code the core chose itself (1001, 1002, 1007, 1009, 1011…), without
 * validating it. The reason is cut at a character boundary to at most {@link MAX_CLOSE_REASON_BYTES} bytes.
 */
export function encodeClosePayloadUnchecked(code: number, reason: string): Uint8Array {
  const payload = new Uint8Array(2 + MAX_CLOSE_REASON_BYTES);
  payload[0] = (code >>> 8) & 0xff;
  payload[1] = code & 0xff;
  const { written } = reasonEncoder.encodeInto(reason, payload.subarray(2));
  return payload.subarray(0, 2 + written);
}
