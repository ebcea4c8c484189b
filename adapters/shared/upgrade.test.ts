import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isOriginAllowed, isRejection, isThenable, selectProtocol, toUpgradeRequest } from './upgrade.ts';
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

test.run();
