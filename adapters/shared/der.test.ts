import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derIa5String,
  derImplicitPrimitive,
  derLength,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derSmallInteger,
  derTime,
  derUnsignedInteger,
  derUtf8String,
  unsignedIntegerContent,
} from './der.ts';

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const fromHex = (text: string): Uint8Array => Uint8Array.from(text.match(/../g) ?? [], (h) => parseInt(h, 16));

test('length: short form below 128, minimal long form above', () => {
  assert.is(hex(derLength(0)), '00');
  assert.is(hex(derLength(127)), '7f');
  assert.is(hex(derLength(128)), '8180');
  assert.is(hex(derLength(255)), '81ff');
  assert.is(hex(derLength(256)), '820100');
  assert.is(hex(derLength(65535)), '82ffff');
  assert.is(hex(derLength(65536)), '83010000');
  assert.throws(() => derLength(-1));
});

test('long content gets a long-form length', () => {
  const encoded = derOctetString(new Uint8Array(300));
  assert.is(hex(encoded.subarray(0, 4)), '0482012c');
  assert.is(encoded.length, 304);
});

test('INTEGER: minimal, positive, leading 0x00 when the high bit is set', () => {
  assert.is(hex(derSmallInteger(0)), '020100');
  assert.is(hex(derSmallInteger(2)), '020102');
  assert.is(hex(derSmallInteger(127)), '02017f');
  assert.is(hex(derSmallInteger(128)), '02020080');
  assert.is(hex(derSmallInteger(256)), '02020100');
  assert.is(hex(derUnsignedInteger(fromHex('000000ff'))), '020200ff');
  assert.is(hex(derUnsignedInteger(fromHex('00007f01'))), '02027f01');
  assert.is(hex(derUnsignedInteger(fromHex('0000'))), '020100');
  assert.is(hex(derUnsignedInteger(new Uint8Array(0))), '020100');
  assert.is(hex(unsignedIntegerContent(fromHex('80'))), '0080');
});

test('OBJECT IDENTIFIER: first two arcs combined, base-128 arcs', () => {
  assert.is(hex(derOid('2.5.4.3')), '0603550403');
  assert.is(hex(derOid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302');
  assert.is(hex(derOid('1.2.840.10045.2.1')), '06072a8648ce3d0201');
  assert.is(hex(derOid('1.3.6.1.5.5.7.3.1')), '06082b06010505070301');
  assert.is(hex(derOid('2.999.3')), '0603883703'); // X.690 §8.19.5 example
  assert.throws(() => derOid('1'));
  assert.throws(() => derOid('1.40'));
  assert.throws(() => derOid('1.2.x'));
});

test('BOOLEAN, strings, SEQUENCE, SET, tags', () => {
  assert.is(hex(derBoolean(true)), '0101ff');
  assert.is(hex(derBoolean(false)), '010100');
  assert.is(hex(derUtf8String('é')), '0c02c3a9');
  assert.is(hex(derIa5String('ab')), '16026162');
  assert.throws(() => derIa5String('é'));
  assert.is(hex(derSequence()), '3000');
  assert.is(hex(derSequence(derBoolean(true), derSmallInteger(1))), '30060101ff020101');
  assert.is(hex(derSet(derSmallInteger(1))), '3103020101');
  assert.is(hex(derExplicit(0, derSmallInteger(2))), 'a003020102');
  assert.is(hex(derImplicitPrimitive(7, fromHex('7f000001'))), '87047f000001');
});

test('BIT STRING and named bits drop trailing zero bits', () => {
  assert.is(hex(derBitString(fromHex('abcd'))), '030300abcd');
  assert.is(hex(derNamedBits([0])), '03020780'); // keyUsage digitalSignature
  assert.is(hex(derNamedBits([0, 5])), '03020284'); // digitalSignature + keyCertSign
  assert.is(hex(derNamedBits([8])), '0303070080'); // decipherOnly
  assert.is(hex(derNamedBits([])), '030100');
  assert.throws(() => derBitString(fromHex('00'), 8));
});

test('time: UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)', () => {
  const text = (bytes: Uint8Array): string => String.fromCharCode(...bytes.subarray(2));
  const utc = derTime(new Date(Date.UTC(2026, 10, 24, 6, 5, 9, 999)));
  assert.is(utc[0], 0x17);
  assert.is(text(utc), '261124060509Z');
  const late = derTime(new Date(Date.UTC(2050, 0, 1, 0, 0, 0)));
  assert.is(late[0], 0x18);
  assert.is(text(late), '20500101000000Z');
  assert.is(text(derTime(new Date(Date.UTC(1950, 0, 1)))), '500101000000Z');
});

test.run();
