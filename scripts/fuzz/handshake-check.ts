/**
 * An independent check of the opening handshake (RFC 6455 §4.2, RFC 7692 §7.1): when the server answered 101,
 * the request must have been a valid upgrade by a simple reference reading of the raw bytes, and the response
 * must carry the right accept key (computed with node:crypto, not the core's SHA-1) and only extension
 * parameters the client allowed.
 */
import { createHash } from 'node:crypto';
import type { Execution } from '../../core/trace/execute.ts';
import type { Trace } from '../../core/trace/format.ts';
import type { Violation } from '../../core/trace/invariants.ts';
import { requestHeadEnd } from '../../core/trace/oracle.ts';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const latin1 = new TextDecoder('latin1');

function headers(lines: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const previous = map.get(name);
    map.set(name, previous === undefined ? value : `${previous}, ${value}`);
  }
  return map;
}

const tokens = (value: string | undefined): string[] => (value ?? '').split(',').map((t) => t.trim().toLowerCase());

/** Checks the handshake of one execution; returns violations (none when the server did not answer 101). */
export function checkHandshake(trace: Trace, execution: Execution): Violation[] {
  const output = execution.output;
  const responseEnd = requestHeadEnd(output);
  const response = latin1.decode(output.subarray(0, Math.max(0, responseEnd)));
  if (!response.startsWith('HTTP/1.1 101 ')) return [];
  const chunks: Uint8Array[] = [];
  for (const r of trace.records) if (r.kind === 'in') chunks.push(r.data);
  let total = 0;
  for (const c of chunks) total += c.length;
  const input = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    input.set(c, at);
    at += c.length;
  }
  const end = requestHeadEnd(input);
  const out: Violation[] = [];
  const bad = (message: string): void => void out.push({ kind: 'handshake', message });
  if (end < 0) {
    bad('101 without a complete request head');
    return out;
  }
  const lines = latin1.decode(input.subarray(0, end - 4)).split('\r\n');
  while (lines[0] === '') lines.shift();
  const [method, , version, ...rest] = (lines[0] ?? '').split(' ');
  const request = headers(lines.slice(1));
  // RFC 6455 §4.2.1: GET, HTTP/1.1 or higher, Host, Upgrade: websocket, Connection: Upgrade, version 13, a 16-byte key.
  if (method !== 'GET' || rest.length > 0) bad(`101 for request line ${JSON.stringify(lines[0])}`);
  if (!/^HTTP\/1\.[1-9]$/.test(version ?? '')) bad(`101 for version ${JSON.stringify(version)}`);
  if (!request.has('host')) bad('101 without Host');
  if (!tokens(request.get('upgrade')).includes('websocket')) bad(`101 for Upgrade ${JSON.stringify(request.get('upgrade'))}`);
  if (!tokens(request.get('connection')).includes('upgrade')) bad(`101 for Connection ${JSON.stringify(request.get('connection'))}`);
  if (request.get('sec-websocket-version') !== '13') bad(`101 for Sec-WebSocket-Version ${JSON.stringify(request.get('sec-websocket-version'))}`);
  const key = request.get('sec-websocket-key') ?? '';
  if (!/^[A-Za-z0-9+/]{21}[AQgw]==$/.test(key)) bad(`101 for Sec-WebSocket-Key ${JSON.stringify(key)}`);

  const answer = headers(response.split('\r\n').slice(1));
  const expected = createHash('sha1').update(key + GUID).digest('base64');
  if (answer.get('sec-websocket-accept') !== expected) bad(`Sec-WebSocket-Accept ${JSON.stringify(answer.get('sec-websocket-accept'))}, expected ${expected}`);
  if (!tokens(answer.get('upgrade')).includes('websocket') || !tokens(answer.get('connection')).includes('upgrade')) bad('101 without Upgrade/Connection');
  const protocol = answer.get('sec-websocket-protocol');
  if (protocol !== undefined && !tokens(request.get('sec-websocket-protocol')).includes(protocol.toLowerCase())) bad(`subprotocol ${protocol} not offered`);

  // RFC 7692 §7.1: only permessage-deflate, only if offered; client_max_window_bits only if the client sent it.
  const extensions = answer.get('sec-websocket-extensions');
  if (extensions !== undefined && extensions !== '') {
    const offered = request.get('sec-websocket-extensions') ?? '';
    const params = extensions.split(';').map((p) => p.trim().toLowerCase());
    if (params[0] !== 'permessage-deflate' || !/permessage-deflate/i.test(offered)) bad(`extensions ${JSON.stringify(extensions)} for offer ${JSON.stringify(offered)}`);
    if (params.some((p) => p.startsWith('client_max_window_bits')) && !/client_max_window_bits/i.test(offered)) bad('client_max_window_bits answered but not offered');
    if (new Set(params.map((p) => p.split('=')[0])).size !== params.length) bad(`a parameter repeated in ${JSON.stringify(extensions)}`);
  }
  return out;
}
