/**
 * Parser micro-benchmark: websock's sans-I/O core against ws's `Receiver`, fed the same pre-built masked client
 * frames in the same process, in large chunks (as socket reads deliver them).
 *
 * Run (Node):  node_modules/.bin/esbuild bench/core-bench.ts --bundle --platform=node --format=esm \
 *                --packages=external --outfile=build/bench/core-bench.mjs && node build/bench/core-bench.mjs
 *       (Bun):  node_modules/.bin/bun bench/core-bench.ts
 *       (Deno): node_modules/.bin/deno run -A bench/core-bench.ts
 * Flags: --quick (shorter rounds), --rounds N (default 9), --same-frames (one frame repeated: see buildStream), --chunk BYTES (default 65536), --json FILE (also write the results as JSON),
 *        --only core|ws, --sizes 16,1024,… (payload sizes), --kinds text,binary,ascii (ascii: text that is all
 *        ASCII, as most JSON is; not in the default set, which the targets are about), --plain (the core without the
 *        runtime's accelerators: pure ECMAScript), --no-native (the accelerators without the native addons, as where
 *        bufferutil and utf-8-validate are not installed: WebAssembly SIMD unmasking, `buffer.isUtf8`).
 *
 * Both parsers unmask in place, so every iteration gets a fresh copy of the frames, made outside the timed region.
 * A third row, the copy floor, measures the least any parser must do here that hands each message out as one
 * buffer: allocate it and copy the payload's pieces out of the chunks (no header parsing, no unmasking, no UTF-8
 * check). Where a message spans chunks no parser can do less; "÷ floor" shows how close each one comes.
 * ws's Receiver is built as ws's WebSocketServer builds it (isServer, maxPayload 100 MiB, UTF-8 validation on,
 * bufferutil and utf-8-validate loaded when present) and fed through `.write(chunk)`, as a socket's 'data' does.
 */
import { acceleratorsFor } from '../adapters/shared/accelerators.ts';
import { nativeUnmask } from '../adapters/shared/native-unmask.ts';
import { nativeUtf8Check } from '../adapters/shared/native-utf8.ts';
import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import process from 'node:process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ServerConnection } from '../core/connection.ts';

type Kind = 'text' | 'binary' | 'ascii';

interface Case {
  readonly size: number;
  readonly kind: Kind;
}

/**
 * One measured case: the median over rounds of each parser's rate, and the median of the per-round ratios (each
 * round measures both parsers back to back, so a slow spell of the machine hits both sides of a ratio).
 */
interface CaseResult {
  size: number;
  kind: Kind;
  framesPerIteration: number;
  core?: { mbPerS: number; framesPerS: number };
  ws?: { mbPerS: number; framesPerS: number };
  /** Median of core ÷ ws over the rounds, with the lowest and highest round. */
  ratio?: { median: number; min: number; max: number };
  /** The copy floor (see the file's comment), and each parser's rate ÷ the floor's (medians of per-round ratios). */
  floor?: { mbPerS: number; framesPerS: number; core?: number; ws?: number };
}

/** Feeds one iteration's chunks and returns how many messages came out. */
type Feeder = (chunks: readonly Uint8Array[]) => number;

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const quick = args.includes('--quick');
const chunkSize = Number(flag('--chunk') ?? 65536);
const jsonOut = flag('--json');
const only = flag('--only');
const plain = args.includes('--plain');
const noNative = args.includes('--no-native');
const rounds = Number(flag('--rounds') ?? (quick ? 2 : 9));
const roundSeconds = quick ? 0.12 : 0.3;
const streamTarget = 8 * 1024 * 1024;
const SIZES = (flag('--sizes') ?? '16,1024,65536,1048576').split(',').map(Number);
const KINDS = (flag('--kinds') ?? 'text,binary').split(',');
const sameFrames = args.includes('--same-frames');

