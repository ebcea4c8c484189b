import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionEvent } from '../events.ts';
import type { ServerConnection } from '../connection.ts';
import { clientFrame, concatBytes, echo, upgradeRequest } from '../testing.ts';
import { ClientDeflater } from '../../scripts/fuzz/client-deflate.ts';
import { TraceFormatError, type Trace, type TraceRecord } from './format.ts';
import { TraceDecoder, parseTrace, serializeTrace } from './jsonl.ts';
import { RecordingConnection, TraceRecorder } from './recorder.ts';
import { formatDivergence, replayTrace } from './replay.ts';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** Records an echo connection fed with `chunks` (one per ms), then ends the input. */
function recordEcho(chunks: Uint8Array[], options = {}, extra?: (conn: ServerConnection, event: ConnectionEvent) => void): RecordingConnection {
  const conn: RecordingConnection = new RecordingConnection(
    {
      ...options,
      onEvent: (event) => {
        echo(event, conn);
        extra?.(conn, event);
      },
    },
    { label: 'echo', app: 'recorded' },
    1000,
  );
  let t = 1000;
  for (const chunk of chunks) {
    conn.receive(chunk.slice(), ++t);
    conn.takeWrites();
  }
  return conn;
}

const format = suite('trace format');

format('every record kind survives serialize → parse', () => {
  const trace: Trace = {
    header: { websockTrace: 1, label: 'all kinds ✓', app: 'echo', options: { limits: { maxMessageSize: 1000 }, deflate: {} }, meta: { runtime: 'x' } },
    records: [
      { kind: 'in', t: 0.5, data: bytes(1, 2, 3) },
      { kind: 'out', t: 1, data: bytes() },
      { kind: 'tick', t: 2 },
      { kind: 'cmd', t: 3, cmd: { type: 'send', data: bytes(104, 105), text: true, fin: false } },
      { kind: 'cmd', t: 3, cmd: { type: 'close', code: 1000, reason: 'bye' }, inEvent: 2 },
      { kind: 'cmd', t: 3, cmd: { type: 'reject', status: 403, headers: [['X-A', 'b']], bodyText: 'no' } },
      { kind: 'cmd', t: 3, cmd: { type: 'accept', protocol: 'chat', deflate: false } },
      { kind: 'cmd', t: 3, cmd: { type: 'ping', data: bytes(255) } },
      { kind: 'ev', t: 4, event: { type: 'message', binary: true, data: 'AQI=' } },
      { kind: 'end', t: 5 },
      { kind: 'truncated', t: 6 },
    ],
  };
  const text = serializeTrace(trace);
  assert.is(text.split('\n').length, trace.records.length + 2);
  assert.ok(text.startsWith('{"websockTrace":1,'));
  assert.ok(text.includes('{"t":0.5,"in":"AQID"}'));
  const back = parseTrace(text);
  assert.equal(back, trace);
});

format('the streaming decoder gives the same records however the bytes are cut', () => {
  const conn = recordEcho([upgradeRequest(), clientFrame(1, 'héllo'), clientFrame(8, bytes(3, 232))]);
  const text = new TextEncoder().encode(conn.recorder.serialize());
  const whole = parseTrace(text);
  for (let cut = 1; cut < text.length; cut += 7) {
    const decoder = new TraceDecoder();
    const records: TraceRecord[] = [...decoder.push(text.subarray(0, cut)), ...decoder.push(text.subarray(cut)), ...decoder.finish()];
    assert.equal(records, whole.records);
    assert.equal(decoder.header, whole.header);
  }
});

format('malformed traces throw TraceFormatError with the line number', () => {
  const bad = [
    ['{"websockTrace":2}', 1],
    ['{"t":1,"in":"AA=="}', 1],
    ['{"websockTrace":1}\n{"t":1,"in":"A"}', 2],
    ['{"websockTrace":1}\n{"t":1,"in":"AA=="}\n{"t":"x","tick":true}', 3],
    ['{"websockTrace":1}\n{"t":1,"what":true}', 2],
    ['{"websockTrace":1}\n{"t":1,"cmd":{"type":"explode"}}', 2],
    ['{"websockTrace":1}\nnot json', 2],
  ] as const;
  for (const [text, line] of bad) {
    try {
      parseTrace(text);
      assert.unreachable(text);
    } catch (error) {
      assert.instance(error, TraceFormatError, text);
      assert.is((error as TraceFormatError).line, line, text);
    }
  }
});

