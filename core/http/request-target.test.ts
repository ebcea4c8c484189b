import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseRequestTarget } from './request-target.ts';

test('origin-form is kept as it is', () => {
  assert.equal(parseRequestTarget('/chat', 'GET'), { target: '/chat' });
  assert.equal(parseRequestTarget('/a/b?x=1&y=/z', 'GET'), { target: '/a/b?x=1&y=/z' });
  assert.equal(parseRequestTarget('/', 'GET'), { target: '/' });
});

test('absolute-form is reduced to origin-form; its authority is returned (RFC 9112 §3.2.2)', () => {
  assert.equal(parseRequestTarget('http://evil.example/chat', 'GET'), { target: '/chat', authority: 'evil.example' });
  assert.equal(parseRequestTarget('WSS://host:8443/a?b', 'GET'), { target: '/a?b', authority: 'host:8443' });
  assert.equal(parseRequestTarget('https://host', 'GET'), { target: '/', authority: 'host' });
  assert.equal(parseRequestTarget('http://host?q', 'GET'), { target: '/?q', authority: 'host' });
});

test('refused: fragments, asterisk-form except with OPTIONS, authority-form, other schemes, no host, userinfo', () => {
  for (const bad of ['/chat#frag', '#', 'http://host/a#b', '*', '127.0.0.1:80', 'chat?x', '', 'ftp://host/x', 'http:///x', 'http://user@host/x', '://host/x']) {
    assert.is(parseRequestTarget(bad, 'GET'), undefined, bad);
  }
  assert.equal(parseRequestTarget('*', 'OPTIONS'), { target: '*' });
});

test.run();
