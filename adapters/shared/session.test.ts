/** The pump without sockets: a fake transport shows what the session asks of a runtime adapter. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resolveServerConfig } from './options.ts';
import { ServerState } from './server-state.ts';
import { FakeTransport } from '../test/fake-transport.ts';
import type { ServeOptions } from './types.ts';
import type { Session } from './session.ts';
import { encodeFrame } from '../test/raw-client.ts';
import { trackTimers } from '../test/timers.ts';
import { sleep, waitUntil } from '../test/wait.ts';
import { NOT_SCHEDULED } from './deadline-scheduler.ts';

const encoder = new TextEncoder();

const REQUEST = encoder.encode(
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

function open<T>(options: Partial<ServeOptions<T>>): { session: Session<T>; transport: FakeTransport; state: ServerState<T> } {
  const state = new ServerState<T>(resolveServerConfig<T>({ websocket: {}, ...options } as ServeOptions<T>, { secure: false }));
  const transport = new FakeTransport();
  const session = state.connect(transport);
  session.onData(REQUEST.slice());
  return { session, transport, state };
}

test('handshake: 101 written, open handler, readyState 1', () => {
  const states: number[] = [];
  const { transport, session } = open({ websocket: { open: (ws) => void states.push(ws.readyState) } });
  assert.match(transport.text(), 'HTTP/1.1 101');
  assert.equal(states, [1]);
  assert.is(session.readyState, 1);
  session.terminate();
});

test('outbound over the high-water mark: -1; drain below the low-water mark fires drain', () => {
  const drains: number[] = [];
  const { session, transport } = open({ backpressure: { highWaterMark: 1000, lowWaterMark: 100 }, websocket: { drain: () => void drains.push(1) } });
  const ws = session.ws!;
  assert.ok(ws.send(new Uint8Array(500)) > 0);
  assert.is(ws.send(new Uint8Array(600)), -1);
  // Past the mark, the tick's writes are handed to the OS first (this fake keeps them: still over).
  assert.equal(transport.calls, ['flushNow', 'requestDrain']);
  transport.bufferedAmount = 500; // still above the low-water mark
  session.onWritable();
  assert.equal(transport.calls, ['flushNow', 'requestDrain', 'requestDrain']);
  assert.equal(drains, []);
  transport.bufferedAmount = 50;
  session.onWritable();
  assert.equal(drains, [1]);
  assert.ok(ws.send(new Uint8Array(10)) > 0);
  session.terminate();
});

test('over the high-water mark, messages are held; reading pauses once they pass 64 KiB and resumes when delivered', () => {
  const got: number[] = [];
  const { session, transport } = open({ backpressure: { highWaterMark: 1000, lowWaterMark: 100 }, websocket: { message: (_ws, data) => void got.push((data as Uint8Array).length) } });
  transport.bufferedAmount = 0;
  assert.is(session.ws!.send(new Uint8Array(1500)), -1);
  session.onData(encodeFrame(2, new Uint8Array(1000)));
  assert.equal(got, [], 'held while over the mark');
  assert.ok(!transport.calls.includes('pause'), 'a small backlog does not stop reading (a pong would still be read)');
  session.onData(encodeFrame(2, new Uint8Array(70_000)));
  assert.equal(transport.calls.filter((c) => c === 'pause').length, 1);
  transport.bufferedAmount = 0;
  session.onWritable();
  assert.equal(got, [1000, 70_000]);
  assert.is(transport.calls.at(-1), 'resume');
  session.terminate();
});

/** A transport whose OS takes everything handed to it by flushNow (a peer that reads). */
class FlushingTransport extends FakeTransport {
  override flushNow(): void {
    super.flushNow();
    this.bufferedAmount = 0;
  }
}

