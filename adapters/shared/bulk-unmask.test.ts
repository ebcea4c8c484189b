import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unmask } from '../../core/frame/mask.ts';
import { seededRandom } from '../../core/bytes.ts';
import type { BulkUnmask } from '../../core/accelerators.ts';
import { wasmRunUnmask, wasmUnmask } from './wasm-unmask.ts';
import { nativeUnmask } from './native-unmask.ts';

// The bulk unmaskers adapters hand the core: WebAssembly SIMD, and bufferutil's native code (installed here as a
// dev dependency, as it is for users through optionalDependencies), alone and handing small runs to WebAssembly.
const bulk = wasmUnmask(0);
const native = nativeUnmask(0);
const unmaskers: [string, BulkUnmask | undefined][] = [
  ['WebAssembly', bulk],
  ['native', native],
  ['native from 1 KiB, WebAssembly below', nativeUnmask(1024, bulk)],
];

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

test('WebAssembly SIMD is available on this runtime (Node, Bun and Deno all have it)', () => {
  assert.type(bulk, 'function');
});

test("bufferutil's native binary loads on this runtime (Node-API: Node, Bun, and Deno with --allow-ffi)", () => {
  assert.type(native, 'function');
});

for (const [name, run] of unmaskers) {
  test(`${name}: RFC 6455 §5.7 masked "Hello", in place`, () => {
    const data = new TextEncoder().encode('Hello');
    const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
    run!(data, 0, data.length, key, 0, data, 0, false);
    assert.equal([...data], [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  });

  test(`${name}: in place and into another buffer, the same bytes as the core loop, for every size, offset and key offset`, () => {
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
        run!(inPlace, start, start + n, key, keyOffset, inPlace, start, checkAscii);
        assert.equal(inPlace, expected, `in place, ${n} bytes, checkAscii ${checkAscii}`);

        const dstStart = (rand() * 5) | 0;
        const dst = new Uint8Array(dstStart + n + 3).fill(0xee);
        run!(source.slice(), start, start + n, key, keyOffset, dst, dstStart, checkAscii);
        assert.equal(dst.subarray(dstStart, dstStart + n), expected.subarray(start, start + n), `into dst, ${n} bytes`);
        assert.ok(dst.subarray(0, dstStart).every((b) => b === 0xee) && dst.subarray(dstStart + n).every((b) => b === 0xee), 'nothing outside the range written');
      }
    }
  });
}

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

test('native: a range outside its buffer throws before native code runs, and writes nothing', () => {
  const key = new Uint8Array([1, 2, 3, 4]);
  const src = new Uint8Array(64).fill(7);
  const dst = new Uint8Array(32);
  assert.throws(() => native!(src, 0, 64, key, 0, dst, 0, false), RangeError);
  assert.throws(() => native!(src, 0, 16, key, 0, dst, 20, false), RangeError);
  assert.throws(() => native!(src, 60, 70, key, 0, src, 60, false), RangeError);
  assert.throws(() => native!(src, -1, 8, key, 0, src, -1, false), RangeError);
  assert.ok(dst.every((b) => b === 0) && src.every((b) => b === 7));
});

test('native from 1 KiB: WebAssembly below reports ASCII, native above does not look', () => {
  const run = nativeUnmask(1024, bulk)!;
  const key = new Uint8Array([0x11, 0x22, 0x33, 0x44]);
  for (const n of [300, 1023, 1024, 4000]) {
    const data = new Uint8Array(n).fill(0x41);
    unmask(data, 0, n, key, 0);
    assert.is(run(data, 0, n, key, 0, data, 0, true), n < 1024, `${n} bytes`);
    assert.ok(data.every((b) => b === 0x41));
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

test('a run of frames unmasked in one WebAssembly call: every payload with its own key, nothing else touched', () => {
  const runUnmask = wasmRunUnmask()!;
  const rand = seededRandom(31);
  for (let round = 0; round < 300; round++) {
    const count = 1 + ((rand() * 60) | 0);
    const payloads = new Int32Array(count);
    const lengths = new Int32Array(count);
    const masks = new Int32Array(count);
    const before = 3 + ((rand() * 5) | 0);
    let at = before;
    for (let i = 0; i < count; i++) {
      at += (rand() * 14) | 0; // a header's worth of bytes that must stay as they are
      payloads[i] = at;
      lengths[i] = rand() < 0.1 ? (rand() * 3000) | 0 : (rand() * 140) | 0;
      masks[i] = (rand() * 2 ** 32) | 0;
      at += lengths[i]!;
    }
    const buf = randomBytes(rand, at + 9);
    const expected = buf.slice();
    for (let i = 0; i < count; i++) {
      const m = masks[i]!;
      const key = Uint8Array.of(m & 0xff, (m >>> 8) & 0xff, (m >>> 16) & 0xff, m >>> 24);
      unmask(expected, payloads[i]!, payloads[i]! + lengths[i]!, key, 0);
    }
    const start = before;
    if (at - start > 65536) {
      const copy = buf.slice();
      assert.is(runUnmask(copy, start, at, payloads, lengths, masks, count), false, 'over 64 KiB: declined');
      assert.equal(copy, buf, 'declined: nothing changed');
      continue;
    }
    assert.is(runUnmask(buf, start, at, payloads, lengths, masks, count), true);
    assert.equal(buf, expected, `round ${round}: ${count} payloads`);
  }
});

test('a run with a payload outside its range is refused before anything is unmasked', () => {
  const runUnmask = wasmRunUnmask()!;
  const buf = new Uint8Array(100).fill(9);
  assert.throws(() => runUnmask(buf, 10, 50, Int32Array.of(12, 45), Int32Array.of(5, 10), Int32Array.of(1, 2), 2), RangeError);
  assert.throws(() => runUnmask(buf, 10, 120, Int32Array.of(12), Int32Array.of(5), Int32Array.of(1), 1), RangeError);
  assert.ok(buf.every((b) => b === 9));
});

test.run();
