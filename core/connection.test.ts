import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ServerConnection } from './connection.ts';
import { MisuseError } from './errors.ts';
import type { ConnectionEvent } from './events.ts';
import { clientFrame, concatBytes, decodeFrames, echo, harness, misuseCode, splitResponse, upgradeRequest } from './testing.ts';

const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const hex = (s: string): Uint8Array => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));
const errorOf = (events: ConnectionEvent[]) => events.find((e) => e.type === 'error') as Extract<ConnectionEvent, { type: 'error' }> | undefined;

/** Opens an echo connection and returns the harness with the 101 already written. */
function openEcho(options = {}) {
  const h = harness(options, echo);
  h.feed(upgradeRequest());
  return h;
}

/** Frames written after the 101 response. */
function framesAfterHandshake(h: ReturnType<typeof harness>) {
  return splitResponse(h.output()).frames;
}

const handshake = suite('handshake');

handshake('RFC 6455 §1.3 sample: 101 with the accept key', () => {
  const h = harness();
  h.feed(upgradeRequest());
  const { head } = splitResponse(h.output());
  assert.ok(head.startsWith('HTTP/1.1 101 Switching Protocols\r\n'));
  assert.ok(head.includes('Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n'));
  assert.is(h.conn.state, 'open');
  assert.equal(h.events.map((e) => e.type), ['request', 'open']);
});

handshake('frames in the same chunk as the request are not lost', () => {
  const h = openEchoOneChunk();
  const frames = framesAfterHandshake(h);
  assert.is(frames.length, 1);
  assert.is(text(frames[0]!.payload), 'Hello');
});

function openEchoOneChunk() {
  const h = harness({}, echo);
  h.feed(concatBytes([upgradeRequest(), clientFrame(1, 'Hello')]));
  return h;
}

handshake('asynchronous accept keeps bytes that arrive meanwhile', () => {
  let pending: ServerConnection | undefined;
  const h = harness({}, (event, conn) => {
    if (event.type === 'request') pending = conn;
    else echo(event, conn);
  });
  h.feed(concatBytes([upgradeRequest(), clientFrame(1, 'one')]));
  h.feed(clientFrame(1, 'two'));
  assert.is(h.conn.state, 'deciding');
  assert.is(h.output().length, 0);
  pending!.accept();
  h.flush();
  assert.equal(framesAfterHandshake(h).map((f) => text(f.payload)), ['one', 'two']);
});

handshake('pending bytes are bounded while deciding', () => {
  const h = harness({ limits: { maxPendingBytes: 100 } }, () => {});
  h.feed(upgradeRequest());
  h.feed(clientFrame(2, new Uint8Array(200)));
  assert.is(h.conn.state, 'closed');
  assert.ok(splitResponse(h.output()).head.startsWith('HTTP/1.1 400'));
  assert.is(errorOf(h.events)?.code, 'HANDSHAKE_PENDING_OVERFLOW');
});

handshake('reject answers with Connection: close and closes the transport', () => {
  const h = harness({}, (event, conn) => {
    if (event.type === 'request') conn.reject({ status: 401, body: 'no' });
  });
  h.feed(upgradeRequest());
  const head = splitResponse(h.output()).head;
  assert.ok(head.startsWith('HTTP/1.1 401'));
  assert.match(head.toLowerCase(), 'connection: close');
  assert.ok(h.conn.transportShouldClose);
});

handshake('Sec-WebSocket-Version other than 13 → 426 with the supported version', () => {
  const h = harness();
  h.feed(upgradeRequest({ 'Sec-WebSocket-Version': '8' }));
  const head = splitResponse(h.output()).head;
  assert.ok(head.startsWith('HTTP/1.1 426'), head);
  assert.ok(head.includes('Sec-WebSocket-Version: 13'));
  assert.ok(h.conn.transportShouldClose);
});

handshake('request byte by byte gives the same response', () => {
  const h = harness();
  for (const byte of upgradeRequest()) h.feed(new Uint8Array([byte]));
  assert.ok(splitResponse(h.output()).head.includes('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='));
});

