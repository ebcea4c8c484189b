/**
 * Payload masking (RFC 6455 §5.3): `transformed[i] = original[i] XOR key[i mod 4]`. The same operation
 * masks and unmasks. Applied in place, 32 bits at a time over the word-aligned middle of the range.
 */

import { WordView } from '../bytes.ts';

/**
 * Scratch used to build the rotated 32-bit mask word from its 4 bytes. Going through memory (instead of
 * shifts) makes the word match the host's byte order by construction, so no endianness check is needed.
 */
const maskBytes = new Uint8Array(4);
const maskWord = new Int32Array(maskBytes.buffer);

/**
 * Below this many bytes an unrolled byte loop beats creating an `Int32Array` view (measured on Node 20
 * and Bun 1.4: the view costs about as much as masking ~100 bytes).
 */
const WORD_PATH_MIN_BYTES = 128;

/** Word views of the buffers being unmasked (one per buffer, not one per frame). */
const words32 = new WordView();

/**
 * XORs `data[start..end)` in place with the 4-byte `maskKey`, starting at mask byte `maskOffset` (0–3).
 * A payload that arrives in several chunks is unmasked piecewise: pass `maskOffset = bytesDoneSoFar % 4`.
 * Preconditions (not checked, hot path): `0 <= start <= end <= data.length`, `maskKey.length >= 4`.
 */
export function unmask(data: Uint8Array, start: number, end: number, maskKey: Uint8Array, maskOffset: number): void {
  let i = start;
  let offset = maskOffset & 3;
  if (end - i >= WORD_PATH_MIN_BYTES) {
    // Bytes until the absolute address is 4-aligned, because an Int32Array view must start aligned.
    const head = (4 - ((data.byteOffset + i) & 3)) & 3;
    for (let k = 0; k < head; k++) {
      data[i++] ^= maskKey[offset]!;
      offset = (offset + 1) & 3;
    }
    maskBytes[0] = maskKey[offset]!;
    maskBytes[1] = maskKey[(offset + 1) & 3]!;
    maskBytes[2] = maskKey[(offset + 2) & 3]!;
    maskBytes[3] = maskKey[(offset + 3) & 3]!;
    const word = maskWord[0]!;
    const count = (end - i) >>> 2;
    const first = (data.byteOffset + i) >>> 2;
    const words = words32.over(data.buffer, data.byteOffset + i + (count << 2));
    let w = first;
    const last = first + count;
    const last8 = first + (count & ~7);
    for (; w < last8; w += 8) {
      words[w] ^= word;
      words[w + 1] ^= word;
      words[w + 2] ^= word;
      words[w + 3] ^= word;
      words[w + 4] ^= word;
      words[w + 5] ^= word;
      words[w + 6] ^= word;
      words[w + 7] ^= word;
    }
    for (; w < last; w++) words[w] ^= word;
    i += count << 2;
    // A whole number of words leaves the mask offset unchanged.
  }
  const m0 = maskKey[offset]!;
  const m1 = maskKey[(offset + 1) & 3]!;
  const m2 = maskKey[(offset + 2) & 3]!;
  const m3 = maskKey[(offset + 3) & 3]!;
  const end4 = i + ((end - i) & ~3);
  for (; i < end4; i += 4) {
    data[i] ^= m0;
    data[i + 1] ^= m1;
    data[i + 2] ^= m2;
    data[i + 3] ^= m3;
  }
  if (i < end) {
    data[i] ^= m0;
    if (++i < end) {
      data[i] ^= m1;
      if (++i < end) data[i] ^= m2;
    }
  }
}

/** Masking is the same XOR as unmasking (RFC 6455 §5.3); an alias for readability at call sites that mask. */
export const mask: typeof unmask = unmask;
