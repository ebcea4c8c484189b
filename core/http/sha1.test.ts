import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createHash } from 'node:crypto';
import { sha1 } from './sha1.ts';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const ascii = (s: string) => new TextEncoder().encode(s);

test('FIPS 180 vectors', () => {
  assert.is(hex(sha1(new Uint8Array(0))), 'da39a3ee5e6b4b0d3255bfef95601890afd80709');
  assert.is(hex(sha1(ascii('abc'))), 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.is(
    hex(sha1(ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))),
    '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
  );
  assert.is(
    hex(sha1(ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu'))),
    'a49b2446a02c645bf419f995b67091253a04a259',
  );
  assert.is(hex(sha1(new Uint8Array(1_000_000).fill(0x61))), '34aa973cd4c4daa4f61eeb2bdbad27316534016f');
});

test('returns 20 bytes and does not touch its input', () => {
  const input = ascii('hello');
  const digest = sha1(input);
  assert.is(digest.length, 20);
  assert.equal(input, ascii('hello'));
});

test('matches node:crypto at every length 0..300 (padding boundaries 55/56/63/64)', () => {
  for (let n = 0; n <= 300; n++) {
    const data = new Uint8Array(n).map((_, i) => (i * 131 + n) & 0xff);
    assert.is(hex(sha1(data)), createHash('sha1').update(data).digest('hex'), `length ${n}`);
  }
});

test('hashes a view at an offset of a larger buffer', () => {
  const big = new Uint8Array(200).map((_, i) => i);
  const view = big.subarray(7, 150);
  assert.is(hex(sha1(view)), createHash('sha1').update(view).digest('hex'));
});

test.run();
