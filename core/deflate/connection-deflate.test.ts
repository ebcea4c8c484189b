// permessage-deflate through the connection: negotiation in the handshake, RSV1 framing, inflation with a
// budget, compression of what the server sends.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as pako from 'pako';
import type { ConnectionEvent } from '../events.ts';
import { clientFrame, concatBytes, echo, harness, splitResponse, upgradeRequest } from '../testing.ts';
import { pakoCodec } from './codec.ts';
import type { DeflateParams } from './options.ts';
import { MisuseError } from '../errors.ts';

const TAIL = new Uint8Array([0, 0, 0xff, 0xff]);
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const clientCompress = (data: string | Uint8Array) => {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 6, memLevel: 8 }).compress(bytes);
};
/** An independent inflater (pako used directly, context kept across calls). */
function makeInflater(): (payload: Uint8Array) => Uint8Array {
  const inflater = new pako.Inflate({ raw: true });
  const chunks: Uint8Array[] = [];
  inflater.onData = (chunk: Uint8Array) => void chunks.push(chunk);
  return (payload) => {
    chunks.length = 0;
    inflater.push(concatBytes([payload, TAIL]), pako.Z_SYNC_FLUSH);
    return concatBytes(chunks);
  };
}
const inflate = (payload: Uint8Array) => makeInflater()(payload);

function openDeflate(offer = 'permessage-deflate; client_max_window_bits', deflate = {}, limits = {}) {
  const h = harness({ deflate, limits }, echo);
  h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': offer }));
  return h;
}
const messages = (events: ConnectionEvent[]) =>
  events.filter((e): e is Extract<ConnectionEvent, { type: 'message' }> => e.type === 'message').map((e) => text(e.data));

test('negotiated in the handshake and visible on the connection', () => {
  const h = openDeflate();
  const { head } = splitResponse(h.output());
  assert.match(head, /Sec-WebSocket-Extensions: permessage-deflate[^\r]*\r\n/);
  assert.ok(h.conn.deflate);
  assert.is(h.conn.extensions.startsWith('permessage-deflate'), true);
});

test('not negotiated when the server has no deflate option', () => {
  const h = harness({}, echo);
  h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
  assert.not.match(splitResponse(h.output()).head, 'Sec-WebSocket-Extensions');
  h.feed(clientFrame(1, clientCompress('x'), { rsv: 4 }));
  assert.ok(h.events.some((e) => e.type === 'error' && e.closeCode === 1002));
});

test('a compressed message is inflated; the echo above the threshold is compressed', () => {
  const h = openDeflate('permessage-deflate', { threshold: 10 });
  const message = JSON.stringify({ hello: 'world', list: Array.from({ length: 50 }, (_, i) => i) });
  h.feed(clientFrame(1, clientCompress(message), { rsv: 4 }));
  assert.equal(messages(h.events), [message]);
  const frames = splitResponse(h.output()).frames;
  assert.is(frames.length, 1);
  assert.is(frames[0]!.rsv, 4);
  assert.is(text(inflate(frames[0]!.payload)), message);
});

test('RFC 7692 §7.2.3.1 sample "Hello" and an uncompressed message after it', () => {
  const h = openDeflate();
  h.feed(clientFrame(1, new Uint8Array([0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]), { rsv: 4 }));
  h.feed(clientFrame(1, 'plain'));
  assert.equal(messages(h.events), ['Hello', 'plain']);
});

test('a fragmented compressed message, RSV1 on the first frame only, fed byte by byte', () => {
  const h = openDeflate();
  const payload = clientCompress('fragmented '.repeat(100));
  const a = payload.subarray(0, 5), b = payload.subarray(5, 9), c = payload.subarray(9);
  const stream = concatBytes([clientFrame(1, a, { rsv: 4, fin: false }), clientFrame(9, 'p'), clientFrame(0, b, { fin: false }), clientFrame(0, c)]);
  for (const byte of stream) h.feed(new Uint8Array([byte]));
  assert.equal(messages(h.events), ['fragmented '.repeat(100)]);
});

test('RSV1 on a continuation frame → 1002', () => {
  const h = openDeflate();
  const payload = clientCompress('abc');
  h.feed(concatBytes([clientFrame(1, payload.subarray(0, 2), { rsv: 4, fin: false }), clientFrame(0, payload.subarray(2), { rsv: 4 })]));
  assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'RSV_NOT_NEGOTIATED' && e.closeCode === 1002));
});

test('decompression bomb: a few KiB inflating past the limit fail with 1009 at once', () => {
  const h = openDeflate('permessage-deflate', {}, { maxMessageSize: 1024 * 1024 });
  const bomb = clientCompress(new Uint8Array(64 * 1024 * 1024));
  assert.ok(bomb.length < 128 * 1024);
  h.feed(clientFrame(2, bomb, { rsv: 4 }));
  const error = h.events.find((e) => e.type === 'error');
  assert.ok(error && error.type === 'error' && error.code === 'MESSAGE_TOO_LARGE' && error.closeCode === 1009);
  assert.ok(!h.events.some((e) => e.type === 'message'));
});

test('corrupt compressed data → 1007', () => {
  const h = openDeflate();
  h.feed(clientFrame(1, new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x00]), { rsv: 4 }));
  assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'DEFLATE_ERROR' && e.closeCode === 1007));
});

test('invalid UTF-8 inside compressed text → 1007', () => {
  const h = openDeflate();
  h.feed(clientFrame(1, clientCompress(new Uint8Array([0x61, 0xed, 0xa0, 0x80])), { rsv: 4 }));
  assert.ok(h.events.some((e) => e.type === 'error' && e.code === 'INVALID_UTF8' && e.closeCode === 1007));
});