test('a burst past the mark within one tick is handed to the OS first: a peer that reads meets no policy', () => {
  const state = new ServerState<unknown>(
    resolveServerConfig<unknown>({ websocket: {}, backpressure: { highWaterMark: 1000, lowWaterMark: 100, onLimit: 'drop' } } as ServeOptions<unknown>, { secure: false }),
  );
  const transport = new FlushingTransport();
  const session = state.connect(transport);
  session.onData(REQUEST.slice());
  transport.bufferedAmount = 0;
  const ws = session.ws!;
  const results = [0, 1, 2, 3].map(() => ws.send(new Uint8Array(600)));
  assert.ok(results.every((r) => r > 0), String(results));
  assert.ok(!transport.calls.includes('pause'));
  session.terminate();
});

test('wait policy: a send while more than maxBuffered is queued closes (1008) and returns 0', () => {
  const { session, transport } = open({ backpressure: { highWaterMark: 1000, lowWaterMark: 100, maxBuffered: 2000 } });
  transport.bufferedAmount = 0;
  const ws = session.ws!;
  assert.ok(ws.send(new Uint8Array(600)) > 0);
  assert.is(ws.send(new Uint8Array(600)), -1);
  assert.is(ws.send(new Uint8Array(600)), -1);
  assert.is(ws.send(new Uint8Array(600)), -1); // 1,800 queued before it: still within maxBuffered
  assert.is(ws.send(new Uint8Array(600)), 0); // 2,400 queued: over it
  assert.is(ws.readyState, 2);
  assert.ok(transport.calls.includes('close') || transport.text().includes('backpressure limit'));
  session.terminate();
});

test('drop policy applies to ping and pong too', () => {
  const { session, transport } = open({ backpressure: { highWaterMark: 1000, lowWaterMark: 100, onLimit: 'drop' } });
  transport.bufferedAmount = 0;
  const ws = session.ws!;
  assert.is(ws.send(new Uint8Array(1500)), -1);
  assert.is(ws.ping('x'), 0);
  assert.is(ws.pong('x'), 0);
  session.terminate();
});

test('over the mark (reading paused, pongs unread): a queue that goes down keeps the peer alive; one that does not is idle', async () => {
  const errors: string[] = [];
  const make = () =>
    open({
      limits: { pingIntervalMs: 40, pongTimeoutMs: 40 },
      backpressure: { highWaterMark: 1000, lowWaterMark: 100 },
      websocket: { error: (_ws, error) => void errors.push((error as { code?: string }).code ?? String(error)) },
    });
  const moving = make();
  const stuck = make();
  for (const { transport, session } of [moving, stuck]) {
    transport.bufferedAmount = 0;
    assert.is(session.ws!.send(new Uint8Array(50_000)), -1);
  }
  // The moving peer reads slowly: its queue shrinks (no drain: it stays over the low-water mark).
  for (let i = 0; i < 30; i++) {
    moving.transport.bufferedAmount -= 1000;
    await sleep(10);
  }
  assert.is(moving.session.readyState, 1, 'a slow reader is alive');
  assert.is(stuck.session.readyState, 3, 'a peer that reads nothing is closed as idle');
  assert.equal(errors, ['IDLE_TIMEOUT']);
  moving.session.terminate();
  stuck.session.onClosed(); // the transport closes (the fake does not report it by itself): nothing stays scheduled
});

test('messages in one chunk wait while over the high-water mark (one message beyond it at most)', () => {
  const got: string[] = [];
  const { session, transport } = open({
    backpressure: { highWaterMark: 100, lowWaterMark: 0 },
    websocket: { message: (ws, data) => void (got.push(String(data)), ws.send(new Uint8Array(150))) },
  });
  transport.bufferedAmount = 0; // the 101 response went out
  session.onWritable();
  const frames = ['a', 'b', 'c'].map((t) => encodeFrame(1, encoder.encode(t)));
  const chunk = new Uint8Array(frames.reduce((n, f) => n + f.byteLength, 0));
  let o = 0;
  for (const f of frames) (chunk.set(f, o), (o += f.byteLength));
  session.onData(chunk);
  assert.equal(got, ['a']);
  transport.bufferedAmount = 0;
  session.onWritable();
  assert.equal(got, ['a', 'b']);
  transport.bufferedAmount = 0;
  session.onWritable();
  assert.equal(got, ['a', 'b', 'c']);
  session.terminate();
});

