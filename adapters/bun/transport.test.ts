// BunTransport over a fake socket: merging, partial writes, drain, close. Runs on every runtime (no Bun API is used).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'bun';
import type { TransportSink } from '../shared/transport.ts';
import { MERGE_LIMIT, SMALL_CHUNK } from '../shared/write-queue.ts';
import { BunTransport } from './transport.ts';

/** A socket that takes up to `room` bytes per write (Infinity: all), recording copies of what it took. */
class FakeSocket {
  room = Infinity;
  closed = false;
  ended = 0;
  terminated = 0;
  readonly taken: Uint8Array[] = [];
  /** The objects passed to write, to tell copies from originals. */
  readonly passed: Uint8Array[] = [];
  data: unknown;
  remoteAddress = '127.0.0.1';
  write(buffer: Uint8Array, offset = 0, length = buffer.byteLength - offset): number {
    if (this.closed) return -1;
    this.passed.push(buffer);
    const n = Math.min(length, this.room);
    if (n > 0) this.taken.push(buffer.slice(offset, offset + n));
    if (this.room !== Infinity) this.room -= n;
    return n;
  }
  end(): void {
    this.ended++;
  }
  terminate(): void {
    this.terminated++;
  }
  pause(): void {}
  resume(): void {}
  /** Everything taken, as one array. */
  bytes(): number[] {
    return this.taken.flatMap((b) => [...b]);
  }
}

function setup(): { socket: FakeSocket; transport: BunTransport; events: string[] } {
  const socket = new FakeSocket();
  const transport = new BunTransport(socket as unknown as Socket<BunTransport | undefined>);
  const events: string[] = [];
  const sink: TransportSink = {
    onData: () => {
      events.push('data');
      return true;
    },
    onEnd: () => events.push('end'),
    onWritable: () => events.push('writable'),
    onClosed: () => events.push('closed'),
  };
  transport.sink = sink;
  return { socket, transport, events };
}

const tick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
const seq = (from: number, n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (from + i) & 255);

test('the small chunks of one tick leave in one write, in order', async () => {
  const { socket, transport } = setup();
  transport.write([seq(0, 2), seq(2, 16)]);
  transport.write([new Uint8Array(0), seq(18, 5)]);
  assert.is(transport.bufferedAmount, 23);
  assert.is(socket.taken.length, 0); // nothing before the flush
  await tick();
  assert.is(socket.taken.length, 1);
  assert.equal(socket.bytes(), [...seq(0, 23)]);
  assert.is(transport.bufferedAmount, 0);
});

test('a large chunk is written as it is, not copied', async () => {
  const { socket, transport } = setup();
  const big = seq(0, SMALL_CHUNK + 100);
  transport.write([big]);
  await tick();
  assert.is(socket.passed.length, 1);
  assert.ok(socket.passed[0] === big);
  assert.equal(socket.bytes(), [...big]);
});

test('a frame header and a 64 KiB payload leave in one write', async () => {
  const { socket, transport } = setup();
  const header = seq(0, 4);
  const payload = seq(4, MERGE_LIMIT);
  transport.write([header, payload]);
  await tick();
  assert.is(socket.taken.length, 1);
  assert.equal(socket.bytes(), [...seq(0, MERGE_LIMIT + 4)]);
});

test('runs longer than the merge limit are split, bytes in order', async () => {
  const { socket, transport } = setup();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; total < MERGE_LIMIT * 2 + 500; i++) {
    const chunk = seq(total, 1000);
    chunks.push(chunk);
    total += chunk.byteLength;
  }
  transport.write(chunks);
  await tick();
  assert.ok(socket.taken.length >= 3);
  assert.equal(socket.bytes(), [...seq(0, total)]);
});

test('what the kernel did not take is kept (copied out of the shared buffer) and goes first on drain', async () => {
  const a = setup();
  const b = setup();
  a.socket.room = 5;
  a.transport.write([seq(0, 10), seq(10, 10)]);
  a.transport.requestDrain();
  await tick();
  assert.equal(a.socket.bytes(), [...seq(0, 5)]);
  assert.is(a.transport.bufferedAmount, 15);
  assert.equal(a.events, ['writable']); // some bytes left: the one requested call
  // Another socket's flush reuses the staging buffer meanwhile.
  b.transport.write([seq(200, 2), seq(202, 28)]);
  await tick();
  assert.equal(b.socket.bytes(), [...seq(200, 30)]);
  // Later writes queue behind the kept bytes.
  a.transport.write([seq(20, 3)]);
  await tick();
  assert.equal(a.socket.bytes(), [...seq(0, 5)]); // still full
  a.socket.room = Infinity;
  a.transport.onDrain();
  assert.equal(a.socket.bytes(), [...seq(0, 23)]);
  assert.is(a.transport.bufferedAmount, 0);
  assert.equal(a.events, ['writable']); // not again without a new request
});

test('requestDrain with nothing queued reports writable on the next microtask', async () => {
  const { transport, events } = setup();
  transport.requestDrain();
  assert.equal(events, []);
  await Promise.resolve();
  assert.equal(events, ['writable']);
});

test('a closed socket (write returns -1) drops the queue without throwing', async () => {
  const { socket, transport } = setup();
  socket.closed = true;
  transport.write([seq(0, 4), seq(4, 4)]);
  await tick();
  assert.is(socket.taken.length, 0);
  assert.is(transport.bufferedAmount, 0);
});

test('close() ends the socket once the queue is out; writes after close are discarded', async () => {
  const { socket, transport } = setup();
  socket.room = 3;
  transport.write([seq(0, 6)]);
  transport.close();
  transport.write([seq(100, 2)]);
  await tick();
  assert.is(socket.ended, 0);
  socket.room = Infinity;
  transport.onDrain();
  assert.equal(socket.bytes(), [...seq(0, 6)]);
  assert.is(socket.ended, 1);
});

test('destroy() terminates and discards; onClose reports closed once', async () => {
  const { socket, transport, events } = setup();
  transport.write([seq(0, 6)]);
  transport.destroy();
  await tick();
  assert.is(socket.terminated, 1);
  assert.is(socket.taken.length, 0);
  transport.onClose();
  transport.onClose();
  assert.equal(events, ['closed']);
});

test('flushNow writes the tick at once; a close that follows sends the FIN once, not again at the flush of the tick', async () => {
  const { socket, transport } = setup();
  transport.write([seq(0, 10)]);
  transport.flushNow();
  assert.equal(socket.bytes(), [...seq(0, 10)]);
  assert.is(transport.bufferedAmount, 0);
  transport.close();
  assert.is(socket.ended, 1);
  await tick(); // the flush scheduled by the write finds nothing, and must not end the socket again
  assert.is(socket.ended, 1);
  assert.equal(socket.bytes(), [...seq(0, 10)]);
});

test.run();
