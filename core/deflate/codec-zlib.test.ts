/**
 * Cross-check of the pako codec against the zlib that Node links (C, independent of pako): zlib inflates what
 * we compress, and we inflate what zlib compresses, for every window size. Node only: Bun and Deno ship other
 * zlib bindings, and the project's own tests must not depend on them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { pakoCodec } from './codec.ts';

declare const Deno: unknown;
const isNode =
  typeof Bun === 'undefined' && typeof Deno === 'undefined' && typeof process !== 'undefined' && !!process.versions?.node;

type Zlib = typeof import('node:zlib');
const zlib: Zlib | undefined = isNode ? await import('node:zlib') : undefined;

const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);
const enc = new TextEncoder();

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    all.set(c, o);
    o += c.length;
  }
  return all;
}

function messages(): Uint8Array[] {
  let s = '';
  for (let i = 0; s.length < 70_000; i++) s += `{"id":${i},"user":"name${(i * 7919) % 1000}","ok":${i % 3 === 0}},`;
  const text = enc.encode(s);
  const noise = new Uint8Array(4000).map((_, i) => (i * 2654435761) >>> 24);
  return [enc.encode('Hello'), text.subarray(0, 1024), text, noise, new Uint8Array(100_000), text.subarray(500, 3000), new Uint8Array(0)];
}

const maybe = zlib === undefined ? test.skip : test;

maybe('ours → node:zlib inflateRaw, windows 8-15, with and without context takeover', () => {
  const z = zlib!;
  const ms = messages();
  for (let bits = 8; bits <= 15; bits++) {
    for (const noContextTakeover of [false, true]) {
      const c = pakoCodec.createCompressor({ windowBits: bits, noContextTakeover, level: 6, memLevel: 8 });
      const payloads = ms.map((m) => concat([c.compress(m), TAIL]));
      const opts = { windowBits: bits, finishFlush: z.constants.Z_SYNC_FLUSH };
      if (noContextTakeover) {
        for (const [i, p] of payloads.entries()) {
          assert.equal(new Uint8Array(z.inflateRawSync(p, opts)), ms[i], `bits ${bits} msg ${i}`);
        }
      } else {
        // With context takeover the messages form one continuous DEFLATE stream.
        assert.equal(new Uint8Array(z.inflateRawSync(concat(payloads), opts)), concat(ms), `bits ${bits}`);
      }
    }
  }
});

maybe('node:zlib deflateRaw → ours, windows 9-15 (zlib has no raw 8), each message a fresh stream', () => {
  const z = zlib!;
  const ms = messages();
  for (let bits = 9; bits <= 15; bits++) {
    for (const noContextTakeover of [false, true]) {
      // A fresh stream per message is also valid for a peer that keeps its context.
      const d = pakoCodec.createDecompressor({ windowBits: bits, noContextTakeover });
      for (const [i, m] of ms.entries()) {
        const full = new Uint8Array(z.deflateRawSync(m, { windowBits: bits, level: 6, finishFlush: z.constants.Z_SYNC_FLUSH }));
        assert.equal(Array.from(full.subarray(full.length - 4)), [0, 0, 0xff, 0xff]);
        const payload = full.subarray(0, full.length - 4);
        const out: Uint8Array[] = [];
        // Fragmented in 1000-byte frames.
        let status = 'ok';
        for (let off = 0; status === 'ok'; off += 1000) {
          const fin = off + 1000 >= payload.length;
          status = d.push(payload.subarray(off, off + 1000), fin, 1 << 30, out);
          if (fin) break;
        }
        assert.is(status, 'ok', `bits ${bits} msg ${i}`);
        assert.equal(concat(out), m, `bits ${bits} msg ${i}`);
      }
    }
  }
});

maybe('sizes are comparable with node:zlib at the same settings', () => {
  const z = zlib!;
  const text = messages()[2]!;
  const ours = pakoCodec.createCompressor({ windowBits: 15, noContextTakeover: true, level: 6, memLevel: 8 }).compress(text);
  const theirs = z.deflateRawSync(text, { windowBits: 15, level: 6, memLevel: 8, finishFlush: z.constants.Z_SYNC_FLUSH });
  assert.ok(Math.abs(ours.length + 4 - theirs.length) <= theirs.length * 0.1, `${ours.length + 4} vs ${theirs.length}`);
});

test.run();
