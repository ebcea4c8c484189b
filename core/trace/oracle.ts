/**
 * A reference decoder of the client's byte stream (RFC 6455 §5, RFC 7692 §6), written separately from the core's
 * receiver so that the fuzzer can compare the two: given the bytes a client sent after its request head, it
 * predicts the frame-level events (messages, pings, pongs, the peer's close) and the close code of the first
 * protocol violation. Deliberately simple: whole-buffer, no streaming, no zero-copy.
 */
import type { Limits } from '../limits.ts';

/** An expected frame-level event. `unknown`: the oracle cannot predict further (e.g. a corrupt compressed message). */
export type OracleEvent =
  | { readonly type: 'message'; readonly binary: boolean; readonly data: Uint8Array }
  | { readonly type: 'ping' | 'pong'; readonly data: Uint8Array }
  | { readonly type: 'peer-close'; readonly code: number; readonly reason: string }
  | { readonly type: 'error'; readonly closeCode: number; readonly why: string }
  | { readonly type: 'unknown'; readonly why: string };

/**
 * Inflates compressed messages frame by frame (the fuzzer passes one built on pako; the core stays free of it).
 * RFC 7692 §7.2.2: on the last frame the `00 00 ff ff` tail is appended; the window carries over between messages
 * unless no context takeover was agreed.
 */
export interface OracleInflater {
  /**
   * One frame's payload (`fin`: the message's last) → the bytes it inflates to, or why it failed: `too-big` when the
   * message passes `maxBytes`, `corrupt` on invalid data, `ambiguous` when a correct receiver may do either.
   */
  push(payload: Uint8Array, fin: boolean, maxBytes: number): { ok: true; data: Uint8Array } | { ok: false; reason: 'corrupt' | 'too-big' | 'ambiguous'; data: Uint8Array };
}

/** Options of {@link predictEvents}. */
export interface OracleOptions {
  readonly limits: Limits;
  /** An inflater for RSV1 messages when permessage-deflate was negotiated; undefined when it was not. */
  readonly inflater?: OracleInflater | undefined;
  /** Whether permessage-deflate was negotiated (RSV1 allowed on first data frames). */
  readonly deflate: boolean;
}

/** Close codes a peer may send (RFC 6455 §7.4.1, §7.4.2; 1004–1006 and 1015 are reserved, 1012–1014 registered since). */
export function isValidReceivedCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

/**
 * Fail-fast UTF-8 check of `bytes` (RFC 3629): the index of the first byte that cannot continue any valid
 * sequence, -1 if none; `incomplete` tells whether the input ends inside a sequence.
 */
export function utf8Check(bytes: Uint8Array): { bad: number; incomplete: boolean } {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f; // no surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return { bad: i, incomplete: false };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { bad: -1, incomplete: true };
      const c = bytes[i + k] as number;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return { bad: i + k, incomplete: false };
    }
    i += need + 1;
  }
  return { bad: -1, incomplete: false };
}

/**
 * Where the frames start: after the request head, i.e. after the first CRLF CRLF that follows any empty lines
 * before the request line (the core's head parser skips those, RFC 9112 §2.2). -1 if there is no complete head.
 */
export function requestHeadEnd(input: Uint8Array): number {
  let p = 0;
  while (p + 1 < input.length && input[p] === 13 && input[p + 1] === 10) p += 2;
  for (let i = p; i + 3 < input.length; i++) {
    if (input[i] === 13 && input[i + 1] === 10 && input[i + 2] === 13 && input[i + 3] === 10) return i + 4;
  }
  return -1;
}

const textDecoder = new TextDecoder();

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Predicts the frame-level events of the client byte stream `frames` (the bytes after the request head).
 * Stops at the first violation (an `error` with its close code), at the peer's close frame, at an `unknown`,
 * or where the bytes end (an incomplete frame produces nothing).
 */