handshake('handshake timeout → 408 and close', () => {
  const h = harness({ limits: { handshakeTimeoutMs: 1000 } });
  h.feed(new TextEncoder().encode('GET / HTTP/1.1\r\n'), 10);
  assert.is(h.conn.nextDeadline, 1000);
  h.conn.tick(999);
  assert.is(h.conn.state, 'handshake');
  h.conn.tick(1000);
  h.flush();
  assert.ok(splitResponse(h.output()).head.startsWith('HTTP/1.1 408'));
  assert.ok(h.conn.transportShouldClose);
  assert.is(errorOf(h.events)?.code, 'HANDSHAKE_TIMEOUT');
});

handshake('subprotocol must be one the client offered', () => {
  const h = harness({}, (event, conn) => {
    if (event.type === 'request') {
      assert.equal(event.request.protocols, ['chat', 'superchat']);
      assert.throws(() => conn.accept({ protocol: 'other' }), (e: unknown) => e instanceof MisuseError);
      conn.accept({ protocol: 'superchat' });
    }
  });
  h.feed(upgradeRequest({ 'Sec-WebSocket-Protocol': 'chat, superchat' }));
  assert.ok(splitResponse(h.output()).head.includes('Sec-WebSocket-Protocol: superchat\r\n'));
  assert.is(h.conn.protocol, 'superchat');
});

handshake('HEAD: the refusal has its headers and no content; plain requests are checked before the hook', () => {
  const h = harness({});
  h.feed(new TextEncoder().encode('HEAD / HTTP/1.1\r\nHost: a\r\n\r\n'));
  const text = new TextDecoder().decode(h.output());
  assert.ok(text.startsWith('HTTP/1.1 405 '), text);
  assert.ok(text.endsWith('\r\n\r\n'), 'no content after the head');
  const events: string[] = [];
  const plain = harness({ plainHttp: true }, (event) => void events.push(event.type));
  plain.feed(new TextEncoder().encode('POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc'));
  assert.ok(new TextDecoder().decode(plain.output()).startsWith('HTTP/1.1 413 '));
  assert.ok(!events.includes('http-request'), 'the hook never saw it');
  assert.ok(events.includes('error'));
  assert.is(errorOf(plain.events)?.code, 'HTTP_CONTENT_NOT_ACCEPTED');
  assert.ok(plain.conn.transportShouldClose);
});