/** xorshift32: the payload and mask generator (deterministic, so every run feeds the same bytes). */
function xorshift(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

// JSON-like, mostly ASCII, as most WebSocket text is; about one word in ten carries a 2- or 3-byte character.
const WORDS = [
  '{"id":', '42,', '"type":', '"message",', '"text":', '"hello ', 'world ', 'socket ', 'frame ', 'echo ', 'lorem ',
  'ipsum ', 'dolor ', 'sit ', 'amet",', '"ok":', 'true}', '\n',
];
const encodeWords = (extra: string[]) => [...WORDS, ...extra].map((w) => new TextEncoder().encode(w));
const TEXT_WORDS = { text: encodeWords(['café ', '5€ ']), ascii: encodeWords(['cafe ', '5 EUR ']) };

/**
 * Text payload with a few 2- and 3-byte UTF-8 sequences (so validators leave their ASCII fast path now and then),
 * or all ASCII; random bytes for binary. `variant` picks one of many different payloads of that shape.
 */
function makePayload(size: number, kind: Kind, variant: number): Uint8Array {
  const out = new Uint8Array(size);
  const next = xorshift(0x2545f491 + Math.imul(variant, 0x9e3779b1));
  if (kind === 'binary') {
    for (let i = 0; i < size; i++) out[i] = next() & 0xff;
    return out;
  }
  const bytes = TEXT_WORDS[kind];
  let i = 0;
  while (i < size) {
    const w = bytes[next() % bytes.length]!;
    if (i + w.length > size) {
      out.fill(0x20, i); // pad with spaces so no multi-byte sequence is cut
      break;
    }
    out.set(w, i);
    i += w.length;
  }
  return out;
}

/** A masked client frame (RFC 6455 §5.2, §5.3). */
function encodeMaskedFrame(payload: Uint8Array, binary: boolean, mask: readonly number[]): Uint8Array {
  const len = payload.length;
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const frame = new Uint8Array(head + 4 + len);
  frame[0] = 0x80 | (binary ? 2 : 1);
  if (len < 126) frame[1] = 0x80 | len;
  else if (len < 65536) {
    frame[1] = 0x80 | 126;
    frame[2] = len >>> 8;
    frame[3] = len & 0xff;
  } else {
    frame[1] = 0x80 | 127;
    const view = new DataView(frame.buffer);
    view.setUint32(2, Math.floor(len / 2 ** 32));
    view.setUint32(6, len >>> 0);
  }
  frame.set(mask, head);
  for (let i = 0; i < len; i++) frame[head + 4 + i] = payload[i]! ^ mask[i & 3]!;
  return frame;
}

/**
 * About `streamTarget` bytes of frames (at least 8), each with its own payload and masking key, as real traffic
 * has. With one frame repeated (--same-frames), the CPU's branch predictors learn the validators' branches on the
 * repeated text: a validator run once over a whole 1 MiB message then measured 3–4× faster than on text it had
 * not seen, which flatters whichever parser validates in the same pieces every time.
 */
function buildStream(c: Case): { stream: Uint8Array; frames: number } {
  const first = encodeMaskedFrame(makePayload(c.size, c.kind, 0), c.kind === 'binary', [0x37, 0xfa, 0x21, 0x3d]);
  const frames = Math.max(8, Math.ceil(streamTarget / first.length));
  const stream = new Uint8Array(frames * first.length);
  const keys = xorshift(0x6d2b79f5);
  for (let i = 0; i < frames; i++) {
    const key = [keys() & 0xff, keys() & 0xff, keys() & 0xff, keys() & 0xff];
    const frame = i === 0 || sameFrames ? first : encodeMaskedFrame(makePayload(c.size, c.kind, i), c.kind === 'binary', key);
    stream.set(frame, i * first.length);
  }
  return { stream, frames };
}

function chunksOf(buf: Uint8Array, size: number, asBuffer: boolean): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < buf.length; off += size) {
    const end = Math.min(off + size, buf.length);
    out.push(asBuffer ? Buffer.from(buf.buffer, buf.byteOffset + off, end - off) : buf.subarray(off, end));
  }
  return out;
}

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== 'undefined';
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== 'undefined';

