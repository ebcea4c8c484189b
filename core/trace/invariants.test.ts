import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ServerConnection, type ServerConnectionOptions } from '../connection.ts';
import { DEFAULT_LIMITS } from '../limits.ts';
import { clientFrame, concatBytes, upgradeRequest } from '../testing.ts';
import { executeTrace } from './execute.ts';
import type { Trace, TraceConnectionOptions, TraceRecord } from './format.ts';
import { checkInvariants } from './invariants.ts';
import { compareExecutions } from './split-invariance.ts';
import { predictEvents, requestHeadEnd, utf8Check } from './oracle.ts';
import { parseServerOutput } from './server-output.ts';

const enc = new TextEncoder();
const trace = (records: TraceRecord[], options: TraceConnectionOptions = {}): Trace => ({
  header: { websockTrace: 1, label: 't', app: 'echo', options, meta: {} },
  records,
});
const kinds = (events: ReturnType<typeof predictEvents>): string[] => events.map((e) => (e.type === 'error' ? `error ${e.closeCode}` : e.type));

const oracle = suite('reference decoder');

oracle('valid traffic: messages, fragmented with a ping inside, close', () => {
  const frames = concatBytes([clientFrame(1, 'a'), clientFrame(2, 'xy', { fin: false }), clientFrame(9, 'p'), clientFrame(0, 'z'), clientFrame(8, new Uint8Array([3, 232]))]);
  const events = predictEvents(frames, { limits: DEFAULT_LIMITS, deflate: false });
  assert.equal(kinds(events), ['message', 'ping', 'message', 'peer-close']);
  const second = events[2];
  assert.ok(second?.type === 'message' && new TextDecoder().decode(second.data) === 'xyz');
});

oracle('violations and their close codes (RFC 6455 §5.1, §5.2, §5.5, §7.4; limits)', () => {
  const limits = { ...DEFAULT_LIMITS, maxFrameSize: 10, maxMessageSize: 12, fragmentOverheadBytes: 1 };
  const cases: Array<[Uint8Array, string]> = [
    [clientFrame(1, 'x', { mask: null }), 'error 1002'],
    [clientFrame(1, 'x', { rsv: 2 }), 'error 1002'],
    [clientFrame(1, 'x', { rsv: 4 }), 'error 1002'],
    [clientFrame(3, 'x'), 'error 1002'],
    [clientFrame(0, 'x'), 'error 1002'],
    [clientFrame(9, 'x', { fin: false }), 'error 1002'],
    [clientFrame(1, new Uint8Array([0xc3, 0x28])), 'error 1007'],
    [clientFrame(1, new Uint8Array([0xe2, 0x82])), 'error 1007'],
    [clientFrame(2, new Uint8Array(11)), 'error 1009'],
    [concatBytes([clientFrame(2, new Uint8Array(6), { fin: false }), clientFrame(0, new Uint8Array(6))]), 'error 1009'],
    [clientFrame(8, new Uint8Array([3])), 'error 1002'],
    [clientFrame(8, new Uint8Array([3, 237])), 'error 1002'], // 1005 may not be sent
    [clientFrame(8, new Uint8Array([3, 232, 0xff])), 'error 1007'],
  ];
  for (const [bytes, expected] of cases) {
    assert.equal(kinds(predictEvents(bytes, { limits, deflate: false })), [expected], Array.from(bytes).join(' '));
  }
});

oracle('an incomplete frame predicts nothing yet; invalid UTF-8 fails before the frame is complete', () => {
  const frame = clientFrame(1, 'hello');
  assert.equal(predictEvents(frame.subarray(0, frame.length - 1), { limits: DEFAULT_LIMITS, deflate: false }), []);
  const bad = clientFrame(1, new Uint8Array([0x61, 0xff, 0x62, 0x63]));
  assert.equal(kinds(predictEvents(bad.subarray(0, 8), { limits: DEFAULT_LIMITS, deflate: false })), ['error 1007']);
});

oracle('UTF-8 check: fail fast at the first impossible byte; incomplete sequences', () => {
  assert.equal(utf8Check(enc.encode('héllo 𝄞')), { bad: -1, incomplete: false });
  assert.equal(utf8Check(new Uint8Array([0xf0, 0x9d])), { bad: -1, incomplete: true });
  assert.equal(utf8Check(new Uint8Array([0x61, 0xed, 0xa0, 0x80])), { bad: 2, incomplete: false }); // surrogate
  assert.equal(utf8Check(new Uint8Array([0xf4, 0x90])), { bad: 1, incomplete: false }); // > U+10FFFF
  assert.equal(utf8Check(new Uint8Array([0xc0, 0x80])), { bad: 0, incomplete: false }); // overlong
});

