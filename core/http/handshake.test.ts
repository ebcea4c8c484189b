import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MisuseError } from '../errors.ts';
import { buildAcceptResponse, buildRejectResponse, validatePlainRequest, validateUpgrade } from './handshake.ts';
import type { RequestHeadInput } from './handshake.ts';
import { RequestHeadParser } from './request-parser.ts';

const latin1 = (b: Uint8Array) => Array.from(b, (c) => String.fromCharCode(c)).join('');

const BASE: Array<[string, string]> = [
  ['Host', 'server.example.com'],
  ['Upgrade', 'websocket'],
  ['Connection', 'Upgrade'],
  ['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ=='],
  ['Origin', 'http://example.com'],
  ['Sec-WebSocket-Protocol', 'chat, superchat'],
  ['Sec-WebSocket-Version', '13'],
];

function head(overrides: { method?: string; httpVersion?: string; drop?: string[]; add?: Array<[string, string]>; set?: Array<[string, string]> } = {}): RequestHeadInput {
  const drop = new Set([...(overrides.drop ?? []), ...(overrides.set ?? []).map(([n]) => n)].map((n) => n.toLowerCase()));
  const rawHeaders: Array<[string, string]> = BASE.filter(([n]) => !drop.has(n.toLowerCase()));
  rawHeaders.push(...(overrides.set ?? []), ...(overrides.add ?? []));
  return { method: overrides.method ?? 'GET', target: '/chat', httpVersion: overrides.httpVersion ?? '1.1', rawHeaders };
}

function refusal(h: RequestHeadInput) {
  const r = validateUpgrade(h);
  if (r.ok) throw new Error('expected a refusal');
  return r;
}

const valid = suite('validateUpgrade: accepted');

valid('builds the HandshakeRequest', () => {
  const h = head({ add: [['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'], ['X-Multi', 'a'], ['x-multi', 'b']] });
  const r = validateUpgrade(h);
  assert.ok(r.ok);
  if (!r.ok) return;
  const q = r.request;
  assert.is(q.method, 'GET');
  assert.is(q.target, '/chat');
  assert.is(q.httpVersion, '1.1');
  assert.is(q.host, 'server.example.com');
  assert.is(q.origin, 'http://example.com');
  assert.is(q.key, 'dGhlIHNhbXBsZSBub25jZQ==');
  assert.equal(q.protocols, ['chat', 'superchat']);
  assert.equal(q.extensions, [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }]);
  assert.is(q.headers.get('x-multi'), 'a, b');
  assert.is(q.headers.get('sec-websocket-version'), '13');
  assert.is(q.rawHeaders, h.rawHeaders);
  assert.instance(q.headers, Map);
});

valid('case-insensitive names and tokens; Connection and Upgrade lists; no Origin; HTTP/1.2', () => {
  const r = validateUpgrade({
    method: 'GET',
    target: '/',
    httpVersion: '1.2',
    rawHeaders: [
      ['HOST', 'h'],
      ['upgrade', 'h2c, WebSocket'],
      ['CONNECTION', 'keep-alive, UPGRADE'],
      ['sec-websocket-key', 'AAAAAAAAAAAAAAAAAAAAAA=='],
      ['SEC-WEBSOCKET-VERSION', '13'],
      ['Content-Length', '0'],
    ],
  });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.request.origin, undefined);
  assert.equal(r.request.protocols, []);
  assert.equal(r.request.extensions, []);
});

valid('prototype-named headers are plain Map keys', () => {
  const r = validateUpgrade(head({ add: [['__proto__', 'x'], ['constructor', 'y'], ['toString', 'z']] }));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.request.headers.get('__proto__'), 'x');
  assert.is(r.request.headers.get('constructor'), 'y');
  assert.is(r.request.headers.get('tostring'), 'z');
  assert.is(r.request.headers.get('hasownproperty'), undefined);
});

valid('repeated Sec-WebSocket-Protocol and -Extensions headers are combined in order', () => {
  const r = validateUpgrade(head({ add: [['Sec-WebSocket-Protocol', 'v3'], ['Sec-WebSocket-Extensions', 'a'], ['Sec-WebSocket-Extensions', 'b; x=1']] }));
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.equal(r.request.protocols, ['chat', 'superchat', 'v3']);
  assert.equal(r.request.extensions, [{ name: 'a', params: [] }, { name: 'b', params: [['x', '1']] }]);
});

valid('parser output feeds validation', () => {
  const text =
    'GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';
  const p = new RequestHeadParser({ maxHeaderBytes: 1024, maxHeaderCount: 16 }).push(new TextEncoder().encode(text));
  assert.is(p.kind, 'complete');
  if (p.kind === 'complete') assert.ok(validateUpgrade(p.head).ok);
});

