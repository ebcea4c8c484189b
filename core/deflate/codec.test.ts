import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Inflate, deflateRaw, Z_SYNC_FLUSH } from 'pako';
import { MisuseError } from '../errors.ts';
import { pakoCodec, type MessageDecompressor } from './codec.ts';
import { seededRandom as rng } from '../bytes.ts';

const TAIL = [0x00, 0x00, 0xff, 0xff];
const enc = new TextEncoder();
const bytes = (...b: number[]) => new Uint8Array(b);

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const c of chunks) n += c.length;
  const all = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return all;
}


function randomBytes(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (r() * 256) | 0;
  return b;
}

/** JSON-like text with repeats at every distance, so that small windows matter. */
function jsonLike(n: number, seed: number): Uint8Array {
  const r = rng(seed);
  let s = '';
  let i = 0;
  while (s.length < n) {
    s += `{"id":${i++},"name":"user${(r() * 1000) | 0}","tags":["a","b${(r() * 50) | 0}"],"score":${(r() * 1e6) | 0}},`;
  }
  return enc.encode(s.slice(0, n));
}

/** Feeds `payload` in frames of the given sizes (the last frame gets the rest) and returns status and output. */
function inflateFrames(d: MessageDecompressor, payload: Uint8Array, sizes: number[], budget = 1 << 30) {
  const out: Uint8Array[] = [];
  let offset = 0;
  let status: string = 'ok';
  for (let i = 0; status === 'ok'; i++) {
    const size = i < sizes.length ? sizes[i]! : payload.length - offset;
    const end = Math.min(payload.length, offset + size);
    // Frames past the end of the payload are empty continuation frames, as a peer may send.
    const fin = end === payload.length && i >= sizes.length - 1;
    status = d.push(payload.subarray(offset, end), fin, budget, out);
    offset = end;
    if (fin) break;
  }
  return { status, data: concat(out) };
}

function inflateOne(d: MessageDecompressor, payload: Uint8Array, budget = 1 << 30) {
  const out: Uint8Array[] = [];
  const status = d.push(payload, true, budget, out);
  return { status, data: concat(out) };
}

const HELLO = enc.encode('Hello');
const HELLO_DEFLATED = bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);

// ---------------------------------------------------------------------------------------------------------
// RFC 7692 §7.2.3 samples

test('RFC 7692 §7.2.3.1: "Hello" in one frame and in two fragments', () => {
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.equal(inflateOne(d, HELLO_DEFLATED), { status: 'ok', data: HELLO });
  const d2 = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.equal(inflateFrames(d2, HELLO_DEFLATED, [3]), { status: 'ok', data: HELLO });
});

test('RFC 7692 §7.2.3.2: second "Hello" with context takeover', () => {
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.equal(inflateOne(d, HELLO_DEFLATED).data, HELLO);
  assert.equal(inflateOne(d, bytes(0xf2, 0x00, 0x11, 0x00, 0x00)), { status: 'ok', data: HELLO });
  // Without the previous message the back-reference is out of the window.
  const fresh = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.is(inflateOne(fresh, bytes(0xf2, 0x00, 0x11, 0x00, 0x00)).status, 'corrupt');
});

test('RFC 7692 §7.2.3.2: compressor output matches the samples', () => {
  for (const level of [1, 6, 9]) {
    const c = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level, memLevel: 8 });
    assert.equal(c.compress(HELLO), HELLO_DEFLATED);
    assert.equal(c.compress(HELLO), bytes(0xf2, 0x00, 0x11, 0x00, 0x00));
    const n = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level, memLevel: 8 });
    assert.equal(n.compress(HELLO), HELLO_DEFLATED);
    assert.equal(n.compress(HELLO), HELLO_DEFLATED);
  }
});

test('RFC 7692 §7.2.3.3: no compression (stored block, BFINAL 0)', () => {
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  const stored = bytes(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00);
  assert.equal(inflateOne(d, stored), { status: 'ok', data: HELLO });
  // Split at every offset.
  for (let cut = 0; cut <= stored.length; cut++) {
    const s = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
    assert.equal(inflateFrames(s, stored, [cut]), { status: 'ok', data: HELLO }, `cut ${cut}`);
  }
});

