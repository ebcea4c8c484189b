import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  COPY_PAYLOAD_MAX_BYTES,
  encodeFrame,
  encodeFrameHeader,
  encodeMaskedFrame,
  frameHeaderLength,
} from './encoder.ts';
import { unmask } from './mask.ts';
import { OPCODE_BINARY, OPCODE_CLOSE, OPCODE_CONTINUATION, OPCODE_PING, OPCODE_TEXT } from './opcodes.ts';
import { OUTPUT_SLAB_BYTES, allocateOutputChunk } from './output-slab.ts';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (chunks: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

test('RFC 6455 §5.7: single-frame unmasked text "Hello"', () => {
  const out: Uint8Array[] = [];
  const n = encodeFrame(true, false, OPCODE_TEXT, text('Hello'), out);
  assert.is(n, 7);
  assert.is(out.length, 1, 'small payload is copied into one chunk');
  assert.is(hex(out[0]!), '810548656c6c6f');
});

test('RFC 6455 §5.7: masked "Hello" with key 37 fa 21 3d', () => {
  const out: Uint8Array[] = [];
  const payload = text('Hello');
  const n = encodeMaskedFrame(true, false, OPCODE_TEXT, payload, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]), out);
  assert.is(n, 11);
  assert.is(out.length, 1);
  assert.is(hex(out[0]!), '818537fa213d7f9f4d5158');
  assert.is(new TextDecoder().decode(payload), 'Hello', 'payload not modified');
});

test('RFC 6455 §5.7: fragmented unmasked text "Hel" + "lo"', () => {
  const out: Uint8Array[] = [];
  encodeFrame(false, false, OPCODE_TEXT, text('Hel'), out);
  encodeFrame(true, false, OPCODE_CONTINUATION, text('lo'), out);
  assert.equal(out.map(hex), ['010348656c', '80026c6f']);
});

test('RFC 6455 §5.7: unmasked ping "Hello"', () => {
  const out: Uint8Array[] = [];
  encodeFrame(true, false, OPCODE_PING, text('Hello'), out);
  assert.is(hex(out[0]!), '890548656c6c6f');
});

test('RFC 6455 §5.7: 256-byte and 64 KiB binary headers', () => {
  assert.is(hex(encodeFrameHeader(true, false, OPCODE_BINARY, 256)), '827e0100');
  assert.is(hex(encodeFrameHeader(true, false, OPCODE_BINARY, 65536)), '827f0000000000010000');
});

test('minimal length encoding at every boundary (RFC 6455 §5.2)', () => {
  const cases: [number, string][] = [
    [0, '8200'],
    [125, '827d'],
    [126, '827e007e'],
    [65535, '827effff'],
    [65536, '827f0000000000010000'],
    [2 ** 32 - 1, '827f00000000ffffffff'],
    [2 ** 32, '827f0000000100000000'],
    [2 ** 53 - 1, '827f001fffffffffffff'],
  ];
  for (const [len, expected] of cases) {
    assert.is(hex(encodeFrameHeader(true, false, OPCODE_BINARY, len)), expected, `length ${len}`);
    assert.is(frameHeaderLength(len), expected.length / 2, `header length ${len}`);
  }
});

test('FIN, RSV1 and opcode bits', () => {
  assert.is(hex(encodeFrameHeader(false, false, OPCODE_CONTINUATION, 0)), '0000');
  assert.is(hex(encodeFrameHeader(true, true, OPCODE_TEXT, 1)), 'c101');
  assert.is(hex(encodeFrameHeader(false, true, OPCODE_BINARY, 1)), '4201');
  assert.is(hex(encodeFrameHeader(true, false, OPCODE_CLOSE, 2)), '8802');
});