const refused = suite('validateUpgrade: refused');

refused('not GET: 405 with Allow: GET', () => {
  for (const method of ['POST', 'get', 'HEAD', 'CONNECT']) {
    const r = refusal(head({ method }));
    assert.is(r.status, 405);
    assert.is(r.code, 'HTTP_METHOD_NOT_ALLOWED');
    assert.equal(r.headers, [['Allow', 'GET']]);
    assert.is(r.plainHttp, undefined);
  }
  assert.is(refusal(head({ method: 'POST', drop: ['Upgrade'] })).plainHttp, true);
});

refused('HTTP versions', () => {
  const v10 = refusal(head({ httpVersion: '1.0' }));
  assert.is(v10.status, 400);
  assert.is(v10.code, 'HTTP_VERSION_NOT_SUPPORTED');
  assert.is(refusal(head({ httpVersion: '2.0' })).status, 505);
  assert.is(refusal(head({ httpVersion: '0.9' })).status, 505);
  for (const v of ['', '1', '1.', '.1', 'x.y', '1.1.1', 'HTTP/1.1']) assert.is(refusal(head({ httpVersion: v })).status, 400, v);
});

refused('Host: missing, empty or repeated is 400', () => {
  const missing = refusal(head({ drop: ['Host'] }));
  assert.is(missing.status, 400);
  assert.is(missing.code, 'HTTP_MISSING_HOST');
  assert.is(refusal(head({ set: [['Host', '']] })).code, 'HTTP_MISSING_HOST');
  const twice = refusal(head({ add: [['host', 'other']] }));
  assert.is(twice.status, 400);
  assert.is(twice.code, 'HTTP_BAD_REQUEST');
});

refused('a request body is 400', () => {
  assert.is(refusal(head({ add: [['Content-Length', '5']] })).status, 400);
  assert.is(refusal(head({ add: [['Transfer-Encoding', 'chunked']] })).status, 400);
});

refused('Upgrade missing or not websocket: 426 with Upgrade: websocket', () => {
  const plain = refusal(head({ drop: ['Upgrade'] }));
  assert.is(plain.status, 426);
  assert.is(plain.code, 'HTTP_UPGRADE_REQUIRED');
  assert.equal(plain.headers, [['Upgrade', 'websocket']]);
  assert.is(plain.plainHttp, true);
  const h2c = refusal(head({ set: [['Upgrade', 'h2c']] }));
  assert.is(h2c.status, 426);
  assert.is(h2c.plainHttp, undefined);
  assert.is(refusal(head({ set: [['Upgrade', 'websocket2']] })).status, 426);
});

refused('Connection without upgrade: 426', () => {
  const r = refusal(head({ set: [['Connection', 'keep-alive']] }));
  assert.is(r.status, 426);
  assert.is(r.code, 'HTTP_UPGRADE_REQUIRED');
  assert.is(refusal(head({ drop: ['Connection'] })).status, 426);
});