test('RFC 7692 §7.2.3.4: a block with BFINAL 1; the next message starts a new stream', () => {
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.equal(inflateOne(d, bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00)), { status: 'ok', data: HELLO });
  assert.equal(inflateOne(d, HELLO_DEFLATED), { status: 'ok', data: HELLO });
  assert.equal(inflateOne(d, bytes(0xf2, 0x00, 0x11, 0x00, 0x00)), { status: 'ok', data: HELLO });
});

test('RFC 7692 §7.2.3.5: two DEFLATE blocks in one message', () => {
  const twoBlocks = bytes(0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00);
  for (const noContextTakeover of [false, true]) {
    const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover });
    assert.equal(inflateOne(d, twoBlocks), { status: 'ok', data: HELLO });
    for (let cut = 0; cut <= twoBlocks.length; cut++) {
      const s = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover });
      assert.equal(inflateFrames(s, twoBlocks, [cut]), { status: 'ok', data: HELLO }, `cut ${cut}`);
    }
  }
});

test('RFC 7692 §7.2.3.6: empty message is the single byte 0x00, and decodes to nothing', () => {
  for (const noContextTakeover of [false, true]) {
    const c = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover, level: 1, memLevel: 8 });
    const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover });
    assert.equal(c.compress(HELLO), HELLO_DEFLATED);
    assert.equal(c.compress(new Uint8Array(0)), bytes(0x00));
    assert.equal(c.compress(new Uint8Array(0)), bytes(0x00));
    const next = c.compress(HELLO);
    assert.equal(inflateOne(d, HELLO_DEFLATED).data, HELLO);
    assert.equal(inflateOne(d, bytes(0x00)), { status: 'ok', data: new Uint8Array(0) });
    // A compressed message with no payload bytes at all is also an empty message and leaves the stream usable.
    assert.equal(inflateOne(d, new Uint8Array(0)), { status: 'ok', data: new Uint8Array(0) });
    assert.equal(inflateFrames(d, new Uint8Array(0), [0, 0]), { status: 'ok', data: new Uint8Array(0) });
    assert.equal(inflateOne(d, next), { status: 'ok', data: HELLO });
  }
});

// ---------------------------------------------------------------------------------------------------------
// Round trips

/** The message corpus: text, binary, repetitive, long-distance repeats, sizes from 1 byte to 200 KiB. */
function corpus(): Uint8Array[] {
  const rep = jsonLike(3000, 7);
  const farRepeat = concat([randomBytes(600, 3), randomBytes(40_000, 4), randomBytes(600, 3)]);
  return [
    enc.encode('a'),
    HELLO,
    jsonLike(1024, 1),
    jsonLike(64 * 1024, 2),
    randomBytes(5000, 5),
    new Uint8Array(200 * 1024).fill(0x41),
    concat([rep, rep, rep]),
    farRepeat,
    jsonLike(1024, 1),
    new Uint8Array(0),
    jsonLike(300, 9),
  ];
}

test('round trip: every window 8-15, with and without context takeover, our compressor → our decompressor', () => {
  const messages = corpus();
  for (let bits = 8; bits <= 15; bits++) {
    for (const noContextTakeover of [false, true]) {
      for (const level of [0, 1, 9]) {
        const c = pakoCodec.createCompressor({ windowBits: bits, noContextTakeover, level, memLevel: 8 });
        const d = pakoCodec.createDecompressor({ windowBits: bits, noContextTakeover });
        for (const [i, m] of messages.entries()) {
          const z = c.compress(m);
          const r = inflateOne(d, z);
          assert.is(r.status, 'ok', `bits ${bits} nct ${noContextTakeover} level ${level} msg ${i}`);
          assert.ok(r.data.length === m.length && r.data.every((b, k) => b === m[k]), `bits ${bits} msg ${i}`);
        }
      }
    }
  }
});

