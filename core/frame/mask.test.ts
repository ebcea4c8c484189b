import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mask, unmask } from './mask.ts';
import { seededRandom as prng } from '../bytes.ts';


function naive(data: Uint8Array, start: number, end: number, key: Uint8Array, offset: number): void {
  for (let i = start; i < end; i++) data[i] ^= key[(offset + i - start) & 3]!;
}

function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

test('RFC 6455 §5.7 masked "Hello"', () => {
  const key = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
  const data = new TextEncoder().encode('Hello');
  unmask(data, 0, data.length, key, 0);
  assert.equal([...data], [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
  unmask(data, 0, data.length, key, 0);
  assert.is(new TextDecoder().decode(data), 'Hello');
});

test('mask is the same operation as unmask', () => {
  assert.is(mask, unmask);
});

test('0-length range is a no-op', () => {
  const data = new Uint8Array([1, 2, 3]);
  unmask(data, 1, 1, new Uint8Array([9, 9, 9, 9]), 2);
  assert.equal([...data], [1, 2, 3]);
  unmask(new Uint8Array(0), 0, 0, new Uint8Array([9, 9, 9, 9]), 0);
});

test('matches a byte loop for random byteOffsets, ranges and mask offsets', () => {
  const rand = prng(12345);
  const backing = new ArrayBuffer(4096 + 16);
  for (let iter = 0; iter < 3000; iter++) {
    const byteOffset = (rand() * 16) | 0;
    const length = iter < 1500 ? (rand() * 300) | 0 : (rand() * 4096) | 0;
    const view = new Uint8Array(backing, byteOffset, length);
    const fill = randomBytes(rand, length);
    view.set(fill);
    const start = (rand() * (length + 1)) | 0;
    const end = start + ((rand() * (length - start + 1)) | 0);
    const key = randomBytes(rand, 4);
    const offset = (rand() * 4) | 0;
    const expected = fill.slice();
    naive(expected, start, end, key, offset);
    unmask(view, start, end, key, offset);
    assert.ok(equalBytes(view, expected), `iter ${iter} off=${byteOffset} len=${length} [${start},${end}) m=${offset}`);
  }
});

test('bytes outside [start, end) and outside the view are untouched', () => {
  const backing = new Uint8Array(600).fill(0xaa);
  const view = backing.subarray(3, 597);
  unmask(view, 5, 590, new Uint8Array([1, 2, 3, 4]), 1);
  for (let i = 0; i < 8; i++) assert.is(backing[i], 0xaa);
  for (let i = 593; i < 600; i++) assert.is(backing[i], 0xaa);
});

test('piecewise unmasking with offset = done % 4 equals one call (every split point)', () => {
  const rand = prng(7);
  const payload = randomBytes(rand, 300);
  const key = randomBytes(rand, 4);
  const whole = payload.slice();
  unmask(whole, 0, whole.length, key, 0);
  for (let cut = 0; cut <= payload.length; cut++) {
    const piece = payload.slice();
    unmask(piece, 0, cut, key, 0);
    unmask(piece, cut, piece.length, key, cut % 4);
    assert.ok(equalBytes(piece, whole), `cut at ${cut}`);
  }
});

test('1 MiB at an odd byteOffset, in one call and in uneven chunks', () => {
  const rand = prng(99);
  const size = 1 << 20;
  const backing = new Uint8Array(size + 8);
  const view = backing.subarray(3, 3 + size);
  view.set(randomBytes(rand, size));
  const key = new Uint8Array([0xde, 0xad, 0xbe, 0xef]);
  const expected = view.slice();
  naive(expected, 0, size, key, 0);
  const once = view.slice();
  unmask(once, 0, size, key, 0);
  assert.ok(equalBytes(once, expected), 'one call');
  let done = 0;
  while (done < size) {
    const n = Math.min(size - done, 1 + ((rand() * 70000) | 0));
    unmask(view, done, done + n, key, done % 4);
    done += n;
  }
  assert.ok(equalBytes(view, expected), 'chunked');
});

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

test('views of one buffer, then of others, then of a buffer resized in between: the word view is never stale', () => {
  const key = new Uint8Array([0x91, 0x02, 0xe3, 0x44]);
  const reference = (bytes: Uint8Array, offset: number): Uint8Array => {
    const out = bytes.slice();
    for (let i = 0; i < out.length; i++) out[i]! ^= key[(offset + i) & 3]!;
    return out;
  };
  const shared = new Uint8Array(4096).map((_, i) => (i * 31) & 0xff);
  const other = new Uint8Array(300).map((_, i) => (i * 7) & 0xff);
  const Resizable = ArrayBuffer as unknown as new (n: number, o: { maxByteLength: number }) => ArrayBuffer & { resize(n: number): void };
  const growing = new Resizable(256, { maxByteLength: 8192 });
  const cases: [Uint8Array, number, number, () => void][] = [
    [shared, 1, 700, () => {}],
    [shared, 1000, 3000, () => {}],
    [other, 3, 290, () => {}],
    [shared, 3001, 4096, () => {}],
    [new Uint8Array(growing), 0, 256, () => {}],
    [new Uint8Array(growing), 5, 6000, () => growing.resize(8192)],
    [new Uint8Array(growing), 130, 200, () => growing.resize(200)],
  ];
  for (const [view, start, end, before] of cases) {
    before();
    const data = new Uint8Array(view.buffer, 0, Math.min(end, view.buffer.byteLength));
    const expected = reference(data.subarray(start), 2);
    unmask(data, start, data.length, key, 2);
    assert.ok(equalBytes(data.subarray(start), expected), `${data.buffer.byteLength}-byte buffer, [${start}, ${data.length})`);
  }
});

test.run();
