import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionEvent } from '../events.ts';
import { ServerConnection } from '../connection.ts';
import type { Accelerators, RunUnmask } from '../accelerators.ts';
import { unmask } from './mask.ts';
import { concatBytes, seededRandom } from '../bytes.ts';
import { clientFrame, harness, upgradeRequest } from '../testing.ts';

// Whole messages of one type lying one after another in a chunk are unmasked together and, for text, UTF-8-checked
// in one pass (FrameReceiver.messageRun). Every test compares the events of a stream fed in one chunk (the run
// path) with the same stream fed one frame per chunk (the one-message path): they must be identical, with no
// accelerator, with a run unmasker, and with a run unmasker that declines every run.

const enc = new TextEncoder();

/** A run unmasker in plain ECMAScript (per payload, with the core's loop), as the accelerator contract says. */
const jsRunUnmask: RunUnmask = (buf, start, end, payloads, lengths, masks, count) => {
  if (start < 0 || end > buf.length) throw new RangeError('run outside its buffer');
  for (let i = 0; i < count; i++) {
    const m = masks[i]!;
    unmask(buf, payloads[i]!, payloads[i]! + lengths[i]!, Uint8Array.of(m & 0xff, (m >>> 8) & 0xff, (m >>> 16) & 0xff, m >>> 24), 0);
  }
  return true;
};
const acceleratorSets: [string, Accelerators][] = [
  ['no accelerator', {}],
  ['a run unmasker', { unmaskRun: jsRunUnmask }],
  ['a run unmasker that declines', { unmaskRun: () => false }],
  // Small messages copied out of the chunk (as on Bun) instead of viewed in it.
  ['own arrays for small messages', { ownArraysUpTo: 64 }],
  ['own arrays and a run unmasker', { ownArraysUpTo: 64, unmaskRun: jsRunUnmask }],
];

function show(events: readonly ConnectionEvent[]): string[] {
  return events.map((e) => {
    if (e.type === 'message') return `message ${e.binary ? 'binary ' + [...e.data].join(',') : 'text ' + new TextDecoder().decode(e.data)}`;
    if (e.type === 'request') return 'request';
    return JSON.stringify(e);
  });
}

function run(
  frames: readonly Uint8Array[],
  whole: boolean,
  onMessage?: (index: number, conn: ServerConnection) => void,
  accelerators: Accelerators = {},
): { events: string[]; output: Uint8Array } {
  let index = 0;
  const h = harness({ accelerators }, (event, conn) => {
    if (event.type === 'request') conn.accept();
    if (event.type === 'message' && onMessage) onMessage(index++, conn);
  });
  h.feed(upgradeRequest());
  if (whole) h.feed(concatBytes(frames));
  else for (const f of frames) h.feed(f);
  return { events: show(h.events), output: h.output() };
}

function same(frames: readonly Uint8Array[], label: string, onMessage?: (index: number, conn: ServerConnection) => void): string[] {
  const one = run(frames, false, onMessage);
  for (const [name, accelerators] of acceleratorSets) {
    const all = run(frames, true, onMessage, accelerators);
    assert.equal(all.events, one.events, `${label}, ${name}`);
    assert.equal(all.output, one.output, `${label}, ${name}: bytes written`);
  }
  return one.events;
}

const texts = ['', 'a', 'héllo wörld', '€'.repeat(41), 'x'.repeat(125), 'y'.repeat(126), '😀'.repeat(300), '{"id":42}'];

test('a burst of text messages of every length form (with a 16-bit length on a short payload) arrives whole, in order', () => {
  const frames = texts.map((t, i) => clientFrame(1, t, { mask: [i, 0x80 + i, 7, 0xff - i], lengthForm: i === 2 ? 16 : undefined }));
  const events = same(frames, 'burst');
  assert.equal(events.filter((e) => e.startsWith('message')).length, texts.length);
});