test('round trip: our compressor → pako Inflate with exactly the agreed window (8 bits included)', () => {
  // A 64-byte output chunk makes the inflater take every longer back-reference from its window, so a
  // distance beyond the agreed window is caught.
  const messages = corpus();
  for (let bits = 8; bits <= 15; bits++) {
    for (const noContextTakeover of [false, true]) {
      const c = pakoCodec.createCompressor({ windowBits: bits, noContextTakeover, level: 6, memLevel: 8 });
      let inf = new Inflate({ raw: true, windowBits: bits, chunkSize: 64 });
      for (const [i, m] of messages.entries()) {
        if (noContextTakeover) inf = new Inflate({ raw: true, windowBits: bits, chunkSize: 64 });
        const chunks: Uint8Array[] = [];
        inf.onData = (chunk) => chunks.push(chunk);
        inf.push(concat([c.compress(m), bytes(...TAIL)]), Z_SYNC_FLUSH);
        assert.is(inf.err, 0, `bits ${bits} nct ${noContextTakeover} msg ${i}: ${inf.msg}`);
        assert.equal(concat(chunks), m, `bits ${bits} nct ${noContextTakeover} msg ${i}`);
      }
    }
  }
});

test('window 8: a 9-bit zlib stream never reaches past 250 bytes, so it is valid for an 8-bit peer', () => {
  const strict = (payload: Uint8Array) => {
    // 1-byte output chunks: every back-reference must be resolved from the 256-byte window.
    const inf = new Inflate({ raw: true, windowBits: 8, chunkSize: 1 });
    inf.onData = () => {};
    inf.push(concat([payload, bytes(...TAIL)]), Z_SYNC_FLUSH);
    return inf.err;
  };
  const r = rng(11);
  for (const dist of [100, 200, 250, 251, 256, 300, 500, 700]) {
    const block = randomBytes(dist, dist);
    const m = concat(Array.from({ length: 20 }, () => block));
    // The checker has teeth: a 10-bit stream with repeats at 257–511 bytes is rejected.
    if (dist > 256 && dist < 512) assert.is.not(strict(deflateRaw(m, { windowBits: 10, level: 6 })), 0, `dist ${dist}`);
    for (const level of [1, 6, 9]) {
      const c = pakoCodec.createCompressor({ windowBits: 8, noContextTakeover: r() < 0.5, level, memLevel: 8 });
      const z = c.compress(m);
      assert.is(strict(z), 0, `dist ${dist} level ${level}`);
      // Repeats within 250 bytes are still compressed.
      if (dist <= 250 && level >= 6) assert.ok(z.length < m.length / 4, `dist ${dist}: ${z.length}`);
    }
  }
  // With context takeover, across messages.
  const c = pakoCodec.createCompressor({ windowBits: 8, noContextTakeover: false, level: 6, memLevel: 8 });
  const inf = new Inflate({ raw: true, windowBits: 8, chunkSize: 1 });
  const chunks: Uint8Array[] = [];
  inf.onData = (chunk) => chunks.push(chunk);
  const messages = [jsonLike(2000, 1), jsonLike(2000, 1), randomBytes(300, 2), jsonLike(700, 3)];
  for (const m of messages) inf.push(concat([c.compress(m), bytes(...TAIL)]), Z_SYNC_FLUSH);
  assert.is(inf.err, 0);
  assert.equal(concat(chunks), concat(messages));
});

test('context takeover is really used; no context takeover really resets', () => {
  const m = jsonLike(4000, 21);
  const c = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 8 });
  const first = c.compress(m).length;
  const second = c.compress(m).length;
  assert.ok(second < first / 5, `${second} vs ${first}`);
  const n = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 });
  assert.is(n.compress(m).length, first);
  assert.is(n.compress(m).length, first);
  // A decompressor without context takeover rejects a message that refers to the previous one.
  const c2 = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 8 });
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true });
  assert.is(inflateOne(d, c2.compress(m)).status, 'ok');
  assert.is(inflateOne(d, c2.compress(m)).status, 'corrupt');
});

