import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MisuseError } from '../errors.ts';
import { RequestHeadParser } from './request-parser.ts';
import type { HeadParseResult } from './request-parser.ts';
import { validateUpgrade } from './handshake.ts';

const LIMITS = { maxHeaderBytes: 16 * 1024, maxHeaderCount: 64 };
const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

const REQUEST =
  'GET /chat?room=1 HTTP/1.1\r\n' +
  'Host: server.example.com\r\n' +
  'Upgrade: websocket\r\n' +
  'Connection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
  'Origin: http://example.com\r\n' +
  'Sec-WebSocket-Protocol: chat, superchat\r\n' +
  'Sec-WebSocket-Version: 13\r\n' +
  '\r\n';

/** A result independent of how the input was cut: `consumed` becomes the head's absolute length. */
type Outcome =
  | { kind: 'incomplete' }
  | { kind: 'complete'; head: unknown; headLength: number }
  | { kind: 'error'; status: number; code: string; reason: string; at: number };

/** Pushes `input` cut at `cuts` (sorted offsets) and stops at the first final result. */
function run(input: Uint8Array, cuts: number[], limits = LIMITS): Outcome {
  const parser = new RequestHeadParser(limits);
  let offset = 0;
  for (const end of [...cuts, input.length]) {
    const chunk = input.subarray(offset, end);
    const r: HeadParseResult = parser.push(chunk);
    if (r.kind === 'complete') {
      assert.ok(r.consumed >= 0 && r.consumed <= chunk.length);
      return { kind: 'complete', head: r.head, headLength: offset + r.consumed };
    }
    if (r.kind === 'error') return { kind: 'error', status: r.status, code: r.code, reason: r.reason, at: end };
    offset = end;
  }
  return { kind: 'incomplete' };
}

/** Feeds byte by byte, reporting the exact byte index at which the final result appeared. */
function runBytewise(input: Uint8Array, limits = LIMITS): { outcome: Outcome; index: number } {
  const parser = new RequestHeadParser(limits);
  for (let i = 0; i < input.length; i++) {
    const r = parser.push(input.subarray(i, i + 1));
    if (r.kind === 'complete') return { outcome: { kind: 'complete', head: r.head, headLength: i + r.consumed }, index: i };
    if (r.kind === 'error') return { outcome: { kind: 'error', status: r.status, code: r.code, reason: r.reason, at: 0 }, index: i };
  }
  return { outcome: { kind: 'incomplete' }, index: -1 };
}

/** Same result whole, byte by byte, and cut once at every offset (plus a few 3-way cuts). */
function assertSplitInvariant(input: Uint8Array, limits = LIMITS): Outcome {
  const strip = (o: Outcome) => (o.kind === 'error' ? { ...o, at: 0 } : o);
  const whole = strip(run(input, [], limits));
  assert.equal(strip(runBytewise(input, limits).outcome), whole, 'byte by byte');
  for (let k = 0; k <= input.length; k++) assert.equal(strip(run(input, [k], limits)), whole, `cut at ${k}`);
  for (let k = 1; k < input.length; k += 7) {
    for (let m = k; m < input.length; m += 13) assert.equal(strip(run(input, [k, m], limits)), whole, `cuts at ${k},${m}`);
  }
  return whole;
}

const basics = suite('parse');

basics('parses a handshake request', () => {
  const r = new RequestHeadParser(LIMITS).push(bytes(REQUEST));
  assert.is(r.kind, 'complete');
  if (r.kind !== 'complete') return;
  assert.is(r.consumed, REQUEST.length);
  assert.is(r.head.method, 'GET');
  assert.is(r.head.target, '/chat?room=1');
  assert.is(r.head.httpVersion, '1.1');
  assert.equal(r.head.rawHeaders, [
    ['Host', 'server.example.com'],
    ['Upgrade', 'websocket'],
    ['Connection', 'Upgrade'],
    ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
    ['Origin', 'http://example.com'],
    ['Sec-WebSocket-Protocol', 'chat, superchat'],
    ['Sec-WebSocket-Version', '13'],
  ]);
});

basics('same result whole, byte by byte and at every split offset', () => {
  const o = assertSplitInvariant(bytes(REQUEST));
  assert.is(o.kind, 'complete');
});