const UPGRADE =
  'GET /bench HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/**
 * websock's core, opened through a real handshake and driven as the adapters drive it: receive() per chunk, events
 * through the synchronous `onEvent` callback (as ws's Receiver emits 'message'), writes taken after each chunk.
 */
function coreFeeder(expectedSize: number): Feeder {
  // As the adapters configure it, with the runtime's accelerators (unless --plain).
  const accelerators = plain ? {} : acceleratorsFor(isDeno ? 'deno' : isBun ? 'bun' : 'node', !noNative);
  let messages = 0;
  let failure: Error | undefined;
  const conn: ServerConnection = new ServerConnection(
    {
      accelerators,
      onEvent(ev) {
        if (ev.type === 'message') {
          if (ev.data.length !== expectedSize) failure = new Error(`core: message of ${ev.data.length} bytes`);
          messages++;
        } else if (ev.type === 'request') conn.accept({}, 0);
        else if (ev.type === 'open') return;
        else failure = new Error(`core: unexpected ${ev.type} event ${JSON.stringify(ev)}`);
      },
    },
    0,
  );
  conn.receive(new TextEncoder().encode(UPGRADE), 0);
  conn.takeWrites();
  if (conn.state !== 'open') throw new Error(`core did not open (state ${conn.state})`);
  return (chunks) => {
    messages = 0;
    for (const chunk of chunks) {
      conn.receive(chunk, 0);
      conn.takeWrites();
    }
    if (failure) throw failure;
    return messages;
  };
}

/**
 * The copy floor: walks the frames (their layout is known: one size, one header length) and copies each payload
 * out of the chunks into a buffer of its own, allocated as ws allocates it (`Buffer.allocUnsafe`: not zero-filled
 * on Node and Bun). No header is parsed, nothing unmasked or validated: no parser can hand out the message as
 * one buffer for less.
 */
function floorFeeder(size: number): Feeder {
  const header = (size < 126 ? 2 : size < 65536 ? 4 : 10) + 4;
  let sink = 0;
  return (chunks) => {
    let messages = 0;
    let index = 0;
    let at = 0;
    let skip = header;
    let message: Uint8Array | undefined;
    let filled = 0;
    while (index < chunks.length) {
      const chunk = chunks[index]!;
      if (skip > 0) {
        const n = Math.min(skip, chunk.byteLength - at);
        skip -= n;
        at += n;
      } else {
        message ??= Buffer.allocUnsafe(size);
        const n = Math.min(size - filled, chunk.byteLength - at);
        message.set(chunk.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === size) {
          sink ^= message[size >> 1]!; // keeps the copy observable
          messages++;
          message = undefined;
          filled = 0;
          skip = header;
        }
      }
      if (at === chunk.byteLength) {
        index++;
        at = 0;
      }
    }
    return sink === -1 ? -1 : messages;
  };
}

interface WsReceiver {
  on(event: string, listener: (...a: unknown[]) => void): void;
  write(chunk: Uint8Array): boolean;
}
type WsReceiverClass = new (options: Record<string, unknown>) => WsReceiver;

/** ws's Receiver class, and whether ws found its native helpers (it falls back to JS without them). */
function loadWsReceiver(): { Receiver: WsReceiverClass; addons: string } {
  const require = createRequire(import.meta.url);
  // ws does not export lib/receiver.js, so load it by path next to its package.json (Bun maps a bare 'ws' to its built-in).
  const wsDir = dirname(require.resolve('ws/package.json'));
  const wsRequire = createRequire(join(wsDir, 'lib/receiver.js'));
  // Both addons fall back to JavaScript silently when their binary does not load: say which one ws got.
  const loads = (name: string): string => {
    try {
      const m = wsRequire(name) as ((...a: unknown[]) => unknown) | { mask: (...a: unknown[]) => unknown };
      const f = typeof m === 'function' ? m : m.mask;
      return `${name} ${Function.prototype.toString.call(f).includes('[native code]') ? 'native' : 'JS fallback'}`;
    } catch {
      return `${name} NO`;
    }
  };
  return {
    Receiver: wsRequire('./receiver.js') as WsReceiverClass,
    addons: `${loads('bufferutil')}, ${loads('utf-8-validate')}`,
  };
}

/** ws's Receiver with the options ws's WebSocketServer passes by default. */
function wsFeeder(Receiver: WsReceiverClass, expectedSize: number): Feeder {
  const receiver = new Receiver({
    allowSynchronousEvents: true,
    isServer: true,
    maxPayload: 100 * 1024 * 1024,
    maxBufferedChunks: 256 * 1024,
    maxFragments: 16 * 1024,
    skipUTF8Validation: false,
  });
  let messages = 0;
  let failure: unknown;
  receiver.on('message', (data) => {
    if ((data as Uint8Array).length !== expectedSize) failure = new Error(`ws: message of ${(data as Uint8Array).length} bytes`);
    messages++;
  });
  receiver.on('error', (e) => (failure = e));
  return (chunks) => {
    messages = 0;
    for (const chunk of chunks) receiver.write(chunk);
    if (failure) throw failure;
    return messages;
  };
}

/**
 * Process CPU time in ms (user + system, all threads, so GC helpers count too). CPU time rather than wall time:
 * on a shared machine other processes stretch wall time but not the parser's own CPU time.
 */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Runs iterations for about `seconds`, each on a fresh copy; returns payload MB/s and frames/s per CPU-second. */
function measure(feed: Feeder, stream: Uint8Array, frames: number, size: number, asBuffer: boolean, seconds: number) {
  let timed = 0;
  let totalFrames = 0;
  const wallEnd = performance.now() + seconds * 1000;
  for (let it = 0; it < 10_000 && (it < 2 || performance.now() < wallEnd); it++) {
    const copy = stream.slice();
    const chunks = chunksOf(copy, chunkSize, asBuffer);
    const t0 = cpuMs();
    const got = feed(chunks);
    timed += cpuMs() - t0;
    if (got !== frames) throw new Error(`expected ${frames} messages per iteration, got ${got}`);
    totalFrames += got;
  }
  const s = timed / 1000;
  return { mbPerS: (totalFrames * size) / s / 1e6, framesPerS: totalFrames / s };
}

function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

function fmt(x: number | undefined, digits = 0): string {
  if (x === undefined || !Number.isFinite(x)) return '–';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(digits);
}

/** Which bulk unmasker and UTF-8 check the measured core had (see adapters/shared/accelerators.ts). */
function coreUnmasker(): string {
  if (plain) return 'JavaScript only (--plain)';
  const unmasking = !noNative && nativeUnmask() !== undefined ? 'native (bufferutil)' : 'WebAssembly SIMD';
  const utf8 = !isBun && !noNative && nativeUtf8Check() !== undefined ? 'utf-8-validate' : 'buffer.isUtf8';
  return `${unmasking}, UTF-8 by ${utf8}`;
}

function runtimeName(): string {
  const g = globalThis as { Bun?: { version: string }; Deno?: { version: { deno: string } } };
  if (g.Bun) return `bun ${g.Bun.version}`;
  if (g.Deno) return `deno ${g.Deno.version.deno}`;
  return `node ${process.version}`;
}

function main(): void {
  const ws = only === 'core' ? undefined : loadWsReceiver();
  const Receiver = ws?.Receiver;
  const results: CaseResult[] = [];
  for (const size of SIZES) {
    for (const kind of KINDS as Kind[]) {
      const binary = kind === 'binary';
      const { stream, frames } = buildStream({ size, kind });
      const core: { mbPerS: number; framesPerS: number }[] = [];
      const wsRuns: { mbPerS: number; framesPerS: number }[] = [];
      const floorRuns: { mbPerS: number; framesPerS: number }[] = [];
      const feedCore = only === 'ws' ? undefined : coreFeeder(size);
      const feedWs = Receiver ? wsFeeder(Receiver, size) : undefined;
      const feedFloor = floorFeeder(size);
      // Warm both up, then alternate which goes first in each round.
      if (feedCore) measure(feedCore, stream, frames, size, false, roundSeconds / 3);
      if (feedWs) measure(feedWs, stream, frames, size, true, roundSeconds / 3);
      measure(feedFloor, stream, frames, size, false, roundSeconds / 3);
      for (let r = 0; r < rounds; r++) {
        const order = r % 2 === 0 ? ['core', 'ws', 'floor'] : ['floor', 'ws', 'core'];
        for (const which of order) {
          if (which === 'core' && feedCore) core.push(measure(feedCore, stream, frames, size, false, roundSeconds));
          if (which === 'ws' && feedWs) wsRuns.push(measure(feedWs, stream, frames, size, true, roundSeconds));
          if (which === 'floor') floorRuns.push(measure(feedFloor, stream, frames, size, false, roundSeconds));
        }
      }
      const pick = (xs: { mbPerS: number; framesPerS: number }[]) =>
        xs.length ? { mbPerS: median(xs.map((x) => x.mbPerS)), framesPerS: median(xs.map((x) => x.framesPerS)) } : undefined;
      const result: CaseResult = { size, kind, framesPerIteration: frames };
      const c = pick(core);
      const w = pick(wsRuns);
      if (c) result.core = c;
      if (w) result.ws = w;
      if (core.length > 0 && core.length === wsRuns.length) {
        const ratios = core.map((x, i) => x.mbPerS / wsRuns[i]!.mbPerS);
        result.ratio = { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) };
      }
      const f = pick(floorRuns)!;
      const toFloor = (xs: { mbPerS: number }[]) => (xs.length === floorRuns.length ? median(xs.map((x, i) => x.mbPerS / floorRuns[i]!.mbPerS)) : undefined);
      const coreToFloor = toFloor(core);
      const wsToFloor = toFloor(wsRuns);
      result.floor = { ...f, ...(coreToFloor !== undefined ? { core: coreToFloor } : {}), ...(wsToFloor !== undefined ? { ws: wsToFloor } : {}) };
      results.push(result);
    }
  }
  const label = (n: number) => (n >= 1024 * 1024 ? `${n / 1024 / 1024} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`);
  const addons = ws?.addons ?? 'not loaded';
  console.log(
    `core-bench on ${runtimeName()}, chunks of ${chunkSize} B, median of ${rounds} rounds (ratio: median of per-round ratios), rates per CPU-second; ws native: ${addons}; core: ${coreUnmasker()}`,
  );
  console.log('| payload | kind | core MB/s | core frames/s | ws MB/s | ws frames/s | core ÷ ws | rounds: lowest–highest | copy floor MB/s | core ÷ floor | ws ÷ floor |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    const ratio = r.ratio ? `${r.ratio.median.toFixed(2)}×` : '–';
    const spread = r.ratio ? `${r.ratio.min.toFixed(2)}–${r.ratio.max.toFixed(2)}` : '–';
    console.log(
      `| ${label(r.size)} | ${r.kind} | ${fmt(r.core?.mbPerS, 1)} | ${fmt(r.core?.framesPerS)} | ${fmt(r.ws?.mbPerS, 1)} | ${fmt(r.ws?.framesPerS)} | ${ratio} | ${spread} | ` +
        `${fmt(r.floor?.mbPerS, 1)} | ${r.floor?.core?.toFixed(2) ?? '–'} | ${r.floor?.ws?.toFixed(2) ?? '–'} |`,
    );
  }
  if (jsonOut) {
    writeFileSync(jsonOut, JSON.stringify({ runtime: runtimeName(), wsNative: addons, coreUnmasking: coreUnmasker(), chunkSize, rounds, roundSeconds, results }, null, 2));
  }
}

main();