test('no context takeover: every message compresses exactly as with a brand-new stream (reset is complete)', () => {
  const ms = [jsonLike(3000, 81), jsonLike(3000, 81), randomBytes(2000, 82), jsonLike(40_000, 83), jsonLike(3000, 81)];
  for (const bits of [8, 12, 15]) {
    for (const memLevel of [1, 8]) {
      const shared = pakoCodec.createCompressor({ windowBits: bits, noContextTakeover: true, level: 6, memLevel });
      for (const [i, m] of ms.entries()) {
        const fresh = pakoCodec.createCompressor({ windowBits: bits, noContextTakeover: false, level: 6, memLevel });
        assert.equal(shared.compress(m), fresh.compress(m), `bits ${bits} memLevel ${memLevel} msg ${i}`);
      }
    }
  }
});

test('compressor dispose: a fresh stream stays decodable by a context-keeping peer', () => {
  const c = pakoCodec.createCompressor({ windowBits: 12, noContextTakeover: false, level: 1, memLevel: 8 });
  const d = pakoCodec.createDecompressor({ windowBits: 12, noContextTakeover: false });
  const m = jsonLike(2000, 5);
  assert.equal(inflateOne(d, c.compress(m)).data, m);
  c.dispose();
  assert.equal(inflateOne(d, c.compress(m)).data, m);
  assert.equal(inflateOne(d, c.compress(m)).data, m);
});

test('decompressor keeps only the agreed window between messages', () => {
  // Message 2 repeats message 1 (20 000 bytes back): fine with a 15-bit window, out of a 10-bit one.
  // (Inside one message zlib may resolve longer distances from its output buffer; that costs no memory.)
  const block = randomBytes(20_000, 8);
  for (const [bits, expected] of [[15, 'ok'], [10, 'corrupt']] as const) {
    const c = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level: 6, memLevel: 8 });
    const d = pakoCodec.createDecompressor({ windowBits: bits, noContextTakeover: false });
    assert.is(inflateOne(d, c.compress(block)).status, 'ok');
    assert.is(inflateOne(d, c.compress(block)).status, expected, `bits ${bits}`);
  }
});

// ---------------------------------------------------------------------------------------------------------
// Fragmented input

test('fragmented messages: 1-byte frames, random frames, with and without context takeover', () => {
  const messages = [jsonLike(5000, 31), randomBytes(3000, 32), jsonLike(5000, 31), HELLO];
  for (const noContextTakeover of [false, true]) {
    const c = pakoCodec.createCompressor({ windowBits: 13, noContextTakeover, level: 1, memLevel: 8 });
    const d = pakoCodec.createDecompressor({ windowBits: 13, noContextTakeover });
    const r = rng(99);
    for (const [i, m] of messages.entries()) {
      const z = c.compress(m);
      const sizes = i % 2 === 0 ? new Array<number>(z.length).fill(1) : Array.from({ length: 50 }, () => (r() * 40) | 0);
      const result = inflateFrames(d, z, sizes);
      assert.is(result.status, 'ok');
      assert.equal(result.data, m, `msg ${i} nct ${noContextTakeover}`);
    }
  }
});

test('no context takeover: a fragmented message on one connection interleaved with others (shared streams)', () => {
  const a = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true });
  const b = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true });
  const cb = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 });
  const ca = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 });
  const ma = jsonLike(20_000, 41);
  const mb = jsonLike(7_000, 42);
  const za = ca.compress(ma);
  const outA: Uint8Array[] = [];
  const step = Math.ceil(za.length / 5);
  for (let off = 0; off < za.length; off += step) {
    const fin = off + step >= za.length;
    assert.is(a.push(za.subarray(off, off + step), fin, 1 << 30, outA), 'ok');
    // Another connection's single-frame messages (and compressions) in between.
    assert.equal(inflateOne(b, cb.compress(mb)).data, mb);
  }
  assert.equal(concat(outA), ma);
});

// ---------------------------------------------------------------------------------------------------------
// Budget and hostile input