const recorder = suite('recorder');

recorder('stops growing at maxBytes and marks the trace truncated', () => {
  const r = new TraceRecorder({ label: 'small', maxBytes: 300 });
  for (let i = 0; i < 100; i++) r.input(new Uint8Array(20).fill(i), i);
  assert.ok(r.truncated);
  const trace = parseTrace(r.serialize());
  assert.is(trace.records[trace.records.length - 1]!.kind, 'truncated');
  assert.ok(r.size <= 300 + 40, `size ${r.size}`);
  const sizeThen = r.size;
  r.tick(1000);
  assert.is(r.size, sizeThen);
});

recorder('takeText streams whole lines once', () => {
  const r = new TraceRecorder({ label: 'stream' });
  const first = r.takeText();
  assert.ok(first.startsWith('{"websockTrace":1') && first.endsWith('\n'));
  r.tick(5);
  r.end(6);
  assert.is(r.takeText(), '{"t":5,"tick":true}\n{"t":6,"end":true}\n');
  assert.is(r.takeText(), '');
  assert.is(r.serialize(), first + '{"t":5,"tick":true}\n{"t":6,"end":true}\n');
});

recorder('records input before the core unmasks it, and times relative to the start', () => {
  const frame = clientFrame(1, 'abc');
  const conn = recordEcho([concatBytes([upgradeRequest(), frame])]);
  const trace = parseTrace(conn.recorder.serialize());
  const input = trace.records.find((r) => r.kind === 'in');
  assert.ok(input && input.kind === 'in');
  assert.equal(input.data.subarray(input.data.length - frame.length), frame);
  assert.is(input.t, 1);
});

const replay = suite('replay');

replay('a recorded echo connection replays identically (writes and events)', () => {
  const conn = recordEcho([upgradeRequest(), clientFrame(1, 'Hello'), clientFrame(2, bytes(1, 2, 3), { fin: false }), clientFrame(0, bytes(4)), clientFrame(9, 'p'), clientFrame(8, bytes(3, 232, 111, 107))]);
  const trace = parseTrace(conn.recorder.serialize());
  assert.ok(trace.records.some((r) => r.kind === 'ev'));
  const result = replayTrace(trace);
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
  assert.ok(result.comparedEvents);
  assert.ok(result.expectedOutput.length > 129);
  assert.equal(result.execution.output, result.expectedOutput);
});

replay('the same trace under app "echo" without commands replays the same bytes', () => {
  const conn = recordEcho([upgradeRequest(), clientFrame(1, 'Hello'), clientFrame(8, bytes(3, 232))]);
  const recorded = parseTrace(conn.recorder.serialize());
  const stripped: Trace = { header: { ...recorded.header, app: 'echo' }, records: recorded.records.filter((r) => r.kind !== 'cmd') };
  const result = replayTrace(stripped);
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
});

replay('reports the first differing byte with context', () => {
  const conn = recordEcho([upgradeRequest(), clientFrame(1, 'Hello')]);
  const trace = parseTrace(conn.recorder.serialize());
  const records = trace.records.map((r) => {
    if (r.kind !== 'out' || r.data[0] !== 0x81) return r;
    const data = r.data.slice();
    data[3] = 0x45; // 'e' → 'E'
    return { ...r, data };
  });
  const result = replayTrace({ header: trace.header, records });
  assert.not.ok(result.ok);
  const d = result.divergence!;
  assert.is(d.kind, 'writes');
  if (d.kind !== 'writes') return;
  const headLength = result.expectedOutput.indexOf(0x81);
  assert.is(d.offset, headLength + 3);
  assert.ok(d.expected.includes('[45]') && d.actual.includes('[65]'), formatDivergence(d));
});