export function predictEvents(frames: Uint8Array, options: OracleOptions): OracleEvent[] {
  const { limits } = options;
  const out: OracleEvent[] = [];
  let pos = 0;
  // The data message in progress.
  let messageOpcode = 0;
  let compressed = false;
  let charged = 0;
  let parts: Uint8Array = new Uint8Array(0);
  const fail = (closeCode: number, why: string): OracleEvent[] => {
    out.push({ type: 'error', closeCode, why });
    return out;
  };

  while (pos < frames.length) {
    if (frames.length - pos < 2) return out;
    const b0 = frames[pos] as number;
    const b1 = frames[pos + 1] as number;
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    // RFC 6455 §5.2: RSV bits need a negotiated meaning; §5.5: control frames are final and ≤ 125 bytes;
    // §5.4: continuation only inside a message, a new message not inside one; §5.1: clients mask; RFC 7692 §6.1.
    if ((b0 & 0x30) !== 0) return fail(1002, 'RSV2/RSV3');
    if (opcode >= 8) {
      if (opcode > 10) return fail(1002, 'reserved control opcode');
      if (!fin) return fail(1002, 'fragmented control frame');
      if (len7 > 125) return fail(1002, 'control frame too long');
      if (rsv1) return fail(1002, 'RSV1 on control');
    } else if (opcode === 0) {
      if (messageOpcode === 0) return fail(1002, 'continuation without message');
      if (rsv1) return fail(1002, 'RSV1 on continuation');
    } else {
      if (opcode > 2) return fail(1002, 'reserved data opcode');
      if (messageOpcode !== 0) return fail(1002, 'new message inside a message');
      if (rsv1 && !options.deflate) return fail(1002, 'RSV1 without deflate');
    }
    if (!masked) return fail(1002, 'unmasked');
    let p = pos + 2;
    let length = len7;
    // Length checks happen once the whole header (with the masking key) is there, as in the core.
    if (frames.length - p < (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + 4) return out;
    if (len7 === 126) {
      if (frames.length - p < 2) return out;
      length = (frames[p]! << 8) | frames[p + 1]!;
      p += 2;
    } else if (len7 === 127) {
      if (frames.length - p < 8) return out;
      if (frames[p]! & 0x80) return fail(1002, '64-bit length MSB');
      length = 0;
      for (let k = 0; k < 8; k++) length = length * 256 + frames[p + k]!;
      p += 8;
    }
    if (frames.length - p < 4) return out;
    const key = frames.subarray(p, p + 4);
    p += 4;
    if (length > limits.maxFrameSize) return fail(1009, 'frame too large');
    if (opcode < 8) {
      const charge = opcode !== 0 ? length : charged + length + limits.fragmentOverheadBytes;
      if (charge > limits.maxMessageSize) return fail(1009, 'message too large (declared)');
      charged = charge;
      if (opcode !== 0) {
        messageOpcode = opcode;
        compressed = rsv1;
        parts = new Uint8Array(0);
      }
    }
    const available = Math.min(length, frames.length - p);
    const payload = new Uint8Array(available);
    for (let k = 0; k < available; k++) payload[k] = frames[p + k]! ^ key[k & 3]!;
    const complete = available === length;
    if (opcode >= 8) {
      if (!complete) return out;
      if (opcode === 9) out.push({ type: 'ping', data: payload });
      else if (opcode === 10) out.push({ type: 'pong', data: payload });
      else {
        // RFC 6455 §5.5.1, §7.1.5: empty, or a 2-byte code and a UTF-8 reason.
        if (payload.length === 0) {
          out.push({ type: 'peer-close', code: 1005, reason: '' });
          return out;
        }
        if (payload.length === 1) return fail(1002, 'close payload of 1 byte');
        const code = (payload[0]! << 8) | payload[1]!;
        if (!isValidReceivedCloseCode(code)) return fail(1002, 'invalid close code');
        const reason = payload.subarray(2);
        const check = utf8Check(reason);
        if (check.bad >= 0 || check.incomplete) return fail(1007, 'invalid close reason');
        out.push({ type: 'peer-close', code, reason: textDecoder.decode(reason) });
        return out;
      }
      pos = p + length;
      continue;
    }
    // Data frame.
    const last = complete && fin;
    if (compressed) {
      // RFC 7692 §6.2: inflated as the frames arrive, so a failure shows at the frame that causes it.
      const inflater = options.inflater;
      if (inflater === undefined) {
        out.push({ type: 'unknown', why: 'compressed message without an inflater' });
        return out;
      }
      const result = inflater.push(payload, last, limits.maxMessageSize);
      if (!result.ok) {
        if (result.reason === 'too-big') {
          // The first bad byte wins: invalid UTF-8 within the limit comes before the byte that passes it.
          if (messageOpcode === 1) {
            const within = concat(parts, result.data).subarray(0, limits.maxMessageSize);
            if (utf8Check(within).bad >= 0) return fail(1007, 'invalid UTF-8');
          }
          return fail(1009, 'inflated message too large');
        }
        if (result.reason === 'ambiguous') {
          out.push({ type: 'unknown', why: 'compressed data a receiver may accept or refuse (e.g. beyond the agreed window)' });
          return out;
        }
        return fail(1007, 'corrupt compressed data');
      }
      parts = concat(parts, result.data);
    } else {
      parts = concat(parts, payload);
    }
    if (messageOpcode === 1) {
      const check = utf8Check(parts);
      if (check.bad >= 0) return fail(1007, 'invalid UTF-8');
      if (last && check.incomplete) return fail(1007, 'UTF-8 ends inside a sequence');
    }
    if (!complete) return out;
    pos = p + length;
    if (!fin) continue;
    out.push({ type: 'message', binary: messageOpcode === 2, data: parts });
    messageOpcode = 0;
    charged = 0;
    parts = new Uint8Array(0);
  }
  return out;
}