refused('Sec-WebSocket-Version not 13: 426 with Sec-WebSocket-Version: 13', () => {
  for (const v of ['8', '12', '14', '013', '13 13', ' ']) {
    const r = refusal(head({ set: [['Sec-WebSocket-Version', v]] }));
    assert.is(r.status, 426, v);
    assert.is(r.code, 'HTTP_BAD_VERSION');
    assert.equal(r.headers, [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13']]);
  }
  assert.is(refusal(head({ drop: ['Sec-WebSocket-Version'] })).status, 426);
  const twice = refusal(head({ add: [['Sec-WebSocket-Version', '13']] }));
  assert.is(twice.status, 400);
  assert.is(twice.code, 'HTTP_BAD_VERSION');
});

refused('Sec-WebSocket-Key missing, repeated or not base64 of 16 bytes: 400', () => {
  const cases: Array<RequestHeadInput> = [
    head({ drop: ['Sec-WebSocket-Key'] }),
    head({ add: [['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ==']] }),
    head({ set: [['Sec-WebSocket-Key', '']] }),
    head({ set: [['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZQ']] }), // unpadded
    head({ set: [['Sec-WebSocket-Key', 'dGhlIHNhbXBsZSBub25jZR==']] }), // non-canonical
    head({ set: [['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAAAAA=']] }), // 17 bytes
    head({ set: [['Sec-WebSocket-Key', 'AAAAAAAAAAAAAAAAAAAA']] }), // 15 bytes
    head({ set: [['Sec-WebSocket-Key', 'the sample nonce']] }),
  ];
  for (const h of cases) {
    const r = refusal(h);
    assert.is(r.status, 400);
    assert.is(r.code, 'HTTP_BAD_KEY');
  }
});

refused('malformed Sec-WebSocket-Protocol or -Extensions: 400', () => {
  const p = refusal(head({ set: [['Sec-WebSocket-Protocol', 'chat super']] }));
  assert.is(p.status, 400);
  assert.is(p.code, 'HTTP_BAD_REQUEST');
  const e = refusal(head({ add: [['Sec-WebSocket-Extensions', 'permessage-deflate; x="a b"']] }));
  assert.is(e.status, 400);
  assert.is(e.code, 'HTTP_BAD_REQUEST');
});

const responses = suite('responses');

responses('101 bytes exact', () => {
  assert.is(
    latin1(buildAcceptResponse('dGhlIHNhbXBsZSBub25jZQ==', {})),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n',
  );
  assert.is(
    latin1(
      buildAcceptResponse('dGhlIHNhbXBsZSBub25jZQ==', {
        protocol: 'chat',
        extensions: 'permessage-deflate; server_no_context_takeover',
        headers: [['Set-Cookie', 'a=b'], ['X-Id', '\u00e9']],
      }),
    ),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n' +
      'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\nSet-Cookie: a=b\r\nX-Id: \u00e9\r\n\r\n',
  );
  // Empty protocol/extensions mean none; a record of headers is accepted too.
  assert.is(
    latin1(buildAcceptResponse('dGhlIHNhbXBsZSBub25jZQ==', { protocol: '', extensions: '', headers: { 'X-A': '1' } })),
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX-A: 1\r\n\r\n',
  );
});

responses('reject bytes exact', () => {
  assert.is(
    latin1(buildRejectResponse(400, {})),
    'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\nBad Request',
  );
  assert.is(
    latin1(buildRejectResponse(426, { headers: [['Upgrade', 'websocket'], ['Sec-WebSocket-Version', '13']] })),
    'HTTP/1.1 426 Upgrade Required\r\nConnection: Upgrade, close\r\nContent-Type: text/plain; charset=utf-8\r\n' +
      'Content-Length: 16\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\nUpgrade Required',
  );
  assert.is(
    latin1(buildRejectResponse(403, { body: 'n\u00e9in' })),
    'HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 5\r\n\r\nn\u00c3\u00a9in',
  );
  assert.is(
    latin1(buildRejectResponse(500, { body: new Uint8Array([1, 2]), headers: [['Content-Type', 'application/octet-stream']] })),
    'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 2\r\nContent-Type: application/octet-stream\r\n\r\n\u0001\u0002',
  );
  assert.is(
    latin1(buildRejectResponse(200, { body: '<p>hi</p>', headers: [['content-type', 'text/html']] })),
    'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 9\r\ncontent-type: text/html\r\n\r\n<p>hi</p>',
  );
  assert.is(
    latin1(buildRejectResponse(401, { reason: 'Login First' })),
    'HTTP/1.1 401 Login First\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 11\r\n\r\nLogin First',
  );
  assert.is(latin1(buildRejectResponse(204, {})), 'HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n');
  assert.is(latin1(buildRejectResponse(499, { body: '' })), 'HTTP/1.1 499 Client Error\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 0\r\n\r\n');
});

responses('validation refusals turn into responses', () => {
  const r = refusal(head({ method: 'POST' }));
  assert.is(
    latin1(buildRejectResponse(r.status, { headers: r.headers })),
    'HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 18\r\nAllow: GET\r\n\r\nMethod Not Allowed',
  );
});

const misuse = suite('responses: misuse');

const throwsMisuse = (fn: () => unknown, label: string) => {
  try {
    fn();
  } catch (e) {
    assert.instance(e, MisuseError, label);
    assert.is((e as MisuseError).code, 'INVALID_OPTION', label);
    return;
  }
  assert.unreachable(`${label}: should throw`);
};

misuse('header names and values that could split the response throw', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const bad: Array<[string, string]> = [
    ['X-A', 'a\r\nSet-Cookie: evil=1'],
    ['X-A', 'a\nb'],
    ['X-A', 'a\rb'],
    ['X-A', 'a\u0000b'],
    ['X-A', 'a\u007fb'],
    ['X-A', '\u0100'],
    ['X A', 'v'],
    ['X-A:', 'v'],
    ['', 'v'],
    ['X\r\nB', 'v'],
  ];
  for (const pair of bad) {
    throwsMisuse(() => buildAcceptResponse(key, { headers: [pair] }), `accept ${JSON.stringify(pair)}`);
    throwsMisuse(() => buildRejectResponse(400, { headers: [pair] }), `reject ${JSON.stringify(pair)}`);
  }
  throwsMisuse(() => buildAcceptResponse(key, { protocol: 'a b' }), 'protocol');
  throwsMisuse(() => buildAcceptResponse(key, { protocol: 'a\r\nX: y' }), 'protocol CRLF');
  throwsMisuse(() => buildAcceptResponse(key, { extensions: 'x\r\nY: z' }), 'extensions');
  throwsMisuse(() => buildRejectResponse(400, { reason: 'a\r\nb' }), 'reason');
});

misuse('handshake-owned headers may not be overridden', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  for (const name of ['Upgrade', 'connection', 'Sec-WebSocket-Accept', 'SEC-WEBSOCKET-PROTOCOL', 'Sec-WebSocket-Extensions', 'Content-Length']) {
    throwsMisuse(() => buildAcceptResponse(key, { headers: [[name, 'x']] }), name);
  }
  for (const name of ['Connection', 'Content-Length', 'transfer-encoding']) {
    throwsMisuse(() => buildRejectResponse(400, { headers: [[name, 'x']] }), name);
  }
});