test('an async handler holds later messages; reading goes on until they pass 64 KiB, and resumes once it settles', async () => {
  const got: string[] = [];
  let release = (): void => {};
  const { session, transport } = open({
    websocket: {
      message: (_ws, data) => {
        got.push(String(data).slice(0, 8));
        return new Promise<void>((resolve) => (release = resolve));
      },
    },
  });
  session.onData(encodeFrame(1, encoder.encode('1')));
  session.onData(encodeFrame(1, encoder.encode('2')));
  assert.equal(got, ['1']);
  assert.equal(transport.calls, [], 'reading goes on: pings and pongs are still read');
  session.onData(encodeFrame(1, encoder.encode('3'.repeat(70_000))));
  assert.equal(transport.calls, ['pause']);
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(got, ['1', '2']);
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(got, ['1', '2', '33333333']);
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(transport.calls, ['pause', 'resume']);
  session.terminate();
});

test('an async handler that never settles: once the transport closed, close runs after closeTimeoutMs; held messages dropped', async () => {
  const got: string[] = [];
  const closes: number[] = [];
  const { session, state } = open({
    limits: { closeTimeoutMs: 30 },
    websocket: {
      message: (_ws, data) => {
        got.push(String(data));
        return new Promise<void>(() => {});
      },
      close: (_ws, code) => void closes.push(code),
    },
  });
  session.onData(encodeFrame(1, encoder.encode('1')));
  session.onData(encodeFrame(1, encoder.encode('2')));
  session.onClosed();
  assert.equal(closes, [], 'close waits for the pending handler at first');
  assert.is(state.sessions.size, 1, 'the server counts the connection until its close handler ran');
  await waitUntil(() => closes.length > 0, 'close after the close timeout');
  assert.equal(closes, [1006]);
  assert.is(state.sessions.size, 0);
  assert.equal(got, ['1'], 'the message held behind the stuck handler is not delivered');
  assert.is(session.readyState, 3);
});

test('an async handler that settles after the transport closed (within closeTimeoutMs): held messages, then close, in order', async () => {
  const events: string[] = [];
  let release = (): void => {};
  const { session, state } = open({
    limits: { closeTimeoutMs: 5000 },
    websocket: {
      message: (_ws, data) => {
        events.push(String(data));
        if (String(data) === '1') return new Promise<void>((resolve) => (release = resolve));
        return undefined;
      },
      close: (_ws, code) => void events.push(`close ${code}`),
    },
  });
  session.onData(encodeFrame(1, encoder.encode('1')));
  session.onData(encodeFrame(1, encoder.encode('2')));
  session.onClosed();
  assert.equal(events, ['1']);
  release();
  await waitUntil(() => events.length === 3, 'message 2, then close');
  assert.equal(events, ['1', '2', 'close 1006']);
  assert.is(state.sessions.size, 0);
  assert.is(session.deadlineSlot, NOT_SCHEDULED, 'the wait for the handler is no longer scheduled');
});

test('while a handler is pending, a large message being reassembled counts with the held events: reading pauses before it completes', async () => {
  let release = (): void => {};
  const got: number[] = [];
  const { session, transport } = open({
    websocket: {
      message: (_ws, data) => {
        got.push(String(data).length);
        return new Promise<void>((resolve) => (release = resolve));
      },
    },
  });
  session.onData(encodeFrame(1, encoder.encode('1')));
  const big = encodeFrame(1, encoder.encode('x'.repeat(200_000)));
  session.onData(big.subarray(0, 100_000)); // partial: 100 KB held by the core, past the 64 KiB bound
  assert.equal(transport.calls, ['pause']);
  release();
  await Promise.resolve();
  await Promise.resolve();
  assert.equal(transport.calls, ['pause', 'resume'], 'the handler settled: read the rest');
  session.onData(big.subarray(100_000));
  assert.equal(got, [1, 200_000]);
  release();
  session.terminate();
});

