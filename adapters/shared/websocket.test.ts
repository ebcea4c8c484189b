/**
 * The socket's sending methods take exactly their documented types: anything else throws MisuseError
 * (`INVALID_OPTION`) at the call, in every state, and nothing reaches the transport. Sessions over a fake transport.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MisuseError } from '../../core/errors.ts';
import { resolveServerConfig } from './options.ts';
import { ServerState } from './server-state.ts';
import { FakeTransport } from '../test/fake-transport.ts';
import type { ServeOptions, ServerWebSocket } from './types.ts';
import type { Session } from './session.ts';

const encoder = new TextEncoder();

const REQUEST = encoder.encode(
  'GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
);

function open(options: Partial<ServeOptions<unknown>> = {}): { session: Session<unknown>; ws: ServerWebSocket<unknown>; transport: FakeTransport } {
  const state = new ServerState<unknown>(resolveServerConfig<unknown>({ websocket: {}, ...options } as ServeOptions<unknown>, { secure: false }));
  const transport = new FakeTransport();
  const session = state.connect(transport);
  session.onData(REQUEST.slice());
  transport.written.length = 0; // the 101 response
  return { session, ws: session.ws!, transport };
}

const misuse = (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION';

/** Calls that must throw, as [label, call]; `ws` is the socket under test. */
function wrongCalls(ws: ServerWebSocket<unknown>): Array<[string, () => unknown]> {
  const any = ws as unknown as Record<string, (...args: unknown[]) => unknown>;
  const calls: Array<[string, () => unknown]> = [];
  for (const bad of [123, 2 ** 30, undefined, null, {}, [1, 2], true, Symbol('s'), () => 1]) {
    const label = typeof bad === 'symbol' ? 'symbol' : String(JSON.stringify(bad) ?? typeof bad);
    calls.push([`send(${label})`, () => any['send']!.call(ws, bad)]);
    calls.push([`sendText(${label})`, () => any['sendText']!.call(ws, bad)]);
    calls.push([`sendBinary(${label})`, () => any['sendBinary']!.call(ws, bad)]);
    calls.push([`publish(t, ${label})`, () => any['publish']!.call(ws, 't', bad)]);
    if (bad !== undefined) {
      calls.push([`ping(${label})`, () => any['ping']!.call(ws, bad)]);
      calls.push([`pong(${label})`, () => any['pong']!.call(ws, bad)]);
    }
  }
  calls.push(['sendBinary(string)', () => any['sendBinary']!.call(ws, 'str')]);
  calls.push(['sendText(ArrayBuffer)', () => any['sendText']!.call(ws, new ArrayBuffer(2))]);
  calls.push(['ping(ArrayBuffer)', () => any['ping']!.call(ws, new ArrayBuffer(2))]);
  calls.push(['publishBinary(string)', () => any['publishBinary']!.call(ws, 't', 'str')]);
  calls.push(['publishText(bytes)', () => any['publishText']!.call(ws, 't', new Uint8Array(1))]);
  for (const method of ['send', 'sendText', 'sendBinary']) {
    const data = method === 'sendText' ? 'x' : new Uint8Array(1);
    calls.push([`${method}(data, 'yes')`, () => any[method]!.call(ws, data, 'yes')]);
    calls.push([`${method}(data, 1)`, () => any[method]!.call(ws, data, 1)]);
  }
  calls.push(["publish(t, 'x', 'yes')", () => any['publish']!.call(ws, 't', 'x', 'yes')]);
  return calls;
}

test('wrong types throw INVALID_OPTION while open, and nothing is written', () => {
  const { ws, session, transport } = open();
  for (const [label, call] of wrongCalls(ws)) {
    assert.throws(call, misuse, label);
    assert.is(transport.written.length, 0, label);
  }
  assert.is(ws.readyState, 1); // the connection is unharmed
  assert.ok(ws.send('ok') > 0);
  session.terminate();
});

test('wrong types throw in every state (after close too)', () => {
  const { ws, session } = open();
  session.terminate();
  assert.is(ws.readyState, 3);
  for (const [label, call] of wrongCalls(ws)) assert.throws(call, misuse, label);
});

test('the documented types still send, with the right opcode and length', () => {
  const { ws, session, transport } = open();
  const sent: Array<[number, number]> = [];
  const take = (): void => {
    for (const w of transport.written.splice(0)) sent.push([w[0]!, w[1]! & 0x7f]);
  };
  const buffer = new ArrayBuffer(8);
  const cases: Array<() => number> = [
    () => ws.send('abc'),
    () => ws.send(new Uint8Array(3)),
    () => ws.send(buffer),
    () => ws.send(new DataView(buffer, 2, 4)),
    () => ws.send(new Float32Array(2), false),
    () => ws.sendText('hé', true),
    () => ws.sendText(encoder.encode('hé')),
    () => ws.sendBinary(new Uint16Array(3)),
    () => ws.sendBinary(buffer, undefined),
    () => ws.ping(),
    () => ws.ping('p'),
    () => ws.pong(new Uint8Array(2)),
  ];
  for (const call of cases) {
    assert.ok(call() > 0);
    take();
  }
  assert.equal(sent, [
    [0x81, 3], [0x82, 3], [0x82, 8], [0x82, 4], [0x82, 8], [0x81, 3], [0x81, 3], [0x82, 6], [0x82, 8], [0x89, 0], [0x89, 1], [0x8a, 2],
  ]);
  assert.is(ws.publish('t', 'x'), 0); // no subscribers: nothing, but no throw
  assert.is(ws.publishBinary('t', new DataView(buffer)), 0);
  session.terminate();
});

test.run();
