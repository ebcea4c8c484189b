// SHA-1 (FIPS 180-4 §6.1) in pure TypeScript: synchronous, no WebCrypto (async) and no node:crypto,
// because the core must be pure ECMAScript. Used only for the handshake's accept key (RFC 6455 §4.2.2),
// where SHA-1's collision weakness is irrelevant.

/** Initial hash value H(0) (FIPS 180-4 §5.3.1). */
export const SHA1_INIT: readonly number[] = [0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0];

/**
 * Processes one 64-byte block at `block[offset]` into `state` (five 32-bit words).
 * `w` is an 80-word scratch schedule supplied by the caller so repeated calls allocate nothing.
 */
export function sha1Block(state: Int32Array, w: Int32Array, block: Uint8Array, offset: number): void {
  for (let t = 0; t < 16; t++) {
    const p = offset + t * 4;
    w[t] = (block[p]! << 24) | (block[p + 1]! << 16) | (block[p + 2]! << 8) | block[p + 3]!;
  }
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!;
    w[t] = (x << 1) | (x >>> 31);
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  for (let t = 0; t < 80; t++) {
    let f: number;
    let k: number;
    if (t < 20) {
      f = (b & c) | (~b & d);
      k = 0x5a827999;
    } else if (t < 40) {
      f = b ^ c ^ d;
      k = 0x6ed9eba1;
    } else if (t < 60) {
      f = (b & c) | (b & d) | (c & d);
      k = 0x8f1bbcdc | 0;
    } else {
      f = b ^ c ^ d;
      k = 0xca62c1d6 | 0;
    }
    const temp = (((a << 5) | (a >>> 27)) + f + e + k + w[t]!) | 0;
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

/** The SHA-1 digest (20 bytes) of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  const state = Int32Array.from(SHA1_INIT);
  const w = new Int32Array(80);
  const n = data.length;
  const fullEnd = n - (n % 64);
  for (let off = 0; off < fullEnd; off += 64) sha1Block(state, w, data, off);
  // Padding (FIPS 180-4 §5.1.1): 0x80, zeros, 64-bit big-endian bit length; one or two final blocks.
  const rest = n - fullEnd;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(data.subarray(fullEnd));
  tail[rest] = 0x80;
  const bitsHigh = Math.floor(n / 0x20000000); // n * 8 / 2^32, exact for any array length
  const bitsLow = (n << 3) >>> 0;
  const end = tail.length;
  tail[end - 8] = bitsHigh >>> 24;
  tail[end - 7] = bitsHigh >>> 16;
  tail[end - 6] = bitsHigh >>> 8;
  tail[end - 5] = bitsHigh;
  tail[end - 4] = bitsLow >>> 24;
  tail[end - 3] = bitsLow >>> 16;
  tail[end - 2] = bitsLow >>> 8;
  tail[end - 1] = bitsLow;
  for (let off = 0; off < end; off += 64) sha1Block(state, w, tail, off);
  const out = new Uint8Array(20);
  for (let i = 0; i < 5; i++) {
    const v = state[i]!;
    out[i * 4] = v >>> 24;
    out[i * 4 + 1] = v >>> 16;
    out[i * 4 + 2] = v >>> 8;
    out[i * 4 + 3] = v;
  }
  return out;
}
