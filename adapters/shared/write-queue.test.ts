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