handshake('plainHttp: a request without Upgrade becomes an http-request event', () => {
  const h = harness({ plainHttp: true }, (event, conn) => {
    if (event.type === 'http-request') conn.reject({ status: 200, body: 'hello' });
  });
  h.feed(new TextEncoder().encode('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const out = text(h.output());
  assert.ok(out.startsWith('HTTP/1.1 200'));
  assert.ok(out.endsWith('hello'));
  assert.ok(h.conn.transportShouldClose);
});

handshake.run();

const framing = suite('framing');

framing('RFC 6455 §5.7: masked "Hello" is received as text', () => {
  const h = openEcho();
  h.feed(hex('818537fa213d7f9f4d5158'));
  const message = h.events.find((e) => e.type === 'message');
  assert.ok(message && message.type === 'message' && !message.binary && text(message.data) === 'Hello');
  // The echo is the unmasked RFC sample.
  assert.equal([...h.output().subarray(-7)], [...hex('810548656c6c6f')]);
});

framing('fragmented text with a ping in between', () => {
  const h = openEcho();
  h.feed(concatBytes([clientFrame(1, 'Hel', { fin: false }), clientFrame(9, 'p'), clientFrame(0, 'lo')]));
  const frames = framesAfterHandshake(h);
  assert.equal(frames.map((f) => [f.opcode, text(f.payload)]), [[10, 'p'], [1, 'Hello']]);
});

framing('16-bit and 64-bit lengths', () => {
  const h = openEcho();
  const big = new Uint8Array(70000).fill(7);
  h.feed(concatBytes([clientFrame(2, new Uint8Array(300)), clientFrame(2, big), clientFrame(2, 'x', { lengthForm: 64 })]));
  const frames = framesAfterHandshake(h);
  assert.equal(frames.map((f) => f.payload.length), [300, 70000, 1]);
  assert.is(frames[1]!.payload[69999], 7);
});

function expectFailure(bytes: Uint8Array, closeCode: number, code: string, options = {}) {
  const h = openEcho(options);
  h.feed(bytes);
  const error = errorOf(h.events);
  assert.is(error?.code, code);
  assert.is(error?.closeCode, closeCode);
  const frames = framesAfterHandshake(h);
  const close = frames[frames.length - 1]!;
  assert.is(close.opcode, 8);
  assert.is((close.payload[0]! << 8) | close.payload[1]!, closeCode);
  assert.ok(h.conn.transportShouldClose);
  assert.is(h.conn.state, 'closed');
  return h;
}

framing('unmasked frame → 1002', () => {
  expectFailure(clientFrame(1, 'x', { mask: null }), 1002, 'UNMASKED_FRAME');
});
framing('RSV bits without extension → 1002', () => {
  expectFailure(clientFrame(1, 'x', { rsv: 4 }), 1002, 'RSV_NOT_NEGOTIATED');
  expectFailure(clientFrame(1, 'x', { rsv: 2 }), 1002, 'RSV_NOT_NEGOTIATED');
  expectFailure(clientFrame(1, 'x', { rsv: 1 }), 1002, 'RSV_NOT_NEGOTIATED');
});
framing('reserved opcodes → 1002', () => {
  for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) expectFailure(clientFrame(op, 'x'), 1002, 'RESERVED_OPCODE');
});
framing('control frame over 125 bytes → 1002', () => {
  expectFailure(clientFrame(9, new Uint8Array(126)), 1002, 'CONTROL_FRAME_TOO_LONG');
});
framing('fragmented control frame → 1002', () => {
  expectFailure(clientFrame(9, 'x', { fin: false }), 1002, 'CONTROL_FRAME_FRAGMENTED');
});
framing('continuation without a message → 1002', () => {
  expectFailure(clientFrame(0, 'x'), 1002, 'UNEXPECTED_CONTINUATION');
});
framing('new message inside a fragmented one → 1002', () => {
  expectFailure(concatBytes([clientFrame(1, 'a', { fin: false }), clientFrame(1, 'b')]), 1002, 'EXPECTED_CONTINUATION');
});
framing('64-bit length with the MSB set → 1002', () => {
  const frame = hex('82ff8000000000000001') ;
  expectFailure(concatBytes([frame, hex('00000000')]), 1002, 'LENGTH_MSB_SET');
});
framing('declared frame length over the limit → 1009 before any payload', () => {
  const frame = clientFrame(2, new Uint8Array(2000));
  const h = expectFailure(frame.subarray(0, 8), 1009, 'FRAME_TOO_LARGE', { limits: { maxFrameSize: 1000 } });
  assert.ok(h.events.every((e) => e.type !== 'message'));
});
framing('a message buffer the runtime cannot allocate → 1011 for this connection, no exception', () => {
  const refuse = () => {
    throw new RangeError('Array buffer allocation failed');
  };
  const frame = clientFrame(2, new Uint8Array(2000));
  // The payload spans chunks, so it is reassembled; the buffer of the exact declared size is refused (a smaller
  // one the first piece fell back to is not enough for the rest).
  const h = openEcho({ accelerators: { allocUninitialized: refuse, minBytes: { allocUninitialized: 0 } } });
  h.feed(frame.subarray(0, 100));
  assert.is(errorOf(h.events), undefined);
  h.feed(frame.subarray(100));
  const error = errorOf(h.events);
  assert.is(error?.code, 'OUT_OF_MEMORY');
  assert.is(error?.closeCode, 1011);
  const frames = framesAfterHandshake(h);
  assert.is(frames.length, 1);
  assert.is((frames[0]!.payload[0]! << 8) | frames[0]!.payload[1]!, 1011);
  assert.is(h.conn.state, 'closed');
  assert.ok(h.events.every((e) => e.type !== 'message'));
});
framing('message over the limit across fragments → 1009', () => {
  const parts = [clientFrame(2, new Uint8Array(600), { fin: false }), clientFrame(0, new Uint8Array(600))];
  expectFailure(concatBytes(parts), 1009, 'MESSAGE_TOO_LARGE', { limits: { maxMessageSize: 1000 } });
});
framing('tiny fragments are charged their overhead', () => {
  const parts = [clientFrame(2, new Uint8Array(0), { fin: false })];
  for (let i = 0; i < 100; i++) parts.push(clientFrame(0, new Uint8Array(0), { fin: false }));
  expectFailure(concatBytes(parts), 1009, 'MESSAGE_TOO_LARGE', { limits: { maxMessageSize: 1000, fragmentOverheadBytes: 16 } });
});

framing('invalid UTF-8 fails at the first bad byte, mid-fragment, before FIN', () => {
  const h = openEcho();
  // κόσμε + ED A0 80 (a surrogate): the first fragment alone is already invalid at 0xA0.
  h.feed(clientFrame(1, hex('cebae1bdb9cf83cebcceb5eda080'), { fin: false }));
  assert.is(errorOf(h.events)?.code, 'INVALID_UTF8');
  assert.is(errorOf(h.events)?.closeCode, 1007);
});

framing('text ending inside a UTF-8 sequence → 1007', () => {
  expectFailure(clientFrame(1, hex('ce')), 1007, 'INVALID_UTF8');
});

framing('split invariance: any cut of the byte stream gives the same events and writes', () => {
  const stream = concatBytes([
    upgradeRequest(),
    clientFrame(1, 'Hello, world'),
    clientFrame(2, new Uint8Array(300).fill(1), { fin: false }),
    clientFrame(9, 'ping'),
    clientFrame(0, new Uint8Array(5).fill(2)),
    clientFrame(1, hex('cebae1bdb9cf83cebcceb5'), { lengthForm: 64 }),
    clientFrame(10, 'pong'),
    clientFrame(8, hex('03e8') ),
  ]);
  const run = (cuts: number[]) => {
    const h = harness({}, echo);
    let at = 0;
    for (const cut of [...cuts, stream.length]) {
      if (cut > at) h.feed(stream.subarray(at, cut));
      at = Math.max(at, cut);
    }
    return { events: JSON.stringify(h.events.map((e) => ({ ...e, data: 'data' in e ? [...e.data] : undefined }))), out: [...h.output()].join(',') };
  };
  const whole = run([]);
  assert.ok(whole.events.includes('"wasClean":true'));
  for (let cut = 1; cut < stream.length; cut++) {
    const split = run([cut]);
    assert.is(split.events, whole.events, `cut at ${cut}`);
    assert.is(split.out, whole.out, `cut at ${cut}`);
  }
  let seed = 7;
  const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let round = 0; round < 200; round++) {
    const cuts = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * stream.length)).sort((a, b) => a - b);
    const split = run(cuts);
    assert.is(split.events, whole.events);
    assert.is(split.out, whole.out);
  }
});

