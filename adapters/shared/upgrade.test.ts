import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkUpgradeDecision, isOriginAllowed, isRejection, isThenable, selectProtocol, toUpgradeRequest } from './upgrade.ts';
import { MisuseError } from '../../core/errors.ts';
import { resolveServerConfig } from './options.ts';
import type { HandshakeRequest } from '../../core/events.ts';

const config = (origins?: readonly string[] | ((o: string | undefined) => boolean)) =>
  resolveServerConfig({ websocket: {}, ...(origins !== undefined ? { origins } : {}) }, { secure: false });

test('selectProtocol follows the server preference among the offered ones', () => {
  assert.is(selectProtocol(['b', 'a'], ['a', 'b']), 'b');
  assert.is(selectProtocol(['b', 'a'], ['a']), 'a');
  assert.is(selectProtocol(['b', 'a'], ['c']), undefined);
  assert.is(selectProtocol([], ['a']), undefined);
  assert.is(selectProtocol(['a'], []), undefined);
});

test('origin allow-list: case-insensitive exact match; missing refused by a list', () => {
  const c = config(['https://Example.com']);
  assert.ok(isOriginAllowed(c, 'https://example.com'));
  assert.ok(isOriginAllowed(c, 'HTTPS://EXAMPLE.COM'));
  assert.not.ok(isOriginAllowed(c, 'https://example.com.evil'));
  assert.not.ok(isOriginAllowed(c, undefined));
  assert.ok(isOriginAllowed(config(), undefined));
  assert.ok(isOriginAllowed(config((o) => o === undefined), undefined));
  assert.not.ok(isOriginAllowed(config((o) => o === undefined), 'https://x'));
});

test('decisions: a status means refusal; thenables are detected', () => {
  assert.ok(isRejection({ status: 401 }));
  assert.not.ok(isRejection({ data: 1 }));
  assert.not.ok(isRejection(undefined));
  assert.ok(isThenable(Promise.resolve()));
  assert.not.ok(isThenable({ then: 1 }));
});

test('the hook’s request splits path and query', () => {
  const request: HandshakeRequest = {
    method: 'GET', target: '/chat?room=1', httpVersion: '1.1', headers: new Map(), rawHeaders: [], host: 'h',
    origin: undefined, key: 'k', protocols: ['p'], extensions: [],
  };
  const r = toUpgradeRequest(request, '10.0.0.1', true);
  assert.is(r.path, '/chat');
  assert.is(r.url, '/chat?room=1');
  assert.is(r.remoteAddress, '10.0.0.1');
  assert.ok(r.secure);
});

test('checkUpgradeDecision: the documented shapes pass as they are', () => {
  assert.is(checkUpgradeDecision(undefined), undefined);
  const accept = { data: { user: 1 }, protocol: 'chat', headers: { 'x-a': '1' } };
  assert.is(checkUpgradeDecision(accept), accept);
  const pairs = { headers: [['x-a', '1']] };
  assert.is(checkUpgradeDecision(pairs), pairs);
  for (const status of [400, 403, 451, 599]) {
    const reject = { status, body: 'no', headers: { 'x-b': '2' } };
    assert.is(checkUpgradeDecision(reject), reject);
    assert.ok(isRejection(checkUpgradeDecision(reject)));
  }
  assert.ok(isRejection(checkUpgradeDecision({ status: 401, body: new Uint8Array(2) })));
  assert.not.ok(isRejection(checkUpgradeDecision({ data: 0 })));
});

test('checkUpgradeDecision: anything else is misuse (INVALID_OPTION), not an accept', () => {
  const bad: unknown[] = [
    'yes', 42, true, null, [], () => undefined,
    { status: 200 }, { status: 399 }, { status: 101 }, { status: 600 }, { status: 403.5 }, { status: '403' }, { status: NaN }, { status: null },
    { protocol: 5 },
  ];
  // Bad headers and bodies are refused where the response is built (hook-results.test.ts: answered 500).
  for (const decision of bad) {
    assert.throws(() => checkUpgradeDecision(decision), (e: unknown) => e instanceof MisuseError && e.code === 'INVALID_OPTION', String(JSON.stringify(decision)));
  }
});

test.run();
