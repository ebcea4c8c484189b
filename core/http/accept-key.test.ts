import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { computeAcceptKey, WEBSOCKET_GUID } from './accept-key.ts';

const reference = (key: string) => createHash('sha1').update(key + WEBSOCKET_GUID, 'utf8').digest('base64');

test('RFC 6455 §1.3 vector', () => {
  assert.is(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('repeated calls reuse scratch state correctly', () => {
  const a = computeAcceptKey('x3JJHMbDL1EzLkh9GBhXDw==');
  computeAcceptKey('a much longer key that takes two blocks ............');
  computeAcceptKey('');
  assert.is(computeAcceptKey('x3JJHMbDL1EzLkh9GBhXDw=='), a);
  assert.is(a, 'HSmrc0sMlYUkAGmm5OPpG2HaGWk=');
});

test('matches node:crypto for keys of every length 0..130 (one block, two blocks, slow path)', () => {
  for (let n = 0; n <= 130; n++) {
    let key = '';
    for (let i = 0; i < n; i++) key += String.fromCharCode(0x21 + ((i * 7 + n) % 94));
    assert.is(computeAcceptKey(key), reference(key), `length ${n}`);
  }
});

test('non-ASCII keys are hashed as UTF-8', () => {
  for (const key of ['\u00e9t\u00e9', 'k\u20acy', '\u{1f600}']) assert.is(computeAcceptKey(key), reference(key));
});

test('random 16-byte keys', () => {
  for (let i = 0; i < 200; i++) {
    const bytes = new Uint8Array(16).map((_, j) => (i * 97 + j * 31 + ((i * j) >> 2)) & 0xff);
    let bin = '';
    for (const b of bytes) bin += String.fromCharCode(b);
    const key = btoa(bin);
    assert.is(computeAcceptKey(key), reference(key));
  }
});

test.run();