test('bomb: 10 MiB of zeros (~10 KiB compressed) with a 1 MiB budget → too-big, output bounded', () => {
  const z = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 9, memLevel: 8 }).compress(
    new Uint8Array(10 * 1024 * 1024),
  );
  assert.ok(z.length < 12 * 1024, `compressed ${z.length}`);
  for (const frames of [[], [100, 100, 100]]) {
    const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
    const out: Uint8Array[] = [];
    let status = 'ok';
    let offset = 0;
    for (let i = 0; status === 'ok' && offset < z.length; i++) {
      const end = i < frames.length ? offset + frames[i]! : z.length;
      status = d.push(z.subarray(offset, end), end === z.length, 1024 * 1024, out);
      offset = end;
    }
    assert.is(status, 'too-big');
    const total = out.reduce((n, c) => n + c.length, 0);
    // At most one byte past the budget is produced (and handed over, so the caller can judge it).
    assert.ok(total <= 1024 * 1024 + 1, `output ${total}`);
    // Stays failed.
    assert.is(d.push(HELLO_DEFLATED, true, 1 << 30, out), 'too-big');
  }
});

test('budget is exact and counts the whole message across frames', () => {
  const m = jsonLike(10_000, 51);
  const z = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 }).compress(m);
  assert.is(inflateOne(pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true }), z, m.length).status, 'ok');
  assert.is(inflateOne(pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true }), z, m.length - 1).status, 'too-big');
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.is(inflateFrames(d, z, [10, 10, 10], m.length - 1).status, 'too-big');
  // The budget is per message: many messages each under budget are fine.
  const c = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 8 });
  const d2 = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  for (let i = 0; i < 20; i++) assert.is(inflateOne(d2, c.compress(m), m.length).status, 'ok');
  // Zero budget: only an empty message fits.
  assert.is(inflateOne(pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true }), bytes(0x00), 0).status, 'ok');
  assert.is(inflateOne(pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true }), HELLO_DEFLATED, 0).status, 'too-big');
});

test('corrupt input → corrupt, never a throw, and stays failed', () => {
  const cases = [
    bytes(0x07), // BTYPE 3 (reserved)
    bytes(0xff, 0xff, 0xff, 0xff),
    bytes(0x00, 0x05, 0x00, 0x00, 0x00, 0x48), // stored block with LEN/NLEN mismatch
    bytes(0xf2, 0x00, 0x11, 0x00, 0x00), // distance beyond an empty window
  ];
  for (const payload of cases) {
    const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
    assert.is(inflateOne(d, payload).status, 'corrupt', Array.from(payload).join(','));
    assert.is(inflateOne(d, HELLO_DEFLATED).status, 'corrupt');
  }
});

test('data that stops inside a block → corrupt (the tail would become content), however it is framed', () => {
  // A compressed "Hello" with its block's end cut: the Huffman block is unfinished.
  const unfinishedHuffman = HELLO_DEFLATED.subarray(0, 5);
  const cases = [
    bytes(0x00, 0x0a, 0x00, 0xf5, 0xff, 0x41, 0x42), // a stored block of 10 bytes that carries 2
    bytes(0x00, 0x00, 0xff, 0xff), // this alone starts a stored block of 0xff00 bytes
    unfinishedHuffman,
  ];
  for (const payload of cases) {
    for (const sizes of [[], [1], [2, 1]]) {
      const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: sizes.length === 0 });
      assert.is(inflateFrames(d, payload, sizes).status, 'corrupt', `${Array.from(payload).join(',')} in frames ${sizes}`);
    }
  }
  // The complete forms of the same data are fine: a stored block with all its bytes, and the whole "Hello".
  const whole = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.equal(inflateOne(whole, bytes(0x00, 0x02, 0x00, 0xfd, 0xff, 0x41, 0x42, 0x00)), { status: 'ok', data: enc.encode('AB') });
  assert.equal(inflateOne(whole, HELLO_DEFLATED), { status: 'ok', data: HELLO });
});

