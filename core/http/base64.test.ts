import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { base64DecodedLength, decodeBase64Strict, encodeBase64 } from './base64.ts';

const latin = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

// RFC 4648 §10 test vectors.
const VECTORS: Array<[string, string]> = [
  ['', ''],
  ['f', 'Zg=='],
  ['fo', 'Zm8='],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg=='],
  ['fooba', 'Zm9vYmE='],
  ['foobar', 'Zm9vYmFy'],
];

test('RFC 4648 vectors encode and decode', () => {
  for (const [plain, encoded] of VECTORS) {
    assert.is(encodeBase64(latin(plain)), encoded);
    assert.equal(decodeBase64Strict(encoded), latin(plain));
    assert.is(base64DecodedLength(encoded), plain.length);
  }
});

test('round trip of every byte value and every length 0..70', () => {
  const all = new Uint8Array(256).map((_, i) => i);
  assert.equal(decodeBase64Strict(encodeBase64(all)), all);
  for (let n = 0; n <= 70; n++) {
    const bytes = new Uint8Array(n).map((_, i) => (i * 37 + n * 11) & 0xff);
    const s = encodeBase64(bytes);
    assert.is(s.length, Math.ceil(n / 3) * 4);
    assert.equal(decodeBase64Strict(s), bytes);
  }
});

test('alphabet positions 62 and 63 are + and /', () => {
  assert.is(encodeBase64(new Uint8Array([0xfb, 0xff])), '+/8=');
  assert.equal(decodeBase64Strict('+/8='), new Uint8Array([0xfb, 0xff]));
});

test('strict decoding refuses everything non-canonical', () => {
  const bad = [
    'Zg', // unpadded
    'Zg=', // bad length
    'Zm9vY', // bad length
    'Zh==', // non-zero discarded bits
    'Zm9=', // non-zero discarded bits
    'Z===', // three pads
    '====',
    '=Zg=', // pad first
    'Zg==Zg==', // pad in the middle
    'Zm9v\n',
    'Zm9v ',
    ' Zm9v',
    'Zm-v', // URL-safe alphabet is not accepted
    'Zm_v',
    'Zm9\u00e9',
    'Zm9\u0176',
    'Zg=a',
    'Z\u0000==',
  ];
  for (const s of bad) {
    assert.is(decodeBase64Strict(s), undefined, JSON.stringify(s));
    assert.is(base64DecodedLength(s), -1, JSON.stringify(s));
  }
});

test('a WebSocket key decodes to 16 bytes', () => {
  assert.is(base64DecodedLength('dGhlIHNhbXBsZSBub25jZQ=='), 16);
  assert.is(new TextDecoder().decode(decodeBase64Strict('dGhlIHNhbXBsZSBub25jZQ==')), 'the sample nonce');
});

test.run();
