import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { listContainsToken, parseExtensionOffers, parseTokenList } from './header-lists.ts';

const contains = suite('listContainsToken');

contains('finds a token case-insensitively among OWS and empty elements', () => {
  assert.ok(listContainsToken('Upgrade', 'upgrade'));
  assert.ok(listContainsToken('keep-alive, Upgrade', 'upgrade'));
  assert.ok(listContainsToken('keep-alive,UPGRADE', 'upgrade'));
  assert.ok(listContainsToken(' , ,\tupgrade\t, ', 'upgrade'));
  assert.ok(listContainsToken('websocket', 'websocket'));
  assert.ok(listContainsToken('h2c, WebSocket', 'websocket'));
});

contains('does not match substrings, prefixes or versions', () => {
  assert.not.ok(listContainsToken('', 'upgrade'));
  assert.not.ok(listContainsToken('keep-alive', 'upgrade'));
  assert.not.ok(listContainsToken('upgrades', 'upgrade'));
  assert.not.ok(listContainsToken('xupgrade', 'upgrade'));
  assert.not.ok(listContainsToken('up grade', 'upgrade'));
  assert.not.ok(listContainsToken('websocket/13', 'websocket'));
  assert.not.ok(listContainsToken('"websocket"', 'websocket'));
});

const tokens = suite('parseTokenList');

tokens('tokens in order, case kept, empty elements ignored', () => {
  assert.equal(parseTokenList('chat, superchat'), ['chat', 'superchat']);
  assert.equal(parseTokenList('Chat,,  v2.json ,\t'), ['Chat', 'v2.json']);
  assert.equal(parseTokenList(''), []);
  assert.equal(parseTokenList(' , '), []);
  assert.equal(parseTokenList('a, a'), ['a', 'a']);
  assert.equal(parseTokenList('__proto__, constructor, toString'), ['__proto__', 'constructor', 'toString']);
});

tokens('a non-token element makes the whole list invalid', () => {
  for (const v of ['chat super', 'chat, "super"', 'a;b', 'a/b', 'a=b', 'x, y@z', 'caf\u00e9', 'a\u0000']) {
    assert.is(parseTokenList(v), undefined, v);
  }
});

const ext = suite('parseExtensionOffers');

ext('permessage-deflate offers of RFC 7692', () => {
  assert.equal(parseExtensionOffers('permessage-deflate; client_max_window_bits'), [
    { name: 'permessage-deflate', params: [['client_max_window_bits', true]] },
  ]);
  assert.equal(
    parseExtensionOffers('permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate'),
    [
      { name: 'permessage-deflate', params: [['client_max_window_bits', true], ['server_max_window_bits', '10']] },
      { name: 'permessage-deflate', params: [] },
    ],
  );
});

ext('quoted values are unquoted; escapes resolved; OWS around ; = , allowed', () => {
  assert.equal(parseExtensionOffers('x; a="10"; b = 7 ;c= "v\\w" , y ;  d'), [
    { name: 'x', params: [['a', '10'], ['b', '7'], ['c', 'vw']] },
    { name: 'y', params: [['d', true]] },
  ]);
});

ext('names are lower-cased, values keep case; duplicates kept in order', () => {
  assert.equal(parseExtensionOffers('Foo; BAR=Baz; bar=QUX, foo'), [
    { name: 'foo', params: [['bar', 'Baz'], ['bar', 'QUX']] },
    { name: 'foo', params: [] },
  ]);
});

ext('empty elements ignored; empty header gives no offers', () => {
  assert.equal(parseExtensionOffers(''), []);
  assert.equal(parseExtensionOffers(' ,, '), []);
  assert.equal(parseExtensionOffers(', a ,, b,'), [
    { name: 'a', params: [] },
    { name: 'b', params: [] },
  ]);
});

ext('prototype-like names are ordinary names', () => {
  const offers = parseExtensionOffers('__proto__; constructor=1; __proto__, constructor; toString="x"');
  assert.equal(offers, [
    { name: '__proto__', params: [['constructor', '1'], ['__proto__', true]] },
    { name: 'constructor', params: [['tostring', 'x']] },
  ]);
  assert.is(Object.getPrototypeOf(offers![0]), Object.prototype);
});

ext('malformed headers are refused as a whole', () => {
  for (const v of [
    ';a', // no extension name
    'x;', // empty parameter
    'x; ;a',
    'x;=1',
    'x; a=', // empty value
    'x; a=""', // quoted empty value is not a token
    'x; a="1 2"', // quoted content must be a token
    'x; a="1,2"',
    'x; a="10', // unterminated
    'x; a="1\\', // dangling escape
    'x; a=1 2',
    'x; a==1',
    'x y',
    'x, y z',
    'x; a="b"c',
    'x; a=\u00e9',
    '"x"',
    'x; a=b; c="\u0000"',
    'ex@mple',
  ]) {
    assert.is(parseExtensionOffers(v), undefined, v);
  }
});

ext('linear time on hostile input', () => {
  const long = 'x' + '; a'.repeat(20000) + ', y; b="' + 'z'.repeat(20000) + '"';
  const offers = parseExtensionOffers(long);
  assert.is(offers?.length, 2);
  assert.is(offers?.[0]?.params.length, 20000);
  assert.is(offers?.[1]?.params[0]?.[1], 'z'.repeat(20000));
  assert.is(parseExtensionOffers('x; a="' + '\\'.repeat(40001)), undefined);
  assert.is(parseTokenList(','.repeat(50000) + 'a')?.length, 1);
});

contains.run();
tokens.run();
ext.run();
