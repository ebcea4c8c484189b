import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unmask } from '../../core/frame/mask.ts';
import { seededRandom } from '../../core/bytes.ts';
import { wasmUnmask } from './wasm-unmask.ts';

const bulk = wasmUnmask(0);

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

test('WebAssembly SIMD is available on this runtime (Node, Bun and Deno all have it)', () => {
  assert.type(bulk, 'function');
});

test('RFC 6455 §5.7 masked "Hello", in place', () => {
  const data = new TextEncoder().encode('Hello');
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  bulk!(data, 0, data.length, key, 0, data, 0, false);
  assert.equal([...data], [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
});

test('in place and into another buffer: the same bytes as the core loop, for every size, offset and key offset', () => {
  const rand = seededRandom(99);
  // Sizes around the 64-byte step and the 64 KiB block, plus random ones up to three blocks.
  const sizes = [0, 1, 3, 15, 16, 17, 63, 64, 65, 255, 1000, 65535, 65536, 65537, 131072 + 5];
  for (let i = 0; i < 40; i++) sizes.push((rand() * 200_000) | 0);
  for (const n of sizes) {
    const key = randomBytes(rand, 4);
    const keyOffset = (rand() * 4) | 0;
    const start = (rand() * 9) | 0;
    const source = randomBytes(rand, start + n + 7);
    const expected = source.slice();
    unmask(expected, start, start + n, key, keyOffset);

    for (const checkAscii of [false, true]) {
      const inPlace = source.slice();
      bulk!(inPlace, start, start + n, key, keyOffset, inPlace, start, checkAscii);
      assert.equal(inPlace, expected, `in place, ${n} bytes, checkAscii ${checkAscii}`);

      const dstStart = (rand() * 5) | 0;
      const dst = new Uint8Array(dstStart + n + 3).fill(0xee);
      bulk!(source.slice(), start, start + n, key, keyOffset, dst, dstStart, checkAscii);
      assert.equal(dst.subarray(dstStart, dstStart + n), expected.subarray(start, start + n), `into dst, ${n} bytes`);
      assert.ok(dst.subarray(0, dstStart).every((b) => b === 0xee) && dst.subarray(dstStart + n).every((b) => b === 0xee), 'nothing outside the range written');
    }
  }
});

test('reports ASCII exactly: true only when every unmasked byte is below 0x80, whatever the scratch memory holds', () => {
  const rand = seededRandom(5);
  const key = new Uint8Array([0x12, 0x9a, 0x7f, 0x80]);
  for (let i = 0; i < 300; i++) {
    const n = i < 100 ? i + 1 : (rand() * 140_000) | 0 || 1;
    // Leave non-ASCII bytes in the module's scratch memory first: they must not count.
    const junk = new Uint8Array(65536).fill(0xff);
    bulk!(junk, 0, junk.length, new Uint8Array(4), 0, junk, 0, true);
    const plain = new Uint8Array(n).map(() => (rand() * 128) | 0);
    const masked = plain.slice();
    unmask(masked, 0, n, key, 1);
    const out = new Uint8Array(n);
    assert.is(bulk!(masked.slice(), 0, n, key, 1, out, 0, true), true, `${n} ASCII bytes`);
    assert.equal(out, plain);
    assert.is(bulk!(masked.slice(), 0, n, key, 1, out, 0, false), false, 'not asked: not checked');
    // One byte ≥ 0x80 anywhere (first, last, inside the 1–15-byte tail, or random) makes it false.
    for (const at of [0, n - 1, n - 1 - ((rand() * Math.min(n, 15)) | 0), (rand() * n) | 0]) {
      const p = plain.slice();
      p[at] = 0x80 | ((rand() * 128) | 0);
      const m = p.slice();
      unmask(m, 0, n, key, 1);
      assert.is(bulk!(m, 0, n, key, 1, m, 0, true), false, `${n} bytes, non-ASCII at ${at}`);
      assert.equal(m, p);
    }
  }
});

test('below its threshold it uses the core loop, with the same result', () => {
  const small = wasmUnmask(1024)!;
  const rand = seededRandom(7);
  for (const n of [0, 5, 100, 1023, 1024, 5000]) {
    const key = randomBytes(rand, 4);
    const source = randomBytes(rand, n + 2);
    const expected = source.slice();
    unmask(expected, 1, n + 1, key, 3);
    const dst = new Uint8Array(n);
    small(source.slice(), 1, n + 1, key, 3, dst, 0, true);
    assert.equal(dst, expected.subarray(1, n + 1));
    const inPlace = source.slice();
    const ascii = small(inPlace, 1, n + 1, key, 3, inPlace, 1, true);
    assert.equal(inPlace, expected);
    if (n < 1024) assert.is(ascii, false, 'the JavaScript path does not look for ASCII');
  }
});

test.run();
