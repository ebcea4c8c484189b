import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { upgradeRequest } from '../../core/testing.ts';
import { executeTrace, type Execution } from '../../core/trace/execute.ts';
import type { Trace } from '../../core/trace/format.ts';
import { checkHandshake } from './handshake-check.ts';

const enc = new TextEncoder();
const traceOf = (request: Uint8Array, options = {}): Trace => ({
  header: { websockTrace: 1, label: 'h', app: 'echo', options, meta: {} },
  records: [{ kind: 'in', t: 0, data: request }],
});
/** The execution with its output replaced (a stand-in for a broken server). */
const withOutput = (execution: Execution, text: string): Execution => ({ ...execution, output: enc.encode(text) });

test('the real core passes: plain and with permessage-deflate', () => {
  const plain = traceOf(upgradeRequest());
  assert.equal(checkHandshake(plain, executeTrace(plain)), []);
  const deflate = traceOf(upgradeRequest({ 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' }), { deflate: {} });
  const execution = executeTrace(deflate);
  assert.ok(new TextDecoder().decode(execution.output).includes('permessage-deflate'));
  assert.equal(checkHandshake(deflate, execution), []);
});

test('a wrong accept key, a 101 for a bad request, or an unasked client_max_window_bits are caught', () => {
  const good = traceOf(upgradeRequest());
  const execution = executeTrace(good);
  const head = (accept: string, extra = '') => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n${extra}\r\n`;
  assert.equal(checkHandshake(good, withOutput(execution, head('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='))), []);
  assert.is(checkHandshake(good, withOutput(execution, head('AAAAAAAAAAAAAAAAAAAAAAAAAAA='))).length, 1);
  const badVersion = traceOf(upgradeRequest({ 'Sec-WebSocket-Version': '8' }));
  assert.ok(checkHandshake(badVersion, withOutput(execution, head('s3pPLMBiTxaQ9kYGzzhZRbK+xOo='))).some((v) => v.message.includes('Version')));
  const unasked = checkHandshake(good, withOutput(execution, head('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', 'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=10\r\n')));
  assert.ok(unasked.length >= 1);
});

test.run();
