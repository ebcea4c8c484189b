import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MERGE_LIMIT, SMALL_CHUNK, WriteQueue } from './write-queue.ts';

const bytes = (n: number, fill = 1): Uint8Array => new Uint8Array(n).fill(fill);

test('merges small chunks into one buffer, in order, and counts bytes', () => {
  const q = new WriteQueue();
  q.push([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3), Uint8Array.of(4, 5, 6)]);
  assert.is(q.bytes, 6);
  const first = q.peek()!;
  assert.equal([...first], [1, 2, 3, 4, 5, 6]);
  q.consume(6);
  assert.is(q.bytes, 0);
  assert.is(q.peek(), undefined);
});

test('large chunks are written as they are; partial consumption keeps the rest', () => {
  const q = new WriteQueue();
  const big = bytes(MERGE_LIMIT + 10, 7);
  q.push([big, Uint8Array.of(9)]);
  assert.is(q.peek(), big);
  q.consume(100);
  assert.is(q.bytes, MERGE_LIMIT + 11 - 100);
  const rest = q.peek()!;
  assert.is(rest.byteLength, MERGE_LIMIT + 10 - 100);
  q.consume(rest.byteLength);
  assert.equal([...q.peek()!], [9]);
});

test('merging stops at the limit; clear drops everything', () => {
  const q = new WriteQueue();
  q.push([bytes(10), bytes(SMALL_CHUNK), bytes(MERGE_LIMIT - SMALL_CHUNK - 10), bytes(10)]);
  assert.is(q.peek()!.byteLength, MERGE_LIMIT);
  q.consume(MERGE_LIMIT);
  assert.is(q.peek()!.byteLength, 10);
  q.clear();
  assert.is(q.bytes, 0);
  assert.is(q.peek(), undefined);
});

test('a larger merge limit merges a frame header with the payload after it', () => {
  const q = new WriteQueue(4 * MERGE_LIMIT);
  const payload = bytes(MERGE_LIMIT, 5);
  q.push([Uint8Array.of(0x82, 127), payload, bytes(4 * MERGE_LIMIT, 6)]);
  const merged = q.peek()!;
  assert.is(merged.byteLength, MERGE_LIMIT + 2, 'header and payload, not the chunk past the limit');
  assert.equal([merged[0], merged[1], merged[2], merged[merged.byteLength - 1]], [0x82, 127, 5, 5]);
  q.consume(merged.byteLength);
  assert.is(q.peek()!.byteLength, 4 * MERGE_LIMIT);
  const d = new WriteQueue();
  d.push([Uint8Array.of(0x82, 127), payload]);
  assert.is(d.peek()!.byteLength, 2, 'the default limit writes the header alone');
});

test('reuseMerged: merges past the default limit share one buffer, a partly written merge is never merged into itself', () => {
  const q = new WriteQueue(4 * MERGE_LIMIT, true);
  const header = (n: number) => Uint8Array.of(0x82, n);
  q.push([header(1), bytes(MERGE_LIMIT, 1), header(2), bytes(MERGE_LIMIT, 2)]);
  const first = q.peek()!;
  assert.is(first.byteLength, 2 * MERGE_LIMIT + 4);
  q.push([header(3), bytes(MERGE_LIMIT, 3)]);
  q.consume(first.byteLength - 10); // a partial write: 10 bytes of the merge remain, in the shared buffer
  const rest = q.peek()!;
  assert.is(rest.byteLength, 10 + 2 + MERGE_LIMIT, 'the rest merged with what followed');
  assert.is.not(rest.buffer, first.buffer, 'not merged into the buffer it lies in');
  assert.equal([...rest.subarray(0, 12)], [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0x82, 3]);
  assert.is(rest[rest.byteLength - 1], 3);
  q.push([header(4), bytes(MERGE_LIMIT, 4), header(5)]);
  q.consume(rest.byteLength);
  const next = q.peek()!;
  assert.is(next.buffer, first.buffer, 'the shared buffer is reused once written');
  assert.equal([next[0], next[1], next[2], next[next.byteLength - 2], next[next.byteLength - 1]], [0x82, 4, 4, 0x82, 5]);
  q.consume(next.byteLength);
  q.push([header(6), bytes(MERGE_LIMIT, 6)]);
  assert.is.not(q.peek()!.buffer, first.buffer, 'dropped when the queue emptied');
  const small = new WriteQueue(4 * MERGE_LIMIT, true);
  small.push([header(7), bytes(SMALL_CHUNK, 7), header(8)]);
  const a = small.peek()!;
  small.push([header(9), bytes(SMALL_CHUNK, 9), header(10)]);
  small.consume(a.byteLength);
  assert.is.not(small.peek()!.buffer, a.buffer, 'merges within the default limit get their own buffer');
});

test('a long queue stays correct across many consumptions', () => {
  const q = new WriteQueue();
  for (let i = 0; i < 3000; i++) q.push([bytes(MERGE_LIMIT, i & 0xff)]);
  for (let i = 0; i < 3000; i++) {
    const b = q.peek()!;
    assert.is(b[0], i & 0xff);
    q.consume(b.byteLength);
  }
  assert.is(q.bytes, 0);
});

test('a drain request waits for bytes to leave, is answered once, and is answered at once when nothing is queued', async () => {
  const q = new WriteQueue();
  let calls = 0;
  q.requestDrain(() => calls++);
  assert.is(q.takeDrainRequest(), false, 'nothing queued: no pending request');
  await Promise.resolve();
  assert.is(calls, 1, 'answered on the next microtask');
  q.push([bytes(10, 1)]);
  q.requestDrain(() => calls++);
  q.consume(10);
  assert.is(q.takeDrainRequest(), true);
  assert.is(q.takeDrainRequest(), false, 'once per request');
  await Promise.resolve();
  assert.is(calls, 1, 'the owner answers a queued request, not the queue');
});

test.run();