oracle('the request head ends at the first CRLF CRLF after leading empty lines', () => {
  const head = upgradeRequest();
  assert.is(requestHeadEnd(concatBytes([enc.encode('\r\n\r\n'), head, new Uint8Array([1])])), 4 + head.length);
  assert.is(requestHeadEnd(head.subarray(0, head.length - 1)), -1);
});

const output = suite('server output parser');

output('a 101 and frames; masked, non-minimal and partial frames are problems', () => {
  const head = enc.encode('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n');
  assert.equal(parseServerOutput(concatBytes([head, new Uint8Array([0x81, 0x01, 0x61, 0x88, 0x02, 0x03, 0xe8])])).problems, []);
  assert.ok(parseServerOutput(concatBytes([head, clientFrame(1, 'a')])).problems.some((p) => p.includes('masked')));
  assert.ok(parseServerOutput(concatBytes([head, new Uint8Array([0x82, 126, 0, 5, 1, 2, 3, 4, 5])])).problems.some((p) => p.includes('non-minimal')));
  assert.ok(parseServerOutput(concatBytes([head, new Uint8Array([0x82, 5, 1])])).problems.some((p) => p.includes('partial')));
  const refusal = enc.encode('HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\n\r\nno');
  assert.equal(parseServerOutput(refusal), { status: 400, headEnd: refusal.length - 2, frames: [], problems: [] });
  assert.ok(parseServerOutput(concatBytes([refusal, new Uint8Array([0x81, 0])])).problems.length > 0);
});

const invariants = suite('invariants');

invariants('a healthy connection passes', () => {
  const t = trace([
    { kind: 'in', t: 0, data: upgradeRequest() },
    { kind: 'in', t: 1, data: concatBytes([clientFrame(1, 'hi'), clientFrame(9, 'p'), clientFrame(8, new Uint8Array([3, 232]))]) },
  ]);
  assert.equal(checkInvariants(t, executeTrace(t)), []);
});

/** A connection with a bug injected by the test (not in core/): it reports a message the peer never sent. */
function withPhantomMessage(options: ServerConnectionOptions, now: number): ServerConnection {
  const deliver = options.onEvent!;
  return new ServerConnection(
    {
      ...options,
      onEvent: (event) => {
        deliver(event);
        if (event.type === 'ping') deliver({ type: 'message', binary: true, data: new Uint8Array([1]) });
      },
    },
    now,
  );
}

invariants('a core that invents a message is caught by the reference decoder', () => {
  const t = trace([{ kind: 'in', t: 0, data: concatBytes([upgradeRequest(), clientFrame(9, 'p')]) }]);
  const violations = checkInvariants(t, executeTrace(t, { createConnection: withPhantomMessage }));
  assert.ok(violations.some((v) => v.kind === 'oracle'), JSON.stringify(violations));
});

invariants('a core that throws on peer input is caught', () => {
  const t = trace([{ kind: 'in', t: 0, data: upgradeRequest() }]);
  const throwing = (options: ServerConnectionOptions, now: number): ServerConnection => {
    const conn = new ServerConnection(options, now);
    conn.receive = () => {
      throw new RangeError('offset out of bounds');
    };
    return conn;
  };
  assert.equal(checkInvariants(t, executeTrace(t, { createConnection: throwing })).map((v) => v.kind), ['threw']);
});

invariants('split invariance compares events and bytes', () => {
  const t = trace([{ kind: 'in', t: 0, data: concatBytes([upgradeRequest(), clientFrame(1, 'hello'), clientFrame(2, new Uint8Array(300))]) }], { receiveMode: 'stream' });
  const whole = executeTrace(t);
  const bytewise = executeTrace(t, { split: (data) => Array.from({ length: data.length - 1 }, (_, i) => i + 1) });
  assert.is(compareExecutions(whole, bytewise), undefined);
  assert.ok(bytewise.events.length > whole.events.length); // stream mode: more fragments, same joined messages
});

oracle.run();
output.run();
invariants.run();