framing('stream mode delivers parts as they arrive', () => {
  const h = harness({ receiveMode: 'stream' });
  h.feed(upgradeRequest());
  const frame = clientFrame(2, new Uint8Array(1000).fill(9), { fin: false });
  h.feed(frame.subarray(0, 500));
  h.feed(frame.subarray(500));
  h.feed(clientFrame(0, new Uint8Array(10)));
  const parts = h.events.filter((e) => e.type === 'fragment') as Extract<ConnectionEvent, { type: 'fragment' }>[];
  assert.equal(parts.map((p) => [p.data.length, p.first, p.fin]), [[500 - 8, true, false], [508, false, false], [10, false, true]]);
});

framing.run();

const closing = suite('close');

closing('peer close is echoed and the server closes the transport first', () => {
  const h = openEcho();
  h.feed(clientFrame(8, concatBytes([hex('03e8'), new TextEncoder().encode('bye')])));
  const frames = framesAfterHandshake(h);
  assert.is(frames.length, 1);
  assert.equal([...frames[0]!.payload], [0x03, 0xe8]);
  assert.ok(h.conn.transportShouldClose);
  const closed = h.events.find((e) => e.type === 'closed');
  assert.equal(closed, { type: 'closed', code: 1000, reason: 'bye', wasClean: true });
});

closing('empty close is answered with an empty close', () => {
  const h = openEcho();
  h.feed(clientFrame(8));
  assert.is(framesAfterHandshake(h)[0]!.payload.length, 0);
});

