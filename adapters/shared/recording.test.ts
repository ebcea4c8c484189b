// The `record` option's sink: option checks, the reservation that bounds memory by maxTotalBytes, unique file
// names written without overwriting, and stop() awaiting the writes. Sessions run over a fake transport.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MisuseError } from '../../core/errors.ts';
import { parseTrace } from '../../core/trace/jsonl.ts';
import { RecordingConnection, TraceRecorder } from '../../core/trace/recorder.ts';
import { FakeTransport } from '../test/fake-transport.ts';
import { encodeFrame } from '../test/raw-client.ts';
import { resolveServerConfig } from './options.ts';
import { TraceSink, type RecordOptions } from './recording.ts';
import { ServerState } from './server-state.ts';
import type { Session } from './session.ts';
import type { ServeOptions } from './types.ts';

const encoder = new TextEncoder();
const REQUEST = encoder.encode(
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

/** Runs `fn` in a new temporary directory, removed afterwards whatever happens. */
async function inTempDir(fn: (dir: string) => Promise<void> | void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'websock-rec-'));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` with console.error captured. */
async function capturingErrors<R>(fn: (lines: string[]) => Promise<R> | R): Promise<R> {
  const lines: string[] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => void lines.push(args.map(String).join(' '));
  try {
    return await fn(lines);
  } finally {
    console.error = original;
  }
}

function state(record: RecordOptions): ServerState<unknown> {
  return new ServerState<unknown>(resolveServerConfig<unknown>({ websocket: {}, record } as ServeOptions<unknown>, { secure: false }));
}

/** An open connection over a fake transport that was sent `binaryBytes` in 1 KiB binary frames. */
function connect(s: ServerState<unknown>, binaryBytes: number): { session: Session<unknown>; transport: FakeTransport } {
  const transport = new FakeTransport();
  const session = s.connect(transport);
  session.onData(REQUEST.slice());
  const payload = new Uint8Array(1024).fill(66);
  for (let sent = 0; sent < binaryBytes; sent += payload.length) session.onData(encodeFrame(2, payload));
  return { session, transport };
}

// ---- options -------------------------------------------------------------------------------------------

const options = suite('record options');

options('refuses non-integers, strings, Infinity, zero and unknown keys with INVALID_OPTION', async () => {
  await inTempDir(async (dir) => {
    const bad: unknown[] = [
      { dir, maxBytesPerConnection: '1000' },
      { dir, maxBytesPerConnection: 1.5 },
      { dir, maxBytesPerConnection: Infinity },
      { dir, maxBytesPerConnection: 0 },
      { dir, maxBytesPerConnection: -1 },
      { dir, maxBytesPerConnection: NaN },
      { dir, maxTotalBytes: Infinity },
      { dir, maxTotalBytes: 2 ** 53 },
      { dir, maxTotalBytes: '5' },
      { dir, maxTotalBytes: 0 },
      { dir, maxTotalByte: 5 },
      { dir: 42 },
      { dir: '' },
      null,
      'traces',
    ];
    for (const record of bad) {
      assert.throws(
        () => resolveServerConfig<unknown>({ websocket: {}, record } as ServeOptions<unknown>, { secure: false }),
        (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION',
        JSON.stringify(record, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v)),
      );
    }
    const sink = new TraceSink({ dir, maxBytesPerConnection: 4096, maxTotalBytes: 10_000 });
    assert.is(sink.maxBytesPerConnection, 4096);
    assert.is(sink.maxTotalBytes, 10_000);
    const defaults = new TraceSink({ dir });
    assert.is(defaults.maxBytesPerConnection, 1024 * 1024);
    assert.is(defaults.maxTotalBytes, 64 * 1024 * 1024);
  });
});

options.run();

// ---- reservation ---------------------------------------------------------------------------------------

const reservation = suite('record reservation');

reservation('recorders together never hold more than maxTotalBytes; unused parts come back on save', async () => {
  await inTempDir(async (dir) => {
    await capturingErrors(async (errors) => {
      const sink = new TraceSink({ dir, maxBytesPerConnection: 1024 * 1024, maxTotalBytes: 100_000 });
      const begun: number[] = [];
      let refused = 0;
      const recorders: TraceRecorder[] = [];
      for (let i = 0; i < 50; i++) {
        const options = sink.begin({});
        if (options === undefined) {
          refused++;
          continue;
        }
        begun.push(options.maxBytes as number);
        recorders.push(new TraceRecorder(options));
      }
      // The first connection reserves all (1 MiB > 100 000): the 49 others are not recorded.
      assert.is(begun.length, 1);
      assert.is(refused, 49);
      assert.ok((begun[0] as number) <= 100_000);
      assert.is(sink.availableBytes, 0, 'the first connection reserved the whole budget');
      assert.is(errors.length, 1, 'the spent budget is logged once');
      assert.match(errors[0] as string, 'maxTotalBytes');
      // Filling the recorder past its bound: its text stays within the reservation, marker included.
      const recorder = recorders[0] as TraceRecorder;
      for (let i = 0; i < 200; i++) recorder.input(new Uint8Array(1000), i);
      assert.ok(recorder.truncated);
      assert.ok(recorder.size <= 100_000, `${recorder.size}`);
      sink.save(recorder);
      assert.is(sink.availableBytes, 100_000 - recorder.size);
      await sink.flush();
      assert.is(readdirSync(dir).length, 1);
      assert.is(statSync(join(dir, readdirSync(dir)[0] as string)).size, recorder.size);
    });
  });
});

reservation('a small trace gives its unused reservation back', async () => {
  await inTempDir(async (dir) => {
    const sink = new TraceSink({ dir, maxBytesPerConnection: 10_000, maxTotalBytes: 25_000 });
    const a = new TraceRecorder(sink.begin({}));
    const b = new TraceRecorder(sink.begin({}));
    assert.is(sink.availableBytes, 5_000);
    const c = sink.begin({}); // 5 000 left: reserved in full
    assert.ok(c !== undefined);
    assert.ok((c.maxBytes as number) <= 5_000);
    assert.is(sink.availableBytes, 0);
    sink.save(a);
    assert.is(sink.availableBytes, 10_000 - a.size);
    sink.save(b);
    assert.is(sink.availableBytes, 20_000 - a.size - b.size);
    sink.save(a); // twice: no effect
    assert.is(sink.availableBytes, 20_000 - a.size - b.size);
    await sink.flush();
    assert.is(readdirSync(dir).length, 2);
  });
});

reservation('a trace larger than what is left is written truncated, not dropped with all recording after it', async () => {
  await inTempDir(async (dir) => {
    await capturingErrors(async (errors) => {
      const s = state({ dir, maxBytesPerConnection: 30_000, maxTotalBytes: 50_000 });
      // Before, the second trace (30 000 > 20 000 left) was dropped and the budget set to 0 without a word.
      for (let i = 0; i < 3; i++) connect(s, 40_000).session.onClosed();
      await s.shutdown({ force: true });
      const names = readdirSync(dir).sort((x, y) => Number(x.split('-').pop()?.split('.')[0]) - Number(y.split('-').pop()?.split('.')[0]));
      assert.is(names.length, 2);
      const sizes = names.map((name) => statSync(join(dir, name)).size);
      assert.ok((sizes[0] as number) <= 30_000 && (sizes[0] as number) > 29_000, `${sizes[0]}`);
      assert.ok((sizes[1] as number) <= 50_000 - (sizes[0] as number), `${sizes[1]}`);
      for (const name of names) {
        const trace = parseTrace(readFileSync(join(dir, name), 'utf8'));
        assert.is(trace.records[trace.records.length - 1]?.kind, 'truncated');
      }
      assert.is(errors.length, 1, 'the third connection, not recorded, is logged');
      assert.match(errors[0] as string, 'maxTotalBytes');
    });
  });
});

reservation('open sessions: recorders hold at most maxTotalBytes; written traces are charged at their size', async () => {
  await inTempDir(async (dir) => {
    await capturingErrors(async (errors) => {
      const s = state({ dir, maxBytesPerConnection: 16_384, maxTotalBytes: 40_000 });
      const open = Array.from({ length: 6 }, () => connect(s, 30_000));
      const recorded = open.filter((c) => c.session.conn instanceof RecordingConnection);
      // 16 384 + 16 384 + 7 232: three recorded, three not.
      assert.is(recorded.length, 3);
      let held = 0;
      for (const c of recorded) held += (c.session.conn as RecordingConnection).recorder.size;
      assert.ok(held <= 40_000, `recorders hold ${held} bytes`);
      assert.is(errors.length, 1);
      for (const c of open) c.session.onClosed();
      // Written traces are charged at their size: 40 000 minus what was written comes back.
      const written = () => readdirSync(dir).reduce((n, name) => n + statSync(join(dir, name)).size, 0);
      await s.config.traces?.flush();
      assert.is(readdirSync(dir).length, 3);
      assert.is(s.config.traces?.availableBytes, 40_000 - written());
      await s.shutdown({ force: true });
    });
  });
});

reservation.run();

// ---- files ---------------------------------------------------------------------------------------------

const files = suite('record files');

files('two sinks created at once in one directory name their files apart, without peer text', async () => {
  await inTempDir(async (dir) => {
    const a = new TraceSink({ dir });
    const b = new TraceSink({ dir });
    const ra = new TraceRecorder(a.begin({ remoteAddress: '../../etc/x' }));
    const rb = new TraceRecorder(b.begin({ remoteAddress: '../../etc/x' }));
    assert.is.not(ra.header.label, rb.header.label);
    a.save(ra);
    b.save(rb);
    await Promise.all([a.flush(), b.flush()]);
    const names = readdirSync(dir).sort();
    assert.is(names.length, 2);
    for (const name of names) assert.ok(/^[0-9A-Za-z-]+\.jsonl$/.test(name), name);
  });
});

files('an existing file is never overwritten (flag wx): the write fails, is logged, and flush still resolves', async () => {
  await inTempDir(async (dir) => {
    await capturingErrors(async (errors) => {
      const sink = new TraceSink({ dir });
      const recorder = new TraceRecorder(sink.begin({}));
      const path = join(dir, `${recorder.header.label}.jsonl`);
      writeFileSync(path, 'precious\n');
      sink.save(recorder);
      await sink.flush();
      assert.is(readFileSync(path, 'utf8'), 'precious\n');
      assert.is(errors.length, 1);
      assert.match(errors[0] as string, 'could not write trace');
    });
  });
});

files('shutdown() resolves only once every trace is on disk', async () => {
  await inTempDir(async (dir) => {
    const s = state({ dir });
    const sessions = Array.from({ length: 20 }, () => connect(s, 4096));
    for (const { session } of sessions) session.onClosed();
    await s.shutdown({ force: true });
    // Checked at once: before, the writes were still under way when stop() resolved.
    const names = readdirSync(dir);
    assert.is(names.length, 20);
    for (const name of names) assert.ok(readFileSync(join(dir, name), 'utf8').endsWith('\n'), name);
    assert.ok(!existsSync(join(dir, 'undefined.jsonl')));
  });
});

files.run();
