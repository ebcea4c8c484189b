// `retainsInput`: after receive(chunk) returns false, nothing the core kept or handed out may still refer to the
// chunk, so a transport may reuse its memory. Checked by doing just that: every chunk the core says it let go of
// is overwritten with garbage at once, and every message, part and event must still be what a run without
// overwriting delivered, read only at the end, when the overwriting is done. Streams mix every path a payload
// can take: views of whole messages, reassembled fragments, small messages copied (`ownArraysUpTo`), runs of
// messages in one read, controls between fragments, compressed messages, bytes held while the upgrade is decided,
// stream mode, and broken UTF-8.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionEvent } from './events.ts';
import type { ServerConnectionOptions } from './connection.ts';
import { ServerConnection } from './connection.ts';
import { clientFrame, concatBytes, seededRandom, upgradeRequest } from './testing.ts';
import { pakoCodec } from './deflate/codec.ts';

const compressor = () => pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 6, memLevel: 8 });

function payloadOf(rand: () => number, size: number, text: boolean): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = text ? 0x61 + ((rand() * 26) | 0) : (rand() * 256) | 0;
  return out;
}

/** Client frames after the upgrade: whole messages of many sizes, fragmented ones with pings inside, compressed ones. */
function frames(rand: () => number, deflate: boolean, breakUtf8: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  const sizes = [0, 1, 16, 63, 64, 65, 125, 126, 300, 1000, 5000, 70000];
  for (let round = 0; round < 3; round++) {
    for (const size of sizes) {
      const text = rand() < 0.5;
      const payload = payloadOf(rand, size, text);
      const kind = rand();
      if (kind < 0.25 && size > 2) {
        const cut = 1 + ((rand() * (size - 1)) | 0);
        out.push(clientFrame(text ? 1 : 2, payload.subarray(0, cut), { fin: false }));
        out.push(clientFrame(9, payloadOf(rand, (rand() * 125) | 0, false)));
        out.push(clientFrame(0, payload.subarray(cut)));
      } else if (kind < 0.4 && deflate) {
        out.push(clientFrame(text ? 1 : 2, compressor().compress(payload), { rsv: 4 }));
      } else {
        out.push(clientFrame(text ? 1 : 2, payload));
      }
    }
  }
  if (breakUtf8) {
    const payload = payloadOf(rand, 200, true);
    payload[(rand() * 200) | 0] = 0xff;
    out.push(clientFrame(1, payload));
  }
  out.push(clientFrame(8, new Uint8Array([0x03, 0xe8])));
  return out;
}

/** What the application saw, with every byte of data read at the end. */
type Seen = { event: ConnectionEvent; data?: Uint8Array };

function run(stream: Uint8Array, cuts: number[], options: ServerConnectionOptions, deferAccept: boolean, scribble: boolean): { seen: string[]; kept: number; reused: number } {
  const seen: Seen[] = [];
  const conn: ServerConnection = new ServerConnection(
    {
      ...options,
      onEvent(event) {
        seen.push({ event, data: 'data' in event && event.data instanceof Uint8Array ? event.data : undefined });
        if (event.type === 'request' && !deferAccept) conn.accept();
      },
    },
    0,
  );
  let kept = 0;
  let reused = 0;
  let at = 0;
  for (const cut of [...cuts, stream.length]) {
    // Each read in memory of its own, as a transport's read buffer.
    const chunk = stream.slice(at, cut);
    at = cut;
    conn.receive(chunk, 0);
    if (deferAccept && conn.state === 'deciding' && at > 3000) conn.accept();
    conn.takeWrites();
    if (conn.retainsInput) kept++;
    else if (scribble) {
      chunk.fill(0xee);
      reused++;
    }
  }
  const show = ({ event, data }: Seen): string =>
    `${event.type} ${data === undefined ? '' : `${data.length}:${[...data].join(',')}`} ${JSON.stringify({ ...event, data: undefined, request: undefined })}`;
  return { seen: seen.map(show), kept, reused };
}

const variants: [string, ServerConnectionOptions, boolean][] = [
  ['views (message mode)', {}, false],
  ['small messages in arrays of their own', { accelerators: { ownArraysUpTo: 64 } }, false],
  ['stream mode', { receiveMode: 'stream' }, false],
  ['permessage-deflate', { deflate: {} }, true],
];

for (const [name, options, deflate] of variants) {
  test(`retainsInput ${name}: chunks it lets go of can be overwritten without changing anything delivered`, () => {
    const rand = seededRandom(6455);
    let reusedTotal = 0;
    for (let round = 0; round < 8; round++) {
      const head = upgradeRequest(deflate ? { 'Sec-WebSocket-Extensions': 'permessage-deflate' } : {});
      const stream = concatBytes([head, ...frames(rand, deflate, round % 4 === 3)]);
      // Cut into reads: small ones, socket-sized ones, or random.
      const cuts: number[] = [];
      const step = [0, 7, 1500, 16384][round % 4]!;
      for (let at = 0; at < stream.length; ) {
        at += step || 1 + ((rand() * 40000) | 0);
        if (at < stream.length) cuts.push(at);
      }
      const deferAccept = round % 2 === 1;
      const plain = run(stream, cuts, { ...options, limits: { maxMessageSize: 1 << 20 } }, deferAccept, false);
      const scribbled = run(stream, cuts, { ...options, limits: { maxMessageSize: 1 << 20 } }, deferAccept, true);
      assert.ok(plain.seen.length > 30, 'the stream was decoded');
      assert.equal(scribbled.seen, plain.seen, `round ${round}`);
      assert.ok(scribbled.kept > 0, 'some reads were kept');
      reusedTotal += scribbled.reused;
    }
    // The point of the flag: reads whose messages were copied anyway are let go of.
    assert.ok(reusedTotal > 0, 'some reads could be reused');
  });
}

test('retainsInput: a whole message handed out as a view keeps its read; a fragment copied for reassembly does not', () => {
  const conn = new ServerConnection({ onEvent: (e) => void (e.type === 'request' && conn.accept()) }, 0);
  conn.receive(upgradeRequest(), 0);
  assert.is(conn.retainsInput, false, 'the request head is parsed into strings');
  conn.receive(clientFrame(2, new Uint8Array(1000)), 0);
  assert.is(conn.retainsInput, true, 'a view of the read went out');
  const frame = clientFrame(2, new Uint8Array(1000));
  conn.receive(frame.slice(0, 500), 0);
  assert.is(conn.retainsInput, false, 'the first part was copied into the message buffer');
  conn.receive(frame.slice(500), 0);
  assert.is(conn.retainsInput, false, 'the message was delivered from the message buffer');
});

test.run();