closing('a message followed by close in one chunk is echoed before the close reply', () => {
  const h = openEcho();
  h.feed(concatBytes([clientFrame(1, 'Hello World!'), clientFrame(8, hex('03e8'))]));
  assert.equal(framesAfterHandshake(h).map((f) => f.opcode), [1, 8]);
});

closing('received close codes are validated', () => {
  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]) {
    const h = openEcho();
    h.feed(clientFrame(8, new Uint8Array([code >> 8, code & 255])));
    assert.is(errorOf(h.events), undefined, String(code));
  }
  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    expectFailure(clientFrame(8, new Uint8Array([code >> 8, code & 255])), 1002, 'INVALID_CLOSE_CODE');
  }
});

closing('1-byte close payload → 1002; invalid UTF-8 reason → 1007', () => {
  expectFailure(clientFrame(8, hex('03')), 1002, 'INVALID_CLOSE_PAYLOAD');
  expectFailure(clientFrame(8, hex('03e8ff')), 1007, 'INVALID_CLOSE_REASON');
});

closing('application close waits for the reply, then closes cleanly', () => {
  const h = openEcho({ limits: { closeTimeoutMs: 500 } });
  h.conn.close(4000, 'done', 100);
  h.flush();
  assert.is(h.conn.state, 'closing');
  assert.is(h.conn.nextDeadline, 600);
  assert.throws(() => h.conn.send('late'), (e: unknown) => e instanceof MisuseError);
  h.feed(clientFrame(1, 'ignored'));
  h.feed(clientFrame(8, hex('0fa0')));
  assert.ok(h.conn.transportShouldClose);
  assert.equal(h.events.at(-1), { type: 'closed', code: 4000, reason: '', wasClean: true });
  assert.ok(!h.events.some((e) => e.type === 'message'));
});

closing('close timeout closes the transport', () => {
  const h = openEcho({ limits: { closeTimeoutMs: 500 } });
  h.conn.close(1000, '', 0);
  h.conn.tick(499);
  assert.ok(!h.conn.transportShouldClose);
  h.conn.tick(500);
  assert.ok(h.conn.transportShouldClose);
  assert.equal(h.events.at(-1), { type: 'closed', code: 1006, reason: '', wasClean: false });
});

closing('invalid application close codes and long reasons throw', () => {
  const h = openEcho();
  assert.throws(() => h.conn.close(1005), (e: unknown) => e instanceof MisuseError);
  assert.throws(() => h.conn.close(1000, 'x'.repeat(124)), (e: unknown) => e instanceof MisuseError);
  assert.is(h.conn.state, 'open');
});

closing('transport end → closed 1006', () => {
  const h = openEcho();
  h.feed(clientFrame(1, 'abc').subarray(0, 4));
  h.conn.end();
  assert.equal(h.events.at(-1), { type: 'closed', code: 1006, reason: '', wasClean: false });
});

closing.run();

const timers = suite('keepalive');

timers('keepalive ping after silence, idle timeout without an answer', () => {
  const h = harness({ limits: { pingIntervalMs: 1000, pongTimeoutMs: 500 } }, echo, 0);
  h.feed(upgradeRequest(), 0);
  assert.is(h.conn.nextDeadline, 1000);
  h.conn.tick(1000);
  h.flush();
  assert.equal(framesAfterHandshake(h).map((f) => f.opcode), [9]);
  assert.is(h.conn.nextDeadline, 1500);
  h.conn.tick(1500);
  h.flush();
  assert.equal(framesAfterHandshake(h).map((f) => f.opcode), [9, 8]);
  assert.is(errorOf(h.events)?.code, 'IDLE_TIMEOUT');
  assert.ok(h.conn.transportShouldClose);
});

timers('any received bytes count as liveness', () => {
  const h = harness({ limits: { pingIntervalMs: 1000, pongTimeoutMs: 500 } }, echo, 0);
  h.feed(upgradeRequest(), 0);
  h.conn.tick(1000);
  h.feed(clientFrame(10), 1200);
  assert.is(h.conn.nextDeadline, 2200);
  h.conn.tick(1700);
  assert.is(h.conn.state, 'open');
});