misuse('status out of range and a body on 204', () => {
  for (const status of [101, 199, 600, 400.5, NaN]) throwsMisuse(() => buildRejectResponse(status, {}), String(status));
  throwsMisuse(() => buildRejectResponse(204, { body: 'x' }), '204 body');
});

valid.run();
refused.run();
responses.run();
misuse.run();

const targets = suite('request-target and plain requests');

targets('an upgrade with an absolute-form target uses its path, and its authority as the host', () => {
  const r = validateUpgrade({ ...head(), target: 'http://other.example:8080/chat?room=1' });
  assert.ok(r.ok);
  if (!r.ok) return;
  assert.is(r.request.target, '/chat?room=1');
  assert.is(r.request.host, 'other.example:8080');
  assert.is(r.request.headers.get('host'), 'other.example:8080');
});

targets('an upgrade with a fragment, an asterisk or an authority-form target is a 400', () => {
  for (const target of ['/chat#x', '*', 'server.example.com:80', 'chat']) {
    const r = refusal({ ...head(), target });
    assert.is(r.status, 400, target);
    assert.is(r.code, 'HTTP_BAD_REQUEST');
  }
});

targets('plain requests: Host exactly once from HTTP/1.1 on, no content (413), OPTIONS * only', () => {
  const plain = (rawHeaders: Array<[string, string]>, extra: Partial<RequestHeadInput> = {}) =>
    validatePlainRequest({ method: 'GET', target: '/health', httpVersion: '1.1', rawHeaders, ...extra });
  const ok = plain([['Host', 'a.example']]);
  assert.ok(ok.ok);
  if (ok.ok) assert.is(ok.target, '/health');
  const status = (r: ReturnType<typeof plain>) => (r.ok ? 200 : r.status);
  assert.is(status(plain([])), 400, 'no Host');
  assert.is(status(plain([['Host', '']])), 400, 'empty Host');
  assert.is(status(plain([['Host', 'a.example'], ['Host', 'b.example']])), 400, 'two Host headers');
  assert.is(status(plain([], { httpVersion: '1.0' })), 200, 'HTTP/1.0 needs no Host');
  assert.is(status(plain([['Host', 'a'], ['Content-Length', '5']], { method: 'POST' })), 413);
  assert.is(status(plain([['Host', 'a'], ['Transfer-Encoding', 'chunked']], { method: 'POST' })), 413);
  assert.is(status(plain([['Host', 'a'], ['Content-Length', '0']], { method: 'POST' })), 200);
  assert.is(status(plain([['Host', 'a']], { target: '*' })), 400);
  assert.is(status(plain([['Host', 'a']], { target: '*', method: 'OPTIONS' })), 200);
  assert.is(status(plain([['Host', 'a']], { httpVersion: '2.0' })), 505);
  const absolute = plain([['Host', 'a']], { target: 'http://b.example/x' });
  assert.ok(absolute.ok && absolute.target === '/x' && absolute.headers.get('host') === 'b.example');
});

targets('a response to HEAD carries the headers, Content-Length included, and no content', () => {
  const full = latin1(buildRejectResponse(405, { body: 'method must be GET', headers: [['Allow', 'GET']] }));
  const head = latin1(buildRejectResponse(405, { body: 'method must be GET', headers: [['Allow', 'GET']], headOnly: true }));
  assert.ok(full.endsWith('\r\n\r\nmethod must be GET'));
  assert.is(head, full.slice(0, full.length - 'method must be GET'.length));
  assert.ok(head.includes('Content-Length: 18\r\n'));
});

targets.run();
