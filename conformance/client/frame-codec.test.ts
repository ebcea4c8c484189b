import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { type DecodedFrame, encodeFrame, FrameDecoder, maskInPlace } from './frame-codec.ts';

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

function decodeAll(chunks: Uint8Array[]): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  const d = new FrameDecoder((f) => {
    frames.push(f);
    return true;
  });
  for (const c of chunks) d.push(c);
  return frames;
}

test('RFC 6455 §5.7 vectors: unmasked and masked "Hello"', () => {
  const hello = new TextEncoder().encode('Hello');
  assert.equal([...encodeFrame({ opcode: 1, payload: hello, fin: true, rsv: 0, mask: null })], [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]);
  assert.equal([...encodeFrame({ opcode: 1, payload: hello, fin: true, rsv: 0, mask: MASK })],
    [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]);
});

test('length encodings: 7-bit, 16-bit and 64-bit headers', () => {
  for (const [len, headLen, code] of [[0, 6, 0], [125, 6, 125], [126, 8, 126], [65535, 8, 126], [65536, 14, 127]] as const) {
    const f = encodeFrame({ opcode: 2, payload: new Uint8Array(len).fill(7), fin: true, rsv: 0, mask: MASK });
    assert.is(f.length, headLen + len, `len ${len}`);
    assert.is(f[1]! & 0x7f, code);
    const [d] = decodeAll([f]);
    assert.is(d!.payload.length, len);
    assert.ok(d!.payload.every((b) => b === 7));
    assert.is(d!.nonMinimalLength, false);
  }
});

test('opcode, FIN and RSV bits are written as given, even invalid ones', () => {
  const f = encodeFrame({ opcode: 11, payload: new Uint8Array(0), fin: false, rsv: 5, mask: MASK });
  assert.is(f[0], 0x50 | 11);
  const [d] = decodeAll([f]);
  assert.equal([d!.fin, d!.rsv, d!.opcode, d!.masked], [false, 5, 11, true]);
});

test('decoder: any split of a multi-frame stream yields the same frames', () => {
  const frames = [
    encodeFrame({ opcode: 1, payload: new TextEncoder().encode('fragment1'), fin: false, rsv: 0, mask: null }),
    encodeFrame({ opcode: 9, payload: new Uint8Array([1, 2, 3]), fin: true, rsv: 0, mask: null }),
    encodeFrame({ opcode: 0, payload: new Uint8Array(300).fill(0xab), fin: true, rsv: 4, mask: null }),
    encodeFrame({ opcode: 8, payload: new Uint8Array(0), fin: true, rsv: 0, mask: null }),
  ];
  const stream = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let o = 0;
  for (const f of frames) {
    stream.set(f, o);
    o += f.length;
  }
  const whole = decodeAll([stream]);
  assert.is(whole.length, 4);
  for (let cut = 0; cut <= stream.length; cut++) {
    const got = decodeAll([stream.subarray(0, cut), stream.subarray(cut)]);
    assert.is(got.length, 4, `cut ${cut}`);
    for (let i = 0; i < 4; i++) {
      assert.is(got[i]!.opcode, whole[i]!.opcode);
      assert.equal([...got[i]!.payload], [...whole[i]!.payload]);
    }
  }
  // Byte by byte.
  const bytes = Array.from(stream, (b) => new Uint8Array([b]));
  assert.is(decodeAll(bytes).length, 4);
});

test('decoder flags lengths that are not minimally encoded', () => {
  const f = new Uint8Array([0x82, 126, 0x00, 0x05, 1, 2, 3, 4, 5]);
  const [d] = decodeAll([f]);
  assert.is(d!.nonMinimalLength, true);
  assert.is(d!.payload.length, 5);
});

test('decoder stops when the callback returns false, and refuses oversized frames before allocating', () => {
  const two = new Uint8Array([0x81, 0x01, 0x41, 0x81, 0x01, 0x42]);
  const seen: number[] = [];
  const d = new FrameDecoder((f) => {
    seen.push(f.payload[0]!);
    return false;
  });
  d.push(two);
  assert.equal(seen, [0x41]);
  let tooLarge = -1;
  const big = new FrameDecoder(() => true, 1000, (n) => { tooLarge = n; });
  big.push(new Uint8Array([0x82, 127, 0, 0, 0, 1, 0, 0, 0, 0]));
  assert.is(tooLarge, 2 ** 32);
});

test('maskInPlace equals byte-wise XOR at every alignment and length', () => {
  const buf = new Uint8Array(64);
  for (let start = 0; start < 8; start++) {
    for (let len = 0; len < 40; len++) {
      for (let i = 0; i < buf.length; i++) buf[i] = (i * 31 + 7) & 0xff;
      const expected = buf.slice();
      for (let i = 0; i < len; i++) expected[start + i]! ^= MASK[i & 3]!;
      maskInPlace(buf, start, len, MASK);
      assert.equal([...buf], [...expected], `start ${start} len ${len}`);
    }
  }
});

test.run();