timers('peerActive (the peer took our bytes) counts as liveness, as received bytes do', () => {
  const h = harness({ limits: { pingIntervalMs: 1000, pongTimeoutMs: 500 } }, echo, 0);
  h.feed(upgradeRequest(), 0);
  h.conn.tick(1000); // ping sent; its pong cannot be read while the transport does not read
  h.conn.peerActive(1400);
  assert.is(h.conn.nextDeadline, 2400);
  h.conn.tick(1500);
  assert.is(h.conn.state, 'open');
  assert.is(errorOf(h.events), undefined);
  h.conn.end();
  h.conn.peerActive(3000); // after the end: nothing
  assert.is(h.conn.state, 'closed');
});

timers('pings are answered with the same payload; pending pongs are bounded', () => {
  const h = openEcho({ limits: { maxPendingPongs: 4 } });
  const pings = [];
  for (let i = 0; i < 10; i++) pings.push(clientFrame(9, `p${i}`));
  h.feed(concatBytes(pings));
  const pongs = framesAfterHandshake(h).filter((f) => f.opcode === 10).map((f) => text(f.payload));
  assert.is(pongs.length, 4);
  assert.is(pongs[3], 'p9');
});

timers.run();

const misuse = suite('misuse');

misuse('end() from a message handler: the rest of the chunk is not parsed; closed (1006) follows when receive returns', () => {
  const seen: string[] = [];
  const h = harness({}, (event, c) => {
    seen.push(event.type === 'message' ? `message ${text(event.data)}` : event.type === 'closed' ? `closed ${event.code}` : event.type);
    if (event.type === 'request') c.accept();
    if (event.type === 'message') {
      c.end(); // the application dropped the transport
      seen.push(`state ${c.state}`);
    }
  });
  h.feed(concatBytes([upgradeRequest(), clientFrame(1, 'one'), clientFrame(1, 'two'), clientFrame(9, 'ping')]));
  assert.equal(seen, ['request', 'open', 'message one', 'state open', 'closed 1006']);
  assert.is(h.conn.state, 'closed');
  assert.ok(h.conn.transportShouldClose);
  // Nothing answered the ping, and later input is discarded.
  assert.equal(splitResponse(h.output()).frames.map((f) => f.opcode), []);
  h.feed(clientFrame(1, 'three'));
  assert.is(seen.length, 5);
});

misuse('send before open and re-entrant receive throw MisuseError', () => {
  const conn = new ServerConnection();
  assert.throws(() => conn.send('x'), (e: unknown) => e instanceof MisuseError);
  const h = harness({}, (event, c) => {
    if (event.type === 'request') assert.throws(() => c.receive(new Uint8Array(1)), (e: unknown) => e instanceof MisuseError);
    echo(event, c);
  });
  h.feed(upgradeRequest());
  assert.is(h.conn.state, 'open');
});

