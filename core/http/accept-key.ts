// Sec-WebSocket-Accept (RFC 6455 §4.2.2 item 5.4): base64(SHA-1(key + GUID)).
// Called once per connection, so the common case (an ASCII key) reuses module-level scratch buffers and
// allocates only the result string.
import { BASE64_CODES, encodeBase64 } from './base64.ts';
import { SHA1_INIT, sha1, sha1Block } from './sha1.ts';

/** The GUID every server appends to the client's key (RFC 6455 §1.3). */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const GUID_LENGTH = WEBSOCKET_GUID.length; // 36
/** Largest key + GUID that fits two SHA-1 blocks with padding (128 − 1 − 8). A valid key (24 chars) needs 60. */
const FAST_MAX_INPUT = 119;

const block = new Uint8Array(128);
const state = new Int32Array(5);
const schedule = new Int32Array(80);
/** The 28 base64 characters of a 20-byte digest, as char codes. */
const digits = new Uint8Array(28);

/** Computes the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key` (RFC 6455 §4.2.2). */
export function computeAcceptKey(key: string): string {
  const keyLength = key.length;
  const total = keyLength + GUID_LENGTH;
  if (total > FAST_MAX_INPUT || !isAscii(key)) return slowAcceptKey(key);

  for (let i = 0; i < keyLength; i++) block[i] = key.charCodeAt(i);
  for (let i = 0; i < GUID_LENGTH; i++) block[keyLength + i] = WEBSOCKET_GUID.charCodeAt(i);
  block[total] = 0x80;
  const end = total < 56 ? 64 : 128;
  // Zero the rest, then the 64-bit bit length (FIPS 180-4 §5.1.1); the high word is always 0 here.
  block.fill(0, total + 1, end - 4);
  const bits = total * 8;
  block[end - 4] = bits >>> 24;
  block[end - 3] = bits >>> 16;
  block[end - 2] = bits >>> 8;
  block[end - 1] = bits;

  state.set(SHA1_INIT);
  sha1Block(state, schedule, block, 0);
  if (end === 128) sha1Block(state, schedule, block, 64);

  // base64 of the 20 digest bytes: six full 3-byte groups (18 bytes) and a 2-byte tail with one '='.
  let o = 0;
  let carry = 0; // bits not yet emitted
  let carryBits = 0;
  for (let i = 0; i < 5; i++) {
    const word = state[i]!;
    for (let shift = 24; shift >= 0; shift -= 8) {
      carry = (carry << 8) | ((word >>> shift) & 0xff);
      carryBits += 8;
      while (carryBits >= 6) {
        carryBits -= 6;
        digits[o++] = BASE64_CODES[(carry >>> carryBits) & 63]!;
      }
      carry &= (1 << carryBits) - 1;
    }
  }
  // 160 bits = 26 sextets + 4 bits left over.
  digits[o++] = BASE64_CODES[(carry << (6 - carryBits)) & 63]!;
  digits[o] = 0x3d; // '='
  return String.fromCharCode.apply(null, digits as unknown as number[]);
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

const encoder = new TextEncoder();

/** Any other key: UTF-8, as other servers hash it. A validated key (base64) never takes this path. */
function slowAcceptKey(key: string): string {
  return encodeBase64(sha1(encoder.encode(key + WEBSOCKET_GUID)));
}
