import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  MAX_CLOSE_REASON_BYTES,
  encodeClosePayload,
  encodeClosePayloadUnchecked,
  isValidReceivedCloseCode,
  isValidSentCloseCode,
  parseClosePayload,
} from './close.ts';
import { MisuseError } from './errors.ts';

const fromHex = (h: string): Uint8Array => new Uint8Array((h.match(/../g) ?? []).map((x) => parseInt(x, 16)));
const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const withCode = (code: number, reason: Uint8Array = new Uint8Array(0)): Uint8Array => {
  const out = new Uint8Array(2 + reason.length);
  out[0] = code >> 8;
  out[1] = code & 0xff;
  out.set(reason, 2);
  return out;
};

function throwsMisuse(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (error) {
    assert.instance(error, MisuseError);
    assert.is((error as MisuseError).code, code);
    return;
  }
  assert.unreachable(`expected MisuseError ${code}`);
}

const VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
// Autobahn 7.9.x plus the other edges of RFC 6455 §7.4.
const INVALID = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

test('close code validity (RFC 6455 §7.4.1, §7.4.2)', () => {
  for (const code of VALID) {
    assert.ok(isValidReceivedCloseCode(code), `received ${code}`);
    assert.ok(isValidSentCloseCode(code), `sent ${code}`);
  }
  for (const code of INVALID) {
    assert.not.ok(isValidReceivedCloseCode(code), `received ${code}`);
    assert.not.ok(isValidSentCloseCode(code), `sent ${code}`);
  }
  let validCount = 0;
  for (let code = 0; code < 65536; code++) if (isValidReceivedCloseCode(code)) validCount++;
  assert.is(validCount, 4 + 8 + 2000);
  for (const code of [1000.5, NaN, Infinity, -1000]) assert.not.ok(isValidSentCloseCode(code), String(code));
});

test('parse: empty payload is 1005 with no reason (RFC 6455 §7.1.5)', () => {
  assert.equal(parseClosePayload(new Uint8Array(0)), { ok: true, code: 1005, reason: '' });
});

test('parse: 1-byte payload is invalid', () => {
  assert.equal(parseClosePayload(fromHex('03')), { ok: false, code: 'INVALID_CLOSE_PAYLOAD' });
});

test('parse: code only, and code with reason', () => {
  assert.equal(parseClosePayload(fromHex('03e8')), { ok: true, code: 1000, reason: '' });
  assert.equal(parseClosePayload(withCode(4999, new TextEncoder().encode('bye κόσμε'))), {
    ok: true,
    code: 4999,
    reason: 'bye κόσμε',
  });
  assert.equal(parseClosePayload(withCode(1001, fromHex('efbbbf41'))), { ok: true, code: 1001, reason: '\ufeffA' });
});

test('parse: every invalid code (Autobahn 7.9.x)', () => {
  for (const code of INVALID) {
    assert.equal(parseClosePayload(withCode(code)), { ok: false, code: 'INVALID_CLOSE_CODE' }, `code ${code}`);
  }
});

test('parse: reason that is not valid UTF-8 (Autobahn 7.5.1)', () => {
  const reason = fromHex('cebae1bdb9cf83cebcceb5eda080656469746564');
  assert.equal(parseClosePayload(withCode(1000, reason)), { ok: false, code: 'INVALID_CLOSE_REASON' });
  assert.equal(parseClosePayload(withCode(1000, fromHex('ce'))), { ok: false, code: 'INVALID_CLOSE_REASON' });
  // The code is checked before the reason.
  assert.equal(parseClosePayload(withCode(1005, fromHex('ff'))), { ok: false, code: 'INVALID_CLOSE_CODE' });
});

test('encode: no code means an empty payload', () => {
  assert.is(encodeClosePayload(undefined, '').length, 0);
  throwsMisuse(() => encodeClosePayload(undefined, 'why'), 'INVALID_CLOSE_CODE');
});

test('encode: code and reason round-trip', () => {
  assert.is(hex(encodeClosePayload(1000, '')), '03e8');
  assert.is(hex(encodeClosePayload(4000, 'ok')), '0fa06f6b');
  for (const code of VALID) {
    const reason = 'reason é 中 😀';
    assert.equal(parseClosePayload(encodeClosePayload(code, reason)), { ok: true, code, reason });
  }
});

test('encode: codes the application may not send throw', () => {
  for (const code of [...INVALID, 1000.5, NaN]) throwsMisuse(() => encodeClosePayload(code, ''), 'INVALID_CLOSE_CODE');
});

test('encode: a code that is not a number or a reason that is not a string throws (no coercion)', () => {
  for (const code of ['1000', {}, null]) throwsMisuse(() => encodeClosePayload(code as unknown as number, ''), 'INVALID_CLOSE_CODE');
  for (const reason of [42, {}, ['a'], null]) throwsMisuse(() => encodeClosePayload(1000, reason as unknown as string), 'INVALID_OPTION');
});

test('encode: reason length limit is 123 UTF-8 bytes', () => {
  assert.is(encodeClosePayload(1000, 'a'.repeat(123)).length, 125);
  throwsMisuse(() => encodeClosePayload(1000, 'a'.repeat(124)), 'REASON_TOO_LONG');
  // 61 two-byte characters = 122 bytes fit; one more 2-byte char would be 124.
  assert.is(encodeClosePayload(1000, 'é'.repeat(61)).length, 124);
  throwsMisuse(() => encodeClosePayload(1000, 'é'.repeat(62)), 'REASON_TOO_LONG');
  // 30 emoji = 120 bytes; 31 = 124.
  assert.is(encodeClosePayload(1000, '😀'.repeat(30)).length, 122);
  throwsMisuse(() => encodeClosePayload(1000, '😀'.repeat(31)), 'REASON_TOO_LONG');
  assert.is(MAX_CLOSE_REASON_BYTES, 123);
});

test('encodeUnchecked: writes any code and truncates the reason at a character boundary', () => {
  assert.is(hex(encodeClosePayloadUnchecked(1002, '')), '03ea');
  assert.is(hex(encodeClosePayloadUnchecked(1007, 'bad')), '03ef626164');
  const long = encodeClosePayloadUnchecked(1009, 'a'.repeat(200));
  assert.is(long.length, 125);
  const cut = encodeClosePayloadUnchecked(1011, 'é'.repeat(70));
  assert.is(cut.length, 2 + 122, 'stops before a character that would not fit');
  const parsed = parseClosePayload(cut);
  assert.equal(parsed, { ok: true, code: 1011, reason: 'é'.repeat(61) });
  const emoji = encodeClosePayloadUnchecked(1001, 'x' + '😀'.repeat(40));
  assert.is(emoji.length, 2 + 1 + 120);
  assert.ok(parseClosePayload(emoji).ok);
});

test.run();
