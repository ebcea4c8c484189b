import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { deflateRaw, Inflate, Z_SYNC_FLUSH } from 'pako';
import { DEFAULT_OFFER, DeflateCodec, formatOffers, parseDeflateResponse } from './deflate.ts';

const text = new TextEncoder().encode('{"hello":"world","list":[1,2,3,4,5,6,7,8,9,10]}'.repeat(40));
const takeover = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

test('offers are formatted as the suite makes them', () => {
  assert.is(formatOffers([DEFAULT_OFFER]), 'permessage-deflate; client_no_context_takeover; client_max_window_bits');
  assert.is(formatOffers([{ requestNoContextTakeover: true, requestMaxWindowBits: 8 }, DEFAULT_OFFER]),
    'permessage-deflate; client_no_context_takeover; client_max_window_bits; server_no_context_takeover; server_max_window_bits=8, ' +
    'permessage-deflate; client_no_context_takeover; client_max_window_bits');
});

test('responses are parsed and checked against the offers', () => {
  assert.is(parseDeflateResponse(undefined, [DEFAULT_OFFER]), null);
  assert.equal(parseDeflateResponse('permessage-deflate; client_max_window_bits=10; server_no_context_takeover', [DEFAULT_OFFER]),
    { serverNoContextTakeover: true, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 10 });
  assert.type(parseDeflateResponse('permessage-deflate; foo', [DEFAULT_OFFER]), 'string');
  assert.type(parseDeflateResponse('permessage-deflate; client_max_window_bits=16', [DEFAULT_OFFER]), 'string');
  assert.type(parseDeflateResponse('x-webkit-deflate-frame', [DEFAULT_OFFER]), 'string');
  // server_max_window_bits larger than requested, or context takeover kept when its removal was requested.
  assert.type(parseDeflateResponse('permessage-deflate; server_max_window_bits=12', [{ requestNoContextTakeover: false, requestMaxWindowBits: 9 }]), 'string');
  assert.type(parseDeflateResponse('permessage-deflate', [{ requestNoContextTakeover: true, requestMaxWindowBits: 0 }]), 'string');
  // An extension the client never offered.
  assert.type(parseDeflateResponse('permessage-deflate', []), 'string');
});

test('compress strips the sync-flush tail; a raw inflater restores the message', () => {
  const codec = new DeflateCodec(takeover);
  const z = codec.compress(text);
  assert.ok(z.length < text.length / 4);
  assert.not.equal([...z.subarray(z.length - 4)], [0, 0, 255, 255]);
  // An independent raw inflater (no final block: the stream is flushed, not finished).
  const inf = new Inflate({ raw: true });
  inf.push(new Uint8Array([...z, 0, 0, 0xff, 0xff]), Z_SYNC_FLUSH);
  assert.is(inf.err, 0);
  const out = new Uint8Array(inf.chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of inf.chunks) {
    out.set(c, o);
    o += c.length;
  }
  assert.equal([...out], [...text]);
});

test('context takeover: later messages reference earlier ones; without it each message stands alone', () => {
  const keep = new DeflateCodec(takeover);
  const first = keep.compress(text);
  const second = keep.compress(text);
  assert.ok(second.length < first.length, 'second message is smaller with the shared window');
  const fresh = new DeflateCodec({ ...takeover, clientNoContextTakeover: true });
  const a = fresh.compress(text), b = fresh.compress(text);
  assert.equal([...a], [...b]);
});

test('decompress handles a stream of messages from a context-keeping peer, and reports corrupt input', () => {
  const sender = new DeflateCodec(takeover);
  const receiver = new DeflateCodec(takeover);
  for (let i = 0; i < 5; i++) {
    const out = receiver.decompress(sender.compress(text));
    assert.ok(out instanceof Uint8Array);
    assert.equal([...(out as Uint8Array)], [...text]);
  }
  const single = deflateRaw(text);
  assert.type(new DeflateCodec(takeover).decompress(new Uint8Array([0xff, 0xff, 0xff, ...single])), 'string');
});

test('client_max_window_bits=8 (which zlib cannot write) still round-trips, message after message', () => {
  const sender = new DeflateCodec({ ...takeover, clientMaxWindowBits: 8 });
  const receiver = new DeflateCodec(takeover);
  for (let i = 0; i < 3; i++) {
    const z = sender.compress(text);
    assert.ok(z.length < text.length, 'still compresses (run-length)');
    assert.equal([...(receiver.decompress(z) as Uint8Array)], [...text]);
  }
});

test.run();
