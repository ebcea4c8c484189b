// The accelerators change speed only: the same input, cut the same way, gives the same events and the same bytes
// out with or without them. Streams mix sizes on both sides of every threshold (bulk UTF-8 at 512 B, bulk
// unmasking at 256 B and per runtime, uninitialized allocation at 16 KiB, the 64 KiB unmask block) with broken
// UTF-8 at random places, fragments, pings and random chunking, and a burst of small messages.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isUtf8 } from 'node:buffer';
import type { Accelerators } from '../../core/accelerators.ts';
import type { ConnectionEvent } from '../../core/events.ts';
import { clientFrame, concatBytes, harness, seededRandom, upgradeRequest } from '../../core/testing.ts';
import { detectRuntime } from '../runtime.ts';
import { acceleratorsFor } from './accelerators.ts';
import { testAccelerators } from '../../scripts/fuzz/check.ts';

const SIZES = [0, 5, 125, 126, 300, 511, 512, 900, 5000, 16383, 16384, 40000, 65535, 65536, 65537, 140000];

function randomText(rand: () => number, n: number): Uint8Array {
  const pieces = ['a', 'hello ', 'é', '€', '𝄞', '{"k":1}'];
  let s = '';
  while (s.length < n) s += pieces[(rand() * pieces.length) | 0];
  const bytes = new TextEncoder().encode(s);
  // Cut at a character boundary at or below n.
  let end = Math.min(n, bytes.length);
  while (end > 0 && end < bytes.length && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}

/** A client stream: the upgrade, then messages of every size, some fragmented, some text with a broken byte. */
function stream(rand: () => number, breakUtf8: boolean): Uint8Array {
  const parts: Uint8Array[] = [upgradeRequest()];
  for (const size of SIZES) {
    const text = rand() < 0.6;
    const payload = text ? randomText(rand, size) : new Uint8Array(size).map(() => (rand() * 256) | 0);
    if (rand() < 0.3 && payload.length > 2) {
      // Fragmented, with a ping between the fragments.
      const cut = 1 + ((rand() * (payload.length - 1)) | 0);
      parts.push(clientFrame(text ? 1 : 2, payload.subarray(0, cut), { fin: false }));
      parts.push(clientFrame(9, 'p'));
      parts.push(clientFrame(0, payload.subarray(cut)));
    } else {
      parts.push(clientFrame(text ? 1 : 2, payload));
    }
  }
  // ASCII after a cut multi-byte sequence: the ASCII shortcut must not skip the check that fails it.
  const euro = new TextEncoder().encode('€');
  const ascii = new Uint8Array(3000).fill(0x61);
  parts.push(clientFrame(1, concatBytes([ascii, euro.subarray(0, 2)]), { fin: false }));
  parts.push(clientFrame(0, rand() < 0.5 ? concatBytes([euro.subarray(2), ascii]) : ascii));
  parts.push(clientFrame(1, ascii));
  // A burst of small messages (one run in one read), around the sizes that get arrays of their own on Bun.
  const small = [1, 16, 40, 63, 64, 65, 100, 200, 255, 256, 257];
  const broken = breakUtf8 && rand() < 0.5 ? (rand() * small.length) | 0 : -1;
  small.forEach((size, i) => {
    const text = i === broken || rand() < 0.5;
    const payload = text ? randomText(rand, size) : new Uint8Array(size).map(() => (rand() * 256) | 0);
    if (i === broken) payload[(rand() * payload.length) | 0] = 0xc0;
    parts.push(clientFrame(text ? 1 : 2, payload));
  });
  if (breakUtf8 && broken < 0) {
    const payload = randomText(rand, 70000);
    payload[(rand() * payload.length) | 0] = 0xff;
    parts.push(clientFrame(1, payload));
  }
  parts.push(clientFrame(8, new Uint8Array([0x03, 0xe8])));
  return concatBytes(parts);
}

function run(bytes: Uint8Array, cuts: number[], accelerators: Accelerators, receiveMode: 'message' | 'stream'): { events: string[]; output: Uint8Array } {
  const h = harness({ accelerators, receiveMode, limits: { maxMessageSize: 1 << 20 } });
  let at = 0;
  for (const cut of [...cuts, bytes.length]) {
    h.feed(bytes.subarray(at, cut));
    at = cut;
  }
  const show = (e: ConnectionEvent): string => {
    const data = 'data' in e && e.data instanceof Uint8Array ? ` ${e.data.length}:${hash(e.data)}` : '';
    return `${e.type}${data} ${JSON.stringify({ ...e, data: undefined, request: undefined })}`;
  };
  return { events: h.events.map(show), output: h.output() };
}

function hash(bytes: Uint8Array): number {
  let h = 2166136261;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 16777619);
  return h >>> 0;
}

const runtime = detectRuntime();
const sets: [string, Accelerators][] = [
  [`this runtime's (${runtime})`, acceleratorsFor(runtime)],
  // As where bufferutil and utf-8-validate are not installed: WebAssembly unmasking and the runtime's isUtf8.
  [`this runtime's without native addons (${runtime})`, acceleratorsFor(runtime, false)],
  // Every accelerator at every size (as the fuzzer uses them), so that each bulk path also sees tiny and cut-up runs.
  ['all, no thresholds', testAccelerators(isUtf8)],
];

for (const [name, accelerators] of sets) {
  test(`${name}: same events and output as plain ECMAScript, whole and randomly cut, message and stream mode`, () => {
    const rand = seededRandom(2026);
    for (let round = 0; round < 6; round++) {
      const bytes = stream(rand, round % 2 === 1);
      const cuts: number[] = [];
      // Whole, cut into socket-sized reads, and cut at random places (some 1 byte apart).
      if (round >= 2) {
        const step = round < 4 ? 65536 : 0;
        for (let at = 0; at < bytes.length; ) {
          at += step || 1 + ((rand() * (rand() < 0.2 ? 8 : 30000)) | 0);
          if (at < bytes.length) cuts.push(at);
        }
      }
      for (const mode of ['message', 'stream'] as const) {
        const plain = run(bytes, cuts, {}, mode);
        const fast = run(bytes, cuts, accelerators, mode);
        assert.ok(plain.events.length > SIZES.length, 'the stream was decoded');
        if (round % 2 === 1) assert.ok(plain.events.some((e) => e.includes('INVALID_UTF8')), 'the broken byte was found');
        assert.equal(fast.events, plain.events, `round ${round}, ${mode}: events`);
        assert.equal(fast.output, plain.output, `round ${round}, ${mode}: output`);
      }
    }
  });
}

test.run();