basics('bytes after the head are left to the caller via consumed', () => {
  const frame = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
  const input = new Uint8Array([...bytes(REQUEST), ...frame]);
  for (let k = 0; k <= input.length; k++) {
    const parser = new RequestHeadParser(LIMITS);
    const first = parser.push(input.subarray(0, k));
    let rest: Uint8Array;
    if (first.kind === 'complete') {
      rest = input.subarray(0, k).subarray(first.consumed);
      // The rest of the input was never pushed.
      rest = new Uint8Array([...rest, ...input.subarray(k)]);
    } else {
      assert.is(first.kind, 'incomplete');
      const second = parser.push(input.subarray(k));
      assert.is(second.kind, 'complete', `cut ${k}`);
      if (second.kind !== 'complete') return;
      rest = input.subarray(k).subarray(second.consumed);
    }
    assert.equal(Array.from(rest), frame, `cut ${k}`);
  }
});

basics('pushing after a final result throws MisuseError; an empty push is incomplete', () => {
  const parser = new RequestHeadParser(LIMITS);
  assert.is(parser.push(new Uint8Array(0)).kind, 'incomplete');
  assert.is(parser.push(bytes(REQUEST)).kind, 'complete');
  try {
    parser.push(bytes('x'));
    assert.unreachable('should throw');
  } catch (e) {
    assert.instance(e, MisuseError);
    assert.is((e as MisuseError).code, 'INVALID_STATE');
  }
  const failed = new RequestHeadParser(LIMITS);
  assert.is(failed.push(bytes('BAD\r\n')).kind, 'error');
  assert.throws(() => failed.push(bytes('x')), (e: unknown) => e instanceof MisuseError);
});

basics('values: OWS trimmed, inner spaces and tabs kept, empty value allowed, latin1 bytes kept', () => {
  const input = new Uint8Array([
    ...bytes('GET / HTTP/1.1\r\nA: \t x \t y \t\r\nEmpty:\r\nSpaces:   \r\nL: '),
    0xe9, 0x80, 0xff,
    ...bytes('\r\n\r\n'),
  ]);
  const o = assertSplitInvariant(input);
  assert.equal(o, {
    kind: 'complete',
    head: { method: 'GET', target: '/', httpVersion: '1.1', rawHeaders: [['A', 'x \t y'], ['Empty', ''], ['Spaces', ''], ['L', '\u00e9\u0080\u00ff']] },
    headLength: input.length,
  });
});

basics('prototype-like header names are ordinary names', () => {
  const o = run(bytes('GET / HTTP/1.1\r\n__proto__: a\r\nconstructor: b\r\nhasOwnProperty: c\r\n\r\n'), []);
  assert.is(o.kind, 'complete');
  if (o.kind !== 'complete') return;
  assert.equal((o.head as { rawHeaders: unknown }).rawHeaders, [['__proto__', 'a'], ['constructor', 'b'], ['hasOwnProperty', 'c']]);
});

basics('leading empty lines before the request line are skipped', () => {
  const input = bytes('\r\n\r\n' + REQUEST);
  const o = assertSplitInvariant(input);
  assert.is(o.kind, 'complete');
  if (o.kind === 'complete') assert.is(o.headLength, input.length);
});

basics('other methods and versions are reported, not judged', () => {
  for (const [line, method, version] of [
    ['POST /x HTTP/1.1', 'POST', '1.1'],
    ['GET /x HTTP/1.0', 'GET', '1.0'],
    ['M-SEARCH * HTTP/1.9', 'M-SEARCH', '1.9'],
    ['OPTIONS * HTTP/1.1', 'OPTIONS', '1.1'],
  ] as const) {
    const o = run(bytes(line + '\r\nHost: a\r\n\r\n'), []);
    assert.is(o.kind, 'complete', line);
    if (o.kind !== 'complete') continue;
    const head = o.head as { method: string; httpVersion: string };
    assert.is(head.method, method);
    assert.is(head.httpVersion, version);
  }
});

const errors = suite('errors');

const expectError = (input: string | Uint8Array, status: number, code: string, limits = LIMITS) => {
  const data = typeof input === 'string' ? bytes(input) : input;
  const o = assertSplitInvariant(data, limits);
  assert.is(o.kind, 'error', JSON.stringify(typeof input === 'string' ? input : 'bytes'));
  if (o.kind !== 'error') return;
  assert.is(o.status, status, JSON.stringify(input));
  assert.is(o.code, code);
};