test('a burst of binary messages, and bursts alternating between text and binary, arrive whole, in order', () => {
  const bin = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 37 + seed) & 0xff);
  const binary = [0, 1, 5, 125, 126, 300, 4000].map((n, i) => clientFrame(2, bin(n, i), { mask: [i, 9, 0x80, 0xff - i] }));
  assert.is(same(binary, 'binary burst').filter((e) => e.startsWith('message binary')).length, binary.length);
  const mixed = [clientFrame(1, 'a'), clientFrame(1, 'b'), ...binary.slice(0, 3), clientFrame(1, 'é'), clientFrame(1, 'ü'), ...binary.slice(3)];
  same(mixed, 'alternating');
});

test('invalid UTF-8 in one message of a burst: those before it arrive, then 1007, wherever it is', () => {
  const bad = [
    Uint8Array.of(0x61, 0xc3), // cut at the end of its message (the next byte is the next header)
    Uint8Array.of(0xed, 0xa0, 0x80), // surrogate
    Uint8Array.of(0x80), // stray continuation at the start
    Uint8Array.of(0xf4, 0x90, 0x80, 0x80), // past U+10FFFF
  ];
  for (const b of bad) {
    for (const at of [0, 3, 7]) {
      const frames = texts.map((t) => clientFrame(1, t));
      frames.splice(at, 0, clientFrame(1, b));
      const events = same(frames, `${[...b]} at ${at}`);
      assert.is(events.filter((e) => e.startsWith('message')).length, at);
      assert.ok(events[events.length - 1]!.includes('1007'), events[events.length - 1]);
    }
  }
});

test('messages that each end inside a sequence, then a valid one: the next header does not complete them', () => {
  // A header starts with 0x81, a continuation byte: were it left in the run, "C3 81" would pass as valid.
  const frames = [Uint8Array.of(0x61, 0xc3), Uint8Array.of(0x62, 0xc3), enc.encode('fine')].map((b) => clientFrame(1, b));
  const events = same(frames, 'cut sequences');
  assert.is(events.filter((e) => e.startsWith('message')).length, 0);
  assert.ok(events[events.length - 1]!.includes('1007'));
});

test('a burst cut by a ping, a binary message, a fragment, or a message over the limit: the same events', () => {
  const t = (s: string) => clientFrame(1, s);
  const streams: [string, Uint8Array[]][] = [
    ['ping', [t('a'), t('b'), clientFrame(9, 'p'), t('c'), t('d')]],
    ['binary', [t('a'), t('b'), clientFrame(2, Uint8Array.of(0xff, 0xfe)), t('c'), t('d')]],
    ['fragment', [t('a'), t('b'), clientFrame(1, 'c1', { fin: false }), clientFrame(0, 'c2'), t('d'), t('e')]],
    ['64-bit length', [t('a'), t('b'), clientFrame(1, 'long form', { lengthForm: 64 }), t('c'), t('d')]],
    ['RSV2 set', [t('a'), t('b'), clientFrame(1, 'x', { rsv: 2 }), t('c')]],
    ['unmasked', [t('a'), t('b'), clientFrame(1, 'x', { mask: null }), t('c')]],
    ['close', [t('a'), t('b'), clientFrame(8, Uint8Array.of(3, 232)), t('c')]],
  ];
  for (const [label, frames] of streams) same(frames, label);
  const over = [t('a'), t('b'), clientFrame(1, 'z'.repeat(2000)), t('c')];
  for (const whole of [false, true]) {
    const h = harness({ limits: { maxMessageSize: 1000 } });
    h.feed(upgradeRequest());
    if (whole) h.feed(concatBytes(over));
    else for (const f of over) h.feed(f);
    const shown = show(h.events);
    assert.equal(shown.filter((e) => e.startsWith('message')), ['message text a', 'message text b'], `over the limit, whole ${whole}`);
    assert.ok(shown[shown.length - 1]!.includes('1009'));
  }
});

test('a handler that closes the connection mid-burst: nothing after it is delivered', () => {
  const frames = texts.map((t) => clientFrame(1, t));
  const events = same(frames, 'close at 2', (i, conn) => {
    if (i === 2) conn.close(1000, 'enough');
  });
  assert.is(events.filter((e) => e.startsWith('message')).length, 3);
});