replay('commands between I/O, commands inside handlers, ticks and the end of input', () => {
  let pending: RecordingConnection | undefined;
  const conn: RecordingConnection = new RecordingConnection(
    {
      limits: { pingIntervalMs: 100, pongTimeoutMs: 50 },
      onEvent: (event) => {
        if (event.type === 'request') pending = conn;
        else if (event.type === 'message') conn.send(`got ${event.data.length}`, { compress: false });
      },
    },
    { label: 'mixed' },
    0,
  );
  conn.receive(concatBytes([upgradeRequest(), clientFrame(1, 'early')]), 1);
  conn.takeWrites();
  pending!.accept({ headers: { 'X-Trace': 'yes' } }, 5); // asynchronous decision: a command between calls
  conn.takeWrites();
  conn.ping('hb', 6);
  conn.tick(200); // keepalive ping
  conn.takeWrites();
  conn.receive(clientFrame(10, 'hb'), 210);
  conn.close(4000, 'done', 220);
  conn.takeWrites();
  conn.end(230);
  conn.takeWrites();
  const trace = parseTrace(conn.recorder.serialize());
  const cmds = trace.records.filter((r) => r.kind === 'cmd');
  assert.equal(cmds.map((r) => (r.kind === 'cmd' ? [r.cmd.type, r.inEvent ?? 0] : [])), [['accept', 0], ['send', 3], ['ping', 0], ['close', 0]]);
  const result = replayTrace(trace);
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
  assert.is(result.execution.conn.state, 'closed');
});

replay('permessage-deflate in both directions replays byte for byte', () => {
  const deflater = new ClientDeflater();
  const big = 'compress me '.repeat(200);
  const conn = recordEcho(
    [
      upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }),
      clientFrame(1, deflater.compress(big), { rsv: 4 }),
      clientFrame(1, deflater.compress(big), { rsv: 4 }),
    ],
    { deflate: {} },
  );
  const trace = parseTrace(conn.recorder.serialize());
  const result = replayTrace(trace);
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
  const messages = result.execution.events.filter((e) => e.type === 'message');
  assert.is(messages.length, 2);
});

replay('receiveRequest is recorded as the equivalent request head', () => {
  const conn = new RecordingConnection({ onEvent: (e) => echo(e, conn) }, { label: 'parsed' }, 0);
  conn.receiveRequest({
    method: 'GET',
    target: '/x',
    httpVersion: '1.1',
    rawHeaders: [
      ['Host', 'h'],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
      ['Sec-WebSocket-Version', '13'],
    ],
  });
  conn.takeWrites();
  conn.receive(clientFrame(1, 'x'), 1);
  conn.takeWrites();
  const result = replayTrace(parseTrace(conn.recorder.serialize()));
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
});

replay('a connection driven with takeEvents() (no onEvent) records and replays', () => {
  const conn = new RecordingConnection({}, { label: 'polling' }, 0);
  conn.receive(concatBytes([upgradeRequest(), clientFrame(1, 'early')]), 1);
  for (const event of conn.takeEvents()) if (event.type === 'request') conn.accept();
  conn.takeWrites();
  conn.receive(clientFrame(2, bytes(7, 7)), 2);
  for (const event of conn.takeEvents()) if (event.type === 'message') conn.send(event.data, { binary: event.binary });
  conn.takeWrites();
  const trace = parseTrace(conn.recorder.serialize());
  assert.ok(trace.records.every((r) => r.kind !== 'cmd' || r.inEvent === undefined));
  const result = replayTrace(trace);
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
  assert.equal(result.execution.events.map((e) => e.type), ['request', 'open', 'message', 'message']);
});

replay('a truncated trace is compared as a prefix', () => {
  const conn: RecordingConnection = new RecordingConnection({ onEvent: (e) => echo(e, conn) }, { label: 't', maxBytes: 1200 }, 0);
  conn.receive(upgradeRequest(), 0);
  conn.takeWrites();
  for (let i = 0; i < 20; i++) {
    conn.receive(clientFrame(2, new Uint8Array(40).fill(i)), i);
    conn.takeWrites();
  }
  assert.ok(conn.recorder.truncated);
  const result = replayTrace(parseTrace(conn.recorder.serialize()));
  assert.ok(result.truncated);
  assert.ok(result.ok, result.divergence && formatDivergence(result.divergence));
});

replay('an exception escaping the core is a divergence, not a crash', () => {
  const trace: Trace = { header: { websockTrace: 1, label: 'x', app: 'echo', options: {}, meta: {} }, records: [{ kind: 'in', t: 0, data: upgradeRequest() }] };
  const result = replayTrace(trace, {
    createConnection: (options, now) => {
      const conn = new RecordingConnection(options, {}, now);
      conn.receive = () => {
        throw new TypeError('boom');
      };
      return conn;
    },
  });
  assert.not.ok(result.ok);
  assert.is(result.divergence?.kind, 'threw');
});

format.run();
recorder.run();
replay.run();