test('server_no_context_takeover: every message compresses alone', () => {
  const h = openDeflate('permessage-deflate; server_no_context_takeover', { threshold: 0 });
  h.conn.send('repeat repeat repeat');
  h.conn.send('repeat repeat repeat');
  h.flush();
  const frames = splitResponse(h.output()).frames;
  assert.equal([...frames[0]!.payload], [...frames[1]!.payload]);
  assert.is(text(inflate(frames[1]!.payload)), 'repeat repeat repeat');
});

test('context takeover: the second message refers back to the first', () => {
  const h = openDeflate('permessage-deflate', { threshold: 0 });
  h.conn.send('repeat repeat repeat');
  h.conn.send('repeat repeat repeat');
  h.flush();
  const frames = splitResponse(h.output()).frames;
  assert.ok(frames[1]!.payload.length < frames[0]!.payload.length);
  const inflater = makeInflater();
  const out = frames.map((f) => text(inflater(f.payload)));
  assert.equal(out, ['repeat repeat repeat', 'repeat repeat repeat']);
});

test('the application can decline compression in accept', () => {
  const h = harness({ deflate: {} }, (event, conn) => {
    if (event.type === 'request') {
      assert.ok(conn.proposedDeflate);
      conn.accept({ deflate: false });
    }
  });
  h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
  assert.not.match(splitResponse(h.output()).head, 'Sec-WebSocket-Extensions');
  assert.is(h.conn.deflate, undefined);
});

/** Opens with the application's own deflate parameters in `accept`; returns the harness and the response head. */
function acceptWith(offer: string, deflate: Partial<DeflateParams>, server = {}) {
  const params: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...deflate };
  const h = harness({ deflate: server }, (event, conn) => {
    if (event.type === 'request') conn.accept({ deflate: params });
    else echo(event, conn);
  });
  h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': offer }));
  const head = splitResponse(h.output()).head;
  return { h, extensions: /Sec-WebSocket-Extensions: ([^\r]*)\r\n/.exec(head)?.[1] };
}

test('accept({ deflate }): window bits never exceed the offer (RFC 7692 §7.1.2.1, §7.1.2.2)', () => {
  const a = acceptWith('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 15 });
  assert.is(a.extensions, 'permessage-deflate; server_max_window_bits=10');
  assert.is(a.h.conn.deflate?.serverMaxWindowBits, 10);
  const b = acceptWith('permessage-deflate; client_max_window_bits=9', { clientMaxWindowBits: 12 });
  assert.is(b.extensions, 'permessage-deflate; client_max_window_bits=9');
  assert.is(b.h.conn.deflate?.clientMaxWindowBits, 9);
});

test('accept({ deflate }): a smaller client window applies only if the client offered client_max_window_bits', () => {
  // Not offered: the client may use a 32 KiB window, so the server must inflate with one (and not say otherwise).
  const { h, extensions } = acceptWith('permessage-deflate', { clientMaxWindowBits: 9 });
  assert.is(extensions, 'permessage-deflate');
  assert.is(h.conn.deflate?.clientMaxWindowBits, 15);
  // Noise, then the same noise: the second half is one back-reference 20,000 bytes back, beyond a 9-bit window.
  let seed = 7;
  const noise = Uint8Array.from({ length: 20_000 }, () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 24);
  const message = concatBytes([noise, noise]);
  const compressed = clientCompress(message);
  assert.ok(compressed.length < 30_000, 'the repeat was compressed as a back-reference');
  h.feed(clientFrame(2, compressed, { rsv: 4 }));
  const got = h.events.find((e) => e.type === 'message');
  assert.ok(got?.type === 'message' && got.data.length === message.length && got.data.every((b, i) => b === message[i]), JSON.stringify(h.events.map((e) => e.type)));
  // Offered: the server's smaller window is asked for.
  assert.is(acceptWith('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 9 }).extensions, 'permessage-deflate; client_max_window_bits=9');
});

test('accept({ deflate }): the first acceptable offer is used; the client\'s no_context_takeover is kept', () => {
  const { h, extensions } = acceptWith('permessage-deflate; server_max_window_bits=10; foo, permessage-deflate; server_no_context_takeover', {});
  assert.is(extensions, 'permessage-deflate; server_no_context_takeover');
  assert.is(h.conn.deflate?.serverMaxWindowBits, 15);
  assert.is(h.conn.deflate?.serverNoContextTakeover, true);
});

test('accept({ deflate }): out-of-range values or no acceptable offer throw MisuseError, the request stays pending', () => {
  const cases: [string, Partial<DeflateParams>][] = [
    ['permessage-deflate', { serverMaxWindowBits: 99 }],
    ['permessage-deflate', { serverMaxWindowBits: 7 }],
    ['permessage-deflate', { clientMaxWindowBits: 16 }],
    ['permessage-deflate', { serverMaxWindowBits: '10' as unknown as number }],
    ['permessage-deflate', { serverNoContextTakeover: 1 as unknown as boolean }],
    ['permessage-deflate; foo', {}],
    ['x-webkit-deflate-frame', {}],
  ];
  for (const [offer, deflate] of cases) {
    let thrown: unknown;
    const h = harness({ deflate: {} }, (event, conn) => {
      if (event.type !== 'request') return;
      const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15, ...deflate };
      try {
        conn.accept({ deflate: params });
      } catch (error) {
        thrown = error;
      }
    });
    h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': offer }));
    assert.ok(thrown instanceof MisuseError && thrown.code === 'INVALID_OPTION', `${offer} ${JSON.stringify(deflate)}`);
    assert.is(h.conn.state, 'deciding');
  }
});

test.run();