test('a handler that feeds another connection mid-burst (re-entry): both get their own messages', () => {
  const inner = harness();
  inner.feed(upgradeRequest());
  const innerFrames = concatBytes(['p', 'q', 'r'].map((s) => clientFrame(1, s)));
  const outer = harness({}, (event, conn) => {
    if (event.type === 'request') conn.accept();
    if (event.type === 'message' && event.data.length === 1 && event.data[0] === 0x62) inner.feed(innerFrames);
  });
  outer.feed(upgradeRequest());
  outer.feed(concatBytes(['a', 'b', 'c', 'd'].map((s) => clientFrame(1, s))));
  assert.equal(show(outer.events).filter((e) => e.startsWith('message')), ['message text a', 'message text b', 'message text c', 'message text d']);
  assert.equal(show(inner.events).filter((e) => e.startsWith('message')), ['message text p', 'message text q', 'message text r']);
});

test('random bursts, one byte broken now and then, fed whole and cut at random: the same events as frame by frame', () => {
  const rand = seededRandom(77);
  const pieces = ['a', ' ', '{', 'é', '€', '😀', '"ok":true'].map((s) => enc.encode(s));
  for (let round = 0; round < 150; round++) {
    const frames: Uint8Array[] = [];
    const n = 2 + ((rand() * 40) | 0);
    for (let i = 0; i < n; i++) {
      const parts: number[] = [];
      const k = (rand() * (rand() < 0.1 ? 200 : 20)) | 0;
      for (let j = 0; j < k; j++) parts.push(...pieces[(rand() * pieces.length) | 0]!);
      const payload = Uint8Array.from(parts);
      if (payload.length > 0 && rand() < 0.03) payload[(rand() * payload.length) | 0] = (rand() * 256) | 0;
      const key = [0, 1, 2, 3].map(() => (rand() * 256) | 0);
      frames.push(clientFrame(rand() < 0.1 ? 2 : 1, payload, { mask: key }));
    }
    const one = run(frames, false);
    for (const [name, accelerators] of acceleratorSets) assert.equal(run(frames, true, undefined, accelerators).events, one.events, `round ${round}, whole, ${name}`);
    // Cut at random: runs then start and end anywhere.
    const bytes = concatBytes(frames);
    const cuts: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + ((rand() * 300) | 0);
      cuts.push(bytes.subarray(at, at + size));
      at += size;
    }
    assert.equal(run(cuts, false, undefined, { unmaskRun: jsRunUnmask }).events, one.events, `round ${round}, cut`);
  }
});

test('ownArraysUpTo: messages and frames up to that size own their buffer, larger ones are views', () => {
  for (const own of [0, 64]) {
    const got: Uint8Array[] = [];
    const conn: ServerConnection = new ServerConnection(
      {
        accelerators: { ownArraysUpTo: own },
        onEvent(event) {
          if (event.type === 'request') conn.accept();
          if (event.type === 'message') {
            got.push(event.data);
            conn.send(event.data);
          }
        },
      },
      0,
    );
    conn.receive(upgradeRequest(), 0);
    conn.takeWrites();
    // One message alone in its chunk (the one-message path), then a burst (the run path), text and binary.
    const sizes = [64, 65, 1, 64, 20, 65];
    conn.receive(clientFrame(2, new Uint8Array(64).fill(7)), 0);
    conn.receive(concatBytes(sizes.slice(1).map((n, i) => clientFrame(i % 2 === 0 ? 1 : 2, 'x'.repeat(n)))), 0);
    assert.equal(got.map((d) => d.length), sizes);
    const owns = (d: Uint8Array): boolean => d.byteOffset === 0 && d.buffer.byteLength === d.length;
    got.forEach((data, i) => assert.is(owns(data), data.length <= own, `message ${i} of ${data.length} bytes, ownArraysUpTo ${own}`));
    assert.equal([...got[0]!], new Array(64).fill(7));
    assert.is(new TextDecoder().decode(got[1]), 'x'.repeat(65));
    const writes = conn.takeWrites();
    assert.equal(writes.map((w) => w.length), sizes.map((n) => n + 2));
    writes.forEach((w, i) => assert.is(owns(w), w.length <= own, `frame ${i} of ${w.length} bytes, ownArraysUpTo ${own}`));
  }
});

test.run();
