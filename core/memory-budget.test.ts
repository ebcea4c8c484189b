import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MemoryBudget } from './memory-budget.ts';
import { MessageBuffer } from './frame/message-buffer.ts';
import type { ConnectionEvent } from './events.ts';
import { clientFrame, echo, harness, misuseCode, splitResponse, upgradeRequest } from './testing.ts';

const errorOf = (events: ConnectionEvent[]) => events.find((e) => e.type === 'error') as Extract<ConnectionEvent, { type: 'error' }> | undefined;
const messagesOf = (events: ConnectionEvent[]) => events.filter((e) => e.type === 'message') as Extract<ConnectionEvent, { type: 'message' }>[];

function open(budget: MemoryBudget, options: Parameters<typeof harness>[0] = {}) {
  const h = harness({ messageBudget: budget, ...options }, echo);
  h.feed(upgradeRequest());
  return h;
}

test('MessageBuffer takes the bytes it holds from the budget (not the room reserved) and gives them back on take and clear', () => {
  const budget = new MemoryBudget(10_000);
  const m = new MessageBuffer(undefined, undefined, Infinity, budget);
  assert.ok(m.reserve(4000, true));
  assert.is(budget.used, 0, 'a declared length alone costs nothing');
  assert.ok(m.append(new Uint8Array(4000), 0, 4000));
  assert.is(budget.used, 4000);
  assert.is(m.take().length, 4000);
  assert.is(budget.used, 0);
  assert.ok(m.append(new Uint8Array(3000), 0, 3000));
  assert.is(budget.used, 3000);
  m.clear();
  assert.is(budget.used, 0);
});

test('MessageBuffer refused by the budget: nothing changes, overBudget tells why', () => {
  const budget = new MemoryBudget(5000);
  const other = new MessageBuffer(undefined, undefined, Infinity, budget);
  assert.ok(other.append(new Uint8Array(3000), 0, 3000));
  const m = new MessageBuffer(undefined, undefined, Infinity, budget);
  assert.ok(m.append(new Uint8Array(1000), 0, 1000));
  const used = budget.used;
  assert.is(m.extend(5000), -1);
  assert.ok(m.overBudget);
  assert.is(m.size, 1000);
  assert.is(budget.used, used);
});

test('a budget must be a positive number of bytes', () => {
  assert.is(misuseCode(() => new MemoryBudget(0)), 'INVALID_OPTION');
  assert.is(misuseCode(() => new MemoryBudget(Number.NaN)), 'INVALID_OPTION');
  assert.is(new MemoryBudget(Infinity).acquire(2 ** 40), true);
});

test('connections sharing a budget: the one that finds it spent closes with 1013; the others go on', () => {
  const budget = new MemoryBudget(75_000);
  const a = open(budget);
  const b = open(budget);
  const frame = clientFrame(2, new Uint8Array(70_000).fill(7));
  a.feed(frame.subarray(0, 40_000)); // a holds a partial message: its bytes come from the budget
  assert.ok(budget.used > 39_000 && budget.used < 40_000);
  b.feed(frame.subarray(0, 40_000));
  const error = errorOf(b.events);
  assert.is(error?.code, 'MEMORY_BUDGET');
  assert.is(error?.closeCode, 1013);
  const close = splitResponse(b.output()).frames.find((f) => f.opcode === 8);
  assert.is(close && (close.payload[0]! << 8) | close.payload[1]!, 1013);
  assert.is(b.conn.state, 'closed');
  a.feed(frame.subarray(40_000));
  assert.is(messagesOf(a.events).length, 1);
  assert.is(messagesOf(a.events)[0]!.data.length, 70_000);
  assert.is(errorOf(a.events), undefined);
  assert.is(budget.used, 0, 'a delivered message no longer counts');
});

test('a frame header declaring 16 MiB, and one byte of it, cost one byte of the budget', () => {
  const budget = new MemoryBudget(1 << 20);
  const h = open(budget, { limits: { maxMessageSize: 16 << 20, maxFrameSize: 16 << 20 } });
  const header = new Uint8Array([0x82, 0xff, 0, 0, 0, 0, 0x01, 0, 0, 0, 1, 2, 3, 4]); // binary, FIN, 16 MiB, masked
  h.feed(new Uint8Array([...header, 0x55]));
  assert.is(errorOf(h.events), undefined);
  assert.is(budget.used, 1);
  h.conn.end();
  assert.is(budget.used, 0);
});

test('a connection that ends, fails or closes with a partial message gives its bytes back', () => {
  const budget = new MemoryBudget(1 << 20);
  const frame = clientFrame(2, new Uint8Array(50_000));
  const ended = open(budget);
  ended.feed(frame.subarray(0, 20_000));
  assert.ok(budget.used > 0);
  ended.conn.end();
  assert.is(budget.used, 0, 'transport ended');
  const bad = open(budget);
  const first = clientFrame(2, new Uint8Array(30_000), { fin: false });
  bad.feed(first.subarray(0, 20_000));
  assert.ok(budget.used > 0);
  bad.feed(first.subarray(20_000));
  bad.feed(clientFrame(1, 'x')); // a new message inside a fragmented one: 1002
  assert.is(errorOf(bad.events)?.closeCode, 1002);
  assert.is(budget.used, 0, 'protocol failure');
  const closing = open(budget);
  closing.feed(frame.subarray(0, 20_000));
  closing.conn.close(1001, 'bye');
  closing.feed(frame.subarray(20_000)); // the rest arrives after our close: discarded, and given back
  closing.feed(clientFrame(8, new Uint8Array([0x03, 0xe9])));
  assert.is(closing.conn.state, 'closed');
  assert.is(budget.used, 0, 'close handshake');
});

test('compressed messages: the inflated bytes draw from the budget (a small wire size cannot pin a large buffer)', () => {
  const budget = new MemoryBudget(64 * 1024);
  const h = harness({ messageBudget: budget, deflate: {} }, echo);
  h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
  assert.match(new TextDecoder().decode(h.output()), 'permessage-deflate');
  // Raw DEFLATE of 1 MiB of zeros without the final block: the message stays incomplete (RSV1, no FIN).
  const zeros = deflateZeros(1 << 20);
  h.feed(clientFrame(2, zeros, { fin: false, rsv: 4 }));
  const error = errorOf(h.events);
  assert.is(error?.code, 'MEMORY_BUDGET');
  assert.is(budget.used, 0);
});

/** Raw DEFLATE of `n` zero bytes in one fixed-Huffman block that is not the last: literal 0, then copies of 258 at distance 1. */
function deflateZeros(n: number): Uint8Array {
  const bits: number[] = [];
  const put = (value: number, count: number) => {
    for (let i = 0; i < count; i++) bits.push((value >> i) & 1);
  };
  const putHuffman = (code: number, count: number) => {
    for (let i = count - 1; i >= 0; i--) bits.push((code >> i) & 1);
  };
  put(0, 1); // BFINAL 0
  put(1, 2); // BTYPE 01: fixed Huffman
  putHuffman(0x30, 8); // literal 0
  let left = n - 1;
  while (left >= 258) {
    putHuffman(0b11000101, 8); // length code 285: 258
    putHuffman(0, 5); // distance code 0: 1
    left -= 258;
  }
  for (; left > 0; left--) putHuffman(0x30, 8);
  putHuffman(0, 7); // end of block (256)
  const out = new Uint8Array(Math.ceil(bits.length / 8));
  for (let i = 0; i < bits.length; i++) out[i >> 3]! |= bits[i]! << (i & 7);
  return out;
}

test.run();