misuse('reject() checks the status; accept({ deflate }) needs an offer; both leave the request pending', () => {
  const conn = new ServerConnection({ deflate: {} });
  conn.receive(upgradeRequest());
  for (const status of [101, 199, 600, 404.5]) {
    assert.throws(() => conn.reject({ status }), (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION');
  }
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };
  assert.throws(() => conn.accept({ deflate: params }), (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION');
  assert.is(conn.state, 'deciding');
  conn.reject({ status: 403, headers: { 'X-Reason': 'policy' } });
  assert.match(new TextDecoder().decode(concatBytes(conn.takeWrites())), /^HTTP\/1\.1 403[^]*X-Reason: policy/);
});

misuse('send, ping and pong return the bytes of the frame they queued (header included)', () => {
  const h = openEcho();
  h.flush();
  assert.is(h.conn.send('x'), 3);
  assert.is(h.conn.send(new Uint8Array(200)), 204);
  assert.is(h.conn.send(new Uint8Array(70_000)), 70_010);
  assert.is(h.conn.ping('p'), 3);
  assert.is(h.conn.pong(), 2);
  h.flush();
  const total = h.written.slice(1).reduce((n, w) => n + w.length, 0); // after the 101 response
  assert.is(total, 3 + 204 + 70_010 + 3 + 2);
});

misuse('close() checks its arguments in every state, then does nothing once closing or closed', () => {
  const h = openEcho();
  assert.is(misuseCode(() => h.conn.close(999)), 'INVALID_CLOSE_CODE');
  h.conn.close(1000, 'bye');
  h.flush();
  const written = h.written.length;
  assert.is(misuseCode(() => h.conn.close(999)), 'INVALID_CLOSE_CODE');
  assert.is(misuseCode(() => h.conn.close(1000, 42 as unknown as string)), 'INVALID_OPTION');
  h.conn.close(4000, 'again'); // valid: ignored while closing
  h.flush();
  assert.is(h.written.length, written);
  h.conn.end();
  assert.is(misuseCode(() => h.conn.close(1005)), 'INVALID_CLOSE_CODE');
});

misuse('events queue for takeEvents without a handler', () => {
  const conn = new ServerConnection();
  conn.receive(upgradeRequest());
  const events = conn.takeEvents();
  assert.is(events[0]?.type, 'request');
  conn.accept();
  conn.receive(clientFrame(1, 'hi'));
  assert.equal(conn.takeEvents().map((e) => e.type), ['open', 'message']);
  conn.send('yo');
  const out = concatBytes(conn.takeWrites());
  assert.is(text(decodeFrames(splitResponse(out).frames.length ? out.subarray(out.length - 4) : out).frames[0]!.payload), 'yo');
});

misuse.run();

const listeners = suite('event listener and state created on demand');

listeners('eventListener receives the events in order, with itself as `this`; onEvent wins when both are given', () => {
  const seen: string[] = [];
  const listener = {
    conn: undefined as ServerConnection | undefined,
    handleConnectionEvent(this: { conn: ServerConnection | undefined }, event: ConnectionEvent) {
      seen.push(event.type);
      if (event.type === 'request') this.conn!.accept();
      if (event.type === 'message') this.conn!.send(event.data, { binary: event.binary });
    },
  };
  const conn = new ServerConnection({ eventListener: listener });
  listener.conn = conn;
  conn.receive(concatBytes([upgradeRequest(), clientFrame(1, 'hi')]));
  assert.equal(seen, ['request', 'open', 'message']);
  assert.equal(conn.takeEvents(), [], 'nothing queued with a listener');
  const frames = splitResponse(concatBytes(conn.takeWrites())).frames;
  assert.is(text(frames[0]!.payload), 'hi');

  const viaFunction: string[] = [];
  const both = new ServerConnection({ onEvent: (e) => viaFunction.push(e.type), eventListener: { handleConnectionEvent: () => assert.unreachable('listener called') } });
  both.receive(upgradeRequest());
  assert.equal(viaFunction, ['request']);
});

listeners('an idle connection hands out empty lists; a taken list belongs to the caller', () => {
  const h = openEcho();
  const conn = h.conn;
  assert.is(conn.takeWrites().length, 0);
  assert.is(conn.takeEvents().length, 0);
  assert.not.ok(conn.hasWrites);
  conn.send('a');
  const first = conn.takeWrites();
  assert.ok(first.length > 0);
  first.length = 0; // the caller may reuse what it took
  conn.send('b');
  const second = conn.takeWrites();
  assert.is.not(second, first);
  assert.is(text(decodeFrames(concatBytes(second)).frames[0]!.payload), 'b');
});

listeners('request while deciding, proposedDeflate and deflate after accept', () => {
  let pending: ServerConnection | undefined;
  const h = harness({ deflate: {} }, (event, conn) => {
    if (event.type === 'request') pending = conn;
  });
  h.feed(upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
  const conn = pending!;
  assert.is(conn.state, 'deciding');
  assert.is(conn.request?.target, '/chat');
  const proposed = conn.proposedDeflate;
  assert.ok(proposed);
  h.feed(clientFrame(1, 'early')); // kept until the decision
  conn.accept();
  assert.is(conn.request, undefined, 'released once accepted');
  assert.is(conn.proposedDeflate, proposed);
  assert.is(conn.deflate, proposed);
  assert.match(conn.extensions, /^permessage-deflate/);
  assert.equal(h.events.filter((e) => e.type === 'message').length, 1, 'the early frame was parsed after the accept');
});

listeners.run();