test('payload at the copy threshold is one chunk; above it header and payload are separate (no copy)', () => {
  const small = new Uint8Array(COPY_PAYLOAD_MAX_BYTES).fill(1);
  const out1: Uint8Array[] = [];
  assert.is(encodeFrame(true, false, OPCODE_BINARY, small, out1), COPY_PAYLOAD_MAX_BYTES + 4);
  assert.is(out1.length, 1);
  assert.is(hex(out1[0]!.subarray(0, 4)), '827e' + COPY_PAYLOAD_MAX_BYTES.toString(16).padStart(4, '0'));
  assert.ok(out1[0]!.subarray(4).every((b) => b === 1));

  const large = new Uint8Array(COPY_PAYLOAD_MAX_BYTES + 1).fill(2);
  const out2: Uint8Array[] = [];
  assert.is(encodeFrame(true, false, OPCODE_BINARY, large, out2), COPY_PAYLOAD_MAX_BYTES + 5);
  assert.is(out2.length, 2);
  assert.is(out2[1], large, 'payload passed through by reference');
  assert.is(hex(out2[0]!), '827e' + (COPY_PAYLOAD_MAX_BYTES + 1).toString(16).padStart(4, '0'));
});

test('encodeFrame appends to existing chunks and copies (later payload changes do not leak)', () => {
  const out: Uint8Array[] = [new Uint8Array([0xff])];
  const payload = text('abc');
  encodeFrame(true, false, OPCODE_TEXT, payload, out);
  payload[0] = 0x7a;
  assert.is(out.length, 2);
  assert.is(hex(out[1]!), '8103616263');
});

test('empty payloads', () => {
  const out: Uint8Array[] = [];
  assert.is(encodeFrame(true, false, OPCODE_CLOSE, new Uint8Array(0), out), 2);
  assert.is(hex(out[0]!), '8800');
  const masked: Uint8Array[] = [];
  assert.is(encodeMaskedFrame(true, false, OPCODE_PING, new Uint8Array(0), new Uint8Array([1, 2, 3, 4]), masked), 6);
  assert.is(hex(masked[0]!), '898001020304');
});

test('masked frames of all length classes round-trip through unmask', () => {
  const key = new Uint8Array([0x11, 0x22, 0x33, 0x44]);
  for (const len of [1, 125, 126, 1000, 65535, 65536, 70001]) {
    const payload = new Uint8Array(len);
    for (let i = 0; i < len; i++) payload[i] = (i * 31 + 7) & 0xff;
    const out: Uint8Array[] = [];
    const n = encodeMaskedFrame(true, true, OPCODE_BINARY, payload, key, out);
    const frame = concat(out);
    assert.is(frame.length, n);
    const headerLength = frameHeaderLength(len) + 4;
    assert.is(n, headerLength + len);
    assert.is(frame[0], 0xc2);
    assert.is(frame[1]! & 0x80, 0x80, 'MASK bit set');
    assert.equal([...frame.subarray(headerLength - 4, headerLength)], [...key]);
    unmask(frame, headerLength, frame.length, key, 0);
    assert.equal(frame.subarray(headerLength), payload, `length ${len}`);
  }
});

test('many small frames: earlier chunks are not overwritten when the output slab rolls over', () => {
  const out: Uint8Array[] = [];
  const count = Math.ceil((3 * OUTPUT_SLAB_BYTES) / 100);
  for (let i = 0; i < count; i++) encodeFrame(true, false, OPCODE_BINARY, new Uint8Array(90).fill(i & 0xff), out);
  for (let i = 0; i < count; i++) {
    const chunk = out[i]!;
    assert.is(chunk.length, 92);
    assert.is(chunk[1], 90);
    assert.ok(chunk.subarray(2).every((b) => b === (i & 0xff)), `frame ${i}`);
  }
});

test('output chunks are 8-byte aligned and exactly sized', () => {
  for (const len of [1, 7, 8, 9, 100, 8192, 8193]) {
    const chunk = allocateOutputChunk(len);
    assert.is(chunk.length, len);
    assert.is(chunk.byteOffset % 8, 0);
  }
});

test.run();
