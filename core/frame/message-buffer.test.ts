import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageBuffer, RESERVE_AHEAD_BYTES } from './message-buffer.ts';

function counting(): { alloc: (n: number) => Uint8Array; sizes: number[] } {
  const sizes: number[] = [];
  // Stands in for an uninitialized allocator: garbage content, so a byte left unwritten would show.
  return { sizes, alloc: (n) => (sizes.push(n), new Uint8Array(n).fill(0xa5)) };
}

test('a final reservation of a large message uses the uninitialized allocator, exactly sized, and every byte is written', () => {
  const { alloc, sizes } = counting();
  const m = new MessageBuffer(alloc);
  m.reserve(20000, true);
  for (let i = 0; i < 20000; i += 5000) m.append(new Uint8Array(5000).fill(i / 5000 + 1), 0, 5000);
  const out = m.take();
  assert.equal(sizes, [20000]);
  assert.is(out.length, 20000);
  assert.is(out.buffer.byteLength, 20000, 'the view owns its whole buffer');
  assert.ok(out.every((b, i) => b === Math.floor(i / 5000) + 1));
});

test('non-final or small reservations are zero-filled (a growing buffer may hand out its tail)', () => {
  const { alloc, sizes } = counting();
  const m = new MessageBuffer(alloc);
  m.reserve(20000, false);
  m.append(new Uint8Array(10), 0, 10);
  m.reserve(100);
  assert.is(m.take().length, 10);
  m.reserve(100, true);
  m.append(new Uint8Array(100).fill(1), 0, 100);
  assert.is(m.take().length, 100);
  assert.equal(sizes, []);
});

test('a message of unknown size grows by doubling, but never past the size limit', () => {
  const limit = 40_000;
  const m = new MessageBuffer(undefined, undefined, limit);
  const capacities: number[] = [];
  for (let held = 0; held < 33_000; held += 1000) {
    m.append(new Uint8Array(1000).fill(held / 1000), 0, 1000);
    if (capacities[capacities.length - 1] !== m.bytes.length) capacities.push(m.bytes.length);
  }
  assert.equal(capacities, [1000, 2000, 4000, 8000, 16000, 32000, limit]);
  const out = m.take();
  assert.is(out.length, 33_000);
  assert.is(out.buffer.byteLength, limit);
});

test('extend hands out the place of the next bytes and grows the buffer', () => {
  const m = new MessageBuffer();
  m.reserve(4);
  assert.is(m.extend(3), 0);
  m.bytes.set([1, 2, 3], 0);
  const at = m.extend(10);
  assert.is(at, 3);
  m.bytes.set([4, 5, 6, 7, 8, 9, 10, 11, 12, 13], at);
  assert.is(m.size, 13);
  assert.equal([...m.take()], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  assert.is(m.size, 0);
});

test('a declared size beyond the look-ahead is not reserved at once: the buffer doubles as bytes arrive, ending exact', () => {
  const { alloc, sizes } = counting();
  const m = new MessageBuffer(alloc);
  const total = 5 * RESERVE_AHEAD_BYTES + 7;
  m.reserve(total, true);
  assert.ok(m.bytes.length <= RESERVE_AHEAD_BYTES, `reserved ${m.bytes.length} for one declared frame`);
  const lengths: number[] = [];
  const piece = 65536;
  for (let at = 0; at < total; at += piece) {
    const n = Math.min(piece, total - at);
    m.append(new Uint8Array(n).fill((at / piece) & 0xff), 0, n);
    if (lengths[lengths.length - 1] !== m.bytes.length) lengths.push(m.bytes.length);
    assert.ok(m.bytes.length <= Math.max(RESERVE_AHEAD_BYTES, 2 * m.size), 'held memory stays within twice what arrived');
  }
  assert.equal(lengths, [RESERVE_AHEAD_BYTES, 2 * RESERVE_AHEAD_BYTES, 4 * RESERVE_AHEAD_BYTES, total]);
  assert.equal(sizes, [total], 'only the exact final buffer is uninitialized');
  const out = m.take();
  assert.is(out.length, total);
  assert.is(out.buffer.byteLength, total);
  assert.ok(out.every((b, i) => b === (Math.floor(i / piece) & 0xff)), 'every byte as written, none left from the allocator');
});

test('an allocation the runtime refuses is reported, not thrown, and leaves the buffer as it was', () => {
  let refuse = false;
  const m = new MessageBuffer((n) => {
    if (refuse) throw new RangeError('Array buffer allocation failed');
    return new Uint8Array(n);
  }, 0);
  m.reserve(8, true);
  assert.ok(m.append(new Uint8Array([1, 2, 3, 4]), 0, 4));
  refuse = true;
  const big = new MessageBuffer(() => {
    throw new RangeError('Array buffer allocation failed');
  }, 0);
  assert.not.ok(big.reserve(100, true));
  assert.is(big.extend(100), -1);
  assert.not.ok(big.append(new Uint8Array(100), 0, 100));
  assert.is(big.size, 0);
  assert.ok(m.append(new Uint8Array([5, 6, 7, 8]), 0, 4), 'room reserved before the refusal is still used');
  assert.equal([...m.take()], [1, 2, 3, 4, 5, 6, 7, 8]);
});

test.run();
