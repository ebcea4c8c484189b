import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MessageBuffer } from './message-buffer.ts';

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

test.run();