test('send and ping return the bytes of their own frame, not of what was queued before', () => {
  const results: number[] = [];
  const { session } = open({ websocket: { open: (ws) => void results.push(ws.send('x')) } });
  assert.equal(results, [3], 'not the 101 response written in the same tick');
  session.onData(encodeFrame(9, encoder.encode('ping')));
  assert.is(session.ws!.ping('p'), 3, 'not the automatic pong');
  session.terminate();
});

test('force: terminate() does not wait for a pending handler, before or after the transport closed', () => {
  for (const terminateFirst of [false, true]) {
    const closes: number[] = [];
    const { session, state } = open({
      limits: { closeTimeoutMs: 60_000 },
      websocket: { message: () => new Promise<void>(() => {}), close: (_ws, code) => void closes.push(code) },
    });
    session.onData(encodeFrame(1, encoder.encode('1')));
    // stop({ force: true }) either way: the transport is destroyed and reports its close later, or it had closed.
    if (terminateFirst) session.terminate();
    session.onClosed();
    if (!terminateFirst) {
      assert.equal(closes, [], 'close waits for the pending handler');
      state.terminateAll();
    }
    assert.equal(closes, [1006]);
    assert.is(state.sessions.size, 0);
  }
});

test('events held over the high-water mark are delivered when the transport starts closing, not once it has closed', () => {
  const events: string[] = [];
  const { session, transport } = open({
    backpressure: { highWaterMark: 100, lowWaterMark: 0 },
    websocket: {
      message: (ws, data) => {
        events.push(String(data));
        ws.send(new Uint8Array(150));
      },
      close: (_ws, code) => void events.push(`close ${code}`),
    },
  });
  transport.bufferedAmount = 0; // the 101 response went out
  session.onWritable();
  const frames = [encodeFrame(1, encoder.encode('1')), encodeFrame(1, encoder.encode('2')), encodeFrame(8, new Uint8Array([0x03, 0xe8]))];
  const chunk = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  frames.reduce((at, f) => (chunk.set(f, at), at + f.length), 0);
  session.onData(chunk);
  assert.ok(transport.calls.includes('close'));
  assert.equal(events, ['1', '2', 'close 1000']);
  session.onClosed();
});

test('close handshake: transport closed after the reply; close handler once; session released', () => {
  const closes: unknown[] = [];
  const { session, transport, state } = open({ websocket: { close: (_ws, code, reason, clean) => void closes.push([code, reason, clean]) } });
  const payload = new Uint8Array([0x03, 0xe8, 0x6f, 0x6b]); // 1000 "ok"
  session.onData(encodeFrame(8, payload));
  assert.ok(transport.calls.includes('close'));
  assert.equal(closes, [[1000, 'ok', true]]);
  session.onClosed();
  assert.equal(closes.length, 1);
  assert.is(state.sessions.size, 0);
  assert.is(session.readyState, 3);
});

test('terminate: destroy, close handler with 1006; sends afterwards return 0', () => {
  const closes: unknown[] = [];
  const { session, transport } = open({ websocket: { close: (_ws, code, _r, clean) => void closes.push([code, clean]) } });
  const ws = session.ws!;
  ws.terminate();
  assert.ok(transport.calls.includes('destroy'));
  assert.equal(closes, [[1006, false]]);
  assert.is(ws.send('x'), 0);
  assert.is(ws.ping(), 0);
});

test('at most one timer per connection, however many events', () => {
  const timers = trackTimers();
  try {
    const { session } = open({ limits: { pingIntervalMs: 1000 }, websocket: { message: (ws, d) => void ws.send(d) } });
    for (let i = 0; i < 50; i++) session.onData(encodeFrame(1, encoder.encode(String(i))));
    session.ws!.close(1000);
    assert.is(timers.maxArmed(), 1);
    session.terminate();
  } finally {
    timers.restore();
  }
});

test.run();