errors('malformed request lines are 400', () => {
  for (const line of [
    'GET',
    'GET /',
    'GET / ',
    'GET  / HTTP/1.1', // two spaces
    ' GET / HTTP/1.1', // leading space
    'GET / HTTP/1.1 ', // trailing space
    'GET /\tHTTP/1.1',
    'G(T / HTTP/1.1', // method not a token
    'GET /a b HTTP/1.1', // space in target
    'GET /\u00e9 HTTP/1.1', // non-ASCII target
    'GET / http/1.1',
    'GET / HTTP/1',
    'GET / HTTP/1.1.1',
    'GET / HTTP/11',
    'GET / HTTP/1.x',
    'GET / HTTPS/1.1',
    '\u0016\u0003\u0001\u0002\u0000', // a TLS ClientHello start
  ]) {
    expectError(line + '\r\nHost: a\r\n\r\n', 400, 'HTTP_BAD_REQUEST');
  }
});

errors('HTTP major version other than 1 is 505, as soon as the request line ends', () => {
  expectError('GET / HTTP/2.0\r\nHost: a\r\n\r\n', 505, 'HTTP_VERSION_NOT_SUPPORTED');
  expectError('GET / HTTP/0.9\r\n', 505, 'HTTP_VERSION_NOT_SUPPORTED');
  expectError('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 505, 'HTTP_VERSION_NOT_SUPPORTED');
  const { index } = runBytewise(bytes('GET / HTTP/3.0\r\n'));
  assert.is(index, 15);
});

errors('line endings: bare LF and bare CR are 400', () => {
  expectError('GET / HTTP/1.1\nHost: a\r\n\r\n', 400, 'HTTP_BAD_REQUEST');
  expectError('GET / HTTP/1.1\r\nHost: a\n\r\n', 400, 'HTTP_BAD_REQUEST');
  expectError('GET / HTTP/1.1\r\nHost: a\r\n\n', 400, 'HTTP_BAD_REQUEST');
  expectError('GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n', 400, 'HTTP_BAD_REQUEST');
  expectError('\n', 400, 'HTTP_BAD_REQUEST');
});

errors('malformed header lines are 400', () => {
  for (const line of [
    ' Folded: x', // whitespace before the first field
    'Host : a', // space before colon
    'Host\t: a',
    ': a', // empty name
    'NoColon',
    'Na(me: a', // not a token
    'N\u00e9: a',
    'A: x\u0000y', // NUL
    'A: x\u0001y', // control
    'A: x\u007fy', // DEL
    'A: x\ry',
  ]) {
    expectError('GET / HTTP/1.1\r\n' + line + '\r\n\r\n', 400, 'HTTP_BAD_REQUEST');
  }
});

errors('obs-fold continuation lines are 400', () => {
  expectError('GET / HTTP/1.1\r\nA: x\r\n  continued\r\n\r\n', 400, 'HTTP_BAD_REQUEST');
  expectError('GET / HTTP/1.1\r\nA: x\r\n\tcontinued\r\n\r\n', 400, 'HTTP_BAD_REQUEST');
});

const limits = suite('limits');

limits('a head of exactly maxHeaderBytes is accepted; one byte more is 431', () => {
  const input = bytes(REQUEST);
  const exact = { maxHeaderBytes: input.length, maxHeaderCount: 64 };
  assert.is(assertSplitInvariant(input, exact).kind, 'complete');
  const under = { maxHeaderBytes: input.length - 1, maxHeaderCount: 64 };
  expectError(input, 431, 'HTTP_HEADERS_TOO_LARGE', under);
  // Detected on the byte that passes the limit, not at the end of the line or head.
  assert.is(runBytewise(input, under).index, input.length - 1);
});

limits('431 as soon as the limit is passed, inside an endless line', () => {
  const lim = { maxHeaderBytes: 100, maxHeaderCount: 64 };
  const input = bytes('GET / HTTP/1.1\r\nX: ' + 'a'.repeat(500));
  const { outcome, index } = runBytewise(input, lim);
  assert.is(index, 100);
  assert.is(outcome.kind === 'error' && outcome.status, 431);
  // Same in one chunk, and memory stays bounded: no line longer than the limit is ever kept.
  const parser = new RequestHeadParser(lim);
  assert.is(parser.push(input.subarray(0, 100)).kind, 'incomplete');
  const r = parser.push(input.subarray(100));
  assert.is(r.kind === 'error' && r.status, 431);
  // An endless request line too.
  assert.is(runBytewise(bytes('GET /' + 'a'.repeat(500)), lim).index, 100);
  // Endless empty lines before the request line count as well.
  assert.is(runBytewise(bytes('\r\n'.repeat(100)), lim).index, 100);
});

limits('header count: maxHeaderCount fields accepted, one more is 431 at that line', () => {
  const three = 'GET / HTTP/1.1\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n';
  assert.is(assertSplitInvariant(bytes(three), { maxHeaderBytes: 1000, maxHeaderCount: 3 }).kind, 'complete');
  expectError(three, 431, 'HTTP_HEADERS_TOO_LARGE', { maxHeaderBytes: 1000, maxHeaderCount: 2 });
  const { index } = runBytewise(bytes(three), { maxHeaderBytes: 1000, maxHeaderCount: 2 });
  assert.is(index, three.indexOf('C: 3') + 5); // the LF of the third field
  expectError('GET / HTTP/1.1\r\nA: 1\r\n\r\n', 431, 'HTTP_HEADERS_TOO_LARGE', { maxHeaderBytes: 1000, maxHeaderCount: 0 });
});

limits('huge chunks: 431 without an LF; a head followed by a megabyte of frames completes', () => {
  const junk = new Uint8Array(1 << 20).fill(0x61);
  const r = new RequestHeadParser(LIMITS).push(junk);
  assert.is(r.kind === 'error' && r.status, 431);
  const input = new Uint8Array(REQUEST.length + junk.length);
  input.set(bytes(REQUEST));
  input.set(junk, REQUEST.length);
  const done = new RequestHeadParser(LIMITS).push(input);
  assert.is(done.kind === 'complete' && done.consumed, REQUEST.length);
});

limits('maxHeaderBytes 0 refuses the first byte', () => {
  const r = new RequestHeadParser({ maxHeaderBytes: 0, maxHeaderCount: 0 }).push(bytes('G'));
  assert.is(r.kind === 'error' && r.status, 431);
});

limits('a large head split into many chunks, with long lines crossing chunk boundaries', () => {
  let s = 'GET /' + 'p'.repeat(3000) + ' HTTP/1.1\r\n';
  for (let i = 0; i < 40; i++) s += `X-H${i}: ${'v'.repeat(i * 37)}\r\n`;
  s += '\r\n';
  const input = bytes(s);
  const lim = { maxHeaderBytes: 64 * 1024, maxHeaderCount: 64 };
  const whole = run(input, [], lim);
  assert.is(whole.kind, 'complete');
  for (const size of [1, 2, 3, 5, 64, 255, 1000, 4096]) {
    const cuts: number[] = [];
    for (let k = size; k < input.length; k += size) cuts.push(k);
    assert.equal(run(input, cuts, lim), whole, `chunks of ${size}`);
  }
});

const fuzz = suite('fuzz');

fuzz('mutated requests: never throw, same result at random cuts and byte by byte, validation never throws', () => {
  let seed = 0x2545f491;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const interesting = [0x0d, 0x0a, 0x20, 0x09, 0x3a, 0x00, 0x2c, 0x3b, 0x3d, 0x22, 0x5c, 0x7f, 0x80, 0xff, 0x41, 0x2f];
  const base = bytes(REQUEST + 'rest');
  const kinds = new Set<string>();
  for (let iter = 0; iter < 400; iter++) {
    const input = Uint8Array.from(base);
    const edits = 1 + rand(3);
    for (let e = 0; e < edits; e++) {
      input[rand(input.length)] = rand(2) === 0 ? interesting[rand(interesting.length)]! : rand(256);
    }
    const lim = { maxHeaderBytes: 150 + rand(300), maxHeaderCount: 3 + rand(8) };
    const whole = run(input, [], lim);
    const { outcome } = runBytewise(input, lim);
    const strip = (o: Outcome) => (o.kind === 'error' ? { ...o, at: 0 } : o);
    assert.equal(strip(outcome), strip(whole), `iteration ${iter} byte by byte`);
    for (let c = 0; c < 4; c++) {
      const cuts = [rand(input.length + 1), rand(input.length + 1), rand(input.length + 1)].sort((a, b) => a - b);
      assert.equal(strip(run(input, cuts, lim)), strip(whole), `iteration ${iter} cuts ${cuts}`);
    }
    kinds.add(whole.kind === 'error' ? String(whole.status) : whole.kind);
    if (whole.kind === 'complete') validateUpgrade(whole.head as Parameters<typeof validateUpgrade>[0]);
  }
  // The mutations reach the interesting outcomes.
  for (const k of ['complete', '400', '431']) assert.ok(kinds.has(k), `outcome ${k} reached: ${[...kinds]}`);
});

basics.run();
errors.run();
limits.run();
fuzz.run();