test('random garbage never throws (1000 payloads, fragmented too)', () => {
  const r = rng(1234);
  for (let i = 0; i < 1000; i++) {
    const payload = randomBytes(1 + ((r() * 300) | 0), i);
    const d = pakoCodec.createDecompressor({ windowBits: 8 + (i % 8), noContextTakeover: i % 2 === 0 });
    const result = inflateFrames(d, payload, [(r() * 50) | 0, (r() * 50) | 0], 1 + ((r() * 100_000) | 0));
    assert.ok(['ok', 'too-big', 'corrupt'].includes(result.status));
  }
});

test('dispose: later pushes report corrupt', () => {
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: false });
  assert.is(inflateFrames(d, HELLO_DEFLATED, [2]).status, 'ok');
  d.dispose();
  assert.is(inflateOne(d, HELLO_DEFLATED).status, 'corrupt');
});

test('input and output arrays: input not modified, output owned by the caller', () => {
  const m = jsonLike(3000, 61);
  const copy = m.slice();
  const c = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 1, memLevel: 8 });
  const z1 = c.compress(m);
  const z1copy = z1.slice();
  c.compress(jsonLike(3000, 62)); // must not overwrite z1 (scratch reuse)
  assert.equal(m, copy);
  assert.equal(z1, z1copy);
  const d = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover: true });
  const first = inflateOne(d, z1).data;
  inflateOne(d, c.compress(HELLO));
  assert.equal(first, m);
});

test('misuse: out-of-range codec params throw INVALID_OPTION', () => {
  const bad = [
    () => pakoCodec.createCompressor({ windowBits: 7, noContextTakeover: false, level: 1, memLevel: 8 }),
    () => pakoCodec.createCompressor({ windowBits: 16, noContextTakeover: false, level: 1, memLevel: 8 }),
    () => pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level: 10, memLevel: 8 }),
    () => pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: false, level: 1, memLevel: 0 }),
    () => pakoCodec.createDecompressor({ windowBits: 16, noContextTakeover: false }),
    () => pakoCodec.createDecompressor({ windowBits: 9.5, noContextTakeover: false }),
  ];
  for (const f of bad) {
    assert.throws(f, (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION');
  }
});

test('memLevel 1-9 all round-trip (classic hash below 8)', () => {
  const m = jsonLike(30_000, 71);
  for (let memLevel = 1; memLevel <= 9; memLevel++) {
    const c = pakoCodec.createCompressor({ windowBits: 12, noContextTakeover: false, level: 6, memLevel });
    const d = pakoCodec.createDecompressor({ windowBits: 12, noContextTakeover: false });
    assert.equal(inflateOne(d, c.compress(m)).data, m);
    assert.equal(inflateOne(d, c.compress(m)).data, m);
  }
});

test('a distance beyond the agreed window fails however the frames are cut; one within it never does', () => {
  // 600 random bytes, then the same 600 again: one match at distance 600, beyond a 9-bit (512-byte) window.
  const block = randomBytes(600, 11);
  const data = concat([block, block]);
  const far = deflateRaw(data, { windowBits: 15 });
  const near = deflateRaw(data, { windowBits: 9 });
  const cuts: number[][] = [[], [1], [far.length >> 1], Array.from({ length: far.length }, () => 1)];
  for (const sizes of cuts) {
    for (const noContextTakeover of [false, true]) {
      for (const agreed of [8, 9]) {
        const d = pakoCodec.createDecompressor({ windowBits: agreed, noContextTakeover });
        assert.is(inflateFrames(d, far, sizes).status, 'corrupt', `agreed ${agreed}, frames ${sizes.length}`);
      }
      // Agreed 8 is inflated with 9 bits (see PakoDecompressor): a 9-bit peer stays within it.
      for (const agreed of [8, 9, 15]) {
        const d = pakoCodec.createDecompressor({ windowBits: agreed, noContextTakeover });
        assert.equal(inflateFrames(d, near, sizes), { status: 'ok', data }, `agreed ${agreed}`);
      }
      const d15 = pakoCodec.createDecompressor({ windowBits: 15, noContextTakeover });
      assert.equal(inflateFrames(d15, far, sizes), { status: 'ok', data });
    }
  }
});

test.run();
