import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ExtensionOffer } from '../extension-offer.ts';
import { MisuseError } from '../errors.ts';
import { negotiateDeflate, formatDeflateResponse } from './negotiation.ts';
import { DEFAULT_DEFLATE_OPTIONS, resolveDeflateOptions, type DeflateOptions } from './options.ts';

/** Builds offers from a compact notation: `[['permessage-deflate', ['client_max_window_bits', true]], ...]`. */
function offer(name: string, ...params: [string, string | true][]): ExtensionOffer {
  return { name, params };
}
const pmd = (...params: [string, string | true][]) => offer('permessage-deflate', ...params);

/** Config that does not lower the server window, to test the pure RFC behaviour. */
const WIDE: DeflateOptions = { serverMaxWindowBits: 15 };

test('no offers, or only other extensions: undefined', () => {
  assert.is(negotiateDeflate([], {}), undefined);
  assert.is(negotiateDeflate([offer('x-webkit-deflate-frame'), offer('foo', ['bar', true])], {}), undefined);
});

test('bare offer with defaults: server limits itself silently, full client window', () => {
  const r = negotiateDeflate([pmd()], {});
  assert.ok(r);
  assert.equal(r.params, {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 12,
    clientMaxWindowBits: 15,
  });
  // RFC 7692 §7.1.2.1: no server_max_window_bits in the response when the client did not send it.
  assert.is(r.response, 'permessage-deflate');
});

test('server_no_context_takeover: honoured when offered, added when configured', () => {
  let r = negotiateDeflate([pmd(['server_no_context_takeover', true])], WIDE)!;
  assert.is(r.params.serverNoContextTakeover, true);
  assert.is(r.response, 'permessage-deflate; server_no_context_takeover');
  r = negotiateDeflate([pmd()], { ...WIDE, serverNoContextTakeover: true })!;
  assert.is(r.params.serverNoContextTakeover, true);
  assert.is(r.response, 'permessage-deflate; server_no_context_takeover');
});

test('client_no_context_takeover: confirmed when offered, requested when configured', () => {
  let r = negotiateDeflate([pmd(['client_no_context_takeover', true])], WIDE)!;
  assert.is(r.params.clientNoContextTakeover, true);
  assert.is(r.response, 'permessage-deflate; client_no_context_takeover');
  r = negotiateDeflate([pmd()], { ...WIDE, clientNoContextTakeover: true })!;
  assert.is(r.params.clientNoContextTakeover, true);
  assert.is(r.response, 'permessage-deflate; client_no_context_takeover');
  r = negotiateDeflate([pmd(['client_no_context_takeover', true], ['server_no_context_takeover', true])], WIDE)!;
  assert.is(r.response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
});

test('server_max_window_bits: min of offer and config, always echoed when offered', () => {
  const cases: [offered: string, config: number, agreed: number][] = [
    ['10', 15, 10],
    ['15', 12, 12],
    ['15', 15, 15],
    ['8', 12, 8],
    ['9', 8, 8],
    ['13', 12, 12],
  ];
  for (const [offered, config, agreed] of cases) {
    const r = negotiateDeflate([pmd(['server_max_window_bits', offered])], { serverMaxWindowBits: config })!;
    assert.is(r.params.serverMaxWindowBits, agreed, `offer ${offered}, config ${config}`);
    assert.is(r.response, `permessage-deflate; server_max_window_bits=${agreed}`);
    assert.is(r.params.clientMaxWindowBits, 15);
  }
});

test('server_max_window_bits: a value is required and must be 8-15 without leading zeros', () => {
  const bad: (string | true)[] = [true, '', '7', '16', '0', '08', '010', '1a', ' 9', '9 ', '+9', '9.0', '-9', 'a', '１０', '100'];
  for (const value of bad) {
    assert.is(negotiateDeflate([pmd(['server_max_window_bits', value])], {}), undefined, `value ${String(value)}`);
  }
});

test('client_max_window_bits without value: the server may lower it (and then states it)', () => {
  let r = negotiateDeflate([pmd(['client_max_window_bits', true])], {})!;
  assert.is(r.params.clientMaxWindowBits, 15);
  assert.is(r.response, 'permessage-deflate');
  r = negotiateDeflate([pmd(['client_max_window_bits', true])], { clientMaxWindowBits: 10 })!;
  assert.is(r.params.clientMaxWindowBits, 10);
  assert.is(r.response, 'permessage-deflate; client_max_window_bits=10');
});

test('client_max_window_bits with a value: echoed, possibly lowered', () => {
  let r = negotiateDeflate([pmd(['client_max_window_bits', '12'])], {})!;
  assert.is(r.params.clientMaxWindowBits, 12);
  assert.is(r.response, 'permessage-deflate; client_max_window_bits=12');
  r = negotiateDeflate([pmd(['client_max_window_bits', '12'])], { clientMaxWindowBits: 9 })!;
  assert.is(r.params.clientMaxWindowBits, 9);
  assert.is(r.response, 'permessage-deflate; client_max_window_bits=9');
  r = negotiateDeflate([pmd(['client_max_window_bits', '8'])], {})!;
  assert.is(r.params.clientMaxWindowBits, 8);
});

test('client_max_window_bits not offered: never in the response, client window 15 whatever the config', () => {
  const r = negotiateDeflate([pmd()], { clientMaxWindowBits: 9 })!;
  assert.is(r.params.clientMaxWindowBits, 15);
  assert.not.ok(r.response.includes('client_max_window_bits'));
});

test('client_max_window_bits: bad values decline the offer', () => {
  for (const value of ['', '7', '16', '08', 'x', '15x', '1 5']) {
    assert.is(negotiateDeflate([pmd(['client_max_window_bits', value])], {}), undefined, `value ${value}`);
  }
});

test('values on flag parameters decline the offer', () => {
  assert.is(negotiateDeflate([pmd(['server_no_context_takeover', '1'])], {}), undefined);
  assert.is(negotiateDeflate([pmd(['client_no_context_takeover', ''])], {}), undefined);
  assert.is(negotiateDeflate([pmd(['client_no_context_takeover', 'true'])], {}), undefined);
});

test('duplicate parameters decline the offer (RFC 7692 §7)', () => {
  const dups: [string, string | true][][] = [
    [['server_no_context_takeover', true], ['server_no_context_takeover', true]],
    [['client_no_context_takeover', true], ['client_no_context_takeover', true]],
    [['server_max_window_bits', '10'], ['server_max_window_bits', '10']],
    [['server_max_window_bits', '10'], ['server_max_window_bits', '11']],
    [['client_max_window_bits', true], ['client_max_window_bits', true]],
    [['client_max_window_bits', true], ['client_max_window_bits', '10']],
  ];
  for (const params of dups) assert.is(negotiateDeflate([pmd(...params)], {}), undefined, JSON.stringify(params));
});

test('unknown parameters decline the offer; prototype-named ones are harmless', () => {
  const names = ['foo', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', 'client_max_window', ''];
  for (const name of names) {
    assert.is(negotiateDeflate([pmd([name, true])], {}), undefined, name);
    assert.is(negotiateDeflate([pmd([name, '10'])], {}), undefined, name);
    // A declined offer does not prevent the next one.
    const r = negotiateDeflate([pmd([name, true]), pmd()], {});
    assert.is(r?.response, 'permessage-deflate');
  }
});

test('several offers: the first acceptable one, in the client order, wins', () => {
  // First offer declined (bad value), second accepted.
  let r = negotiateDeflate(
    [pmd(['server_max_window_bits', '7']), pmd(['server_no_context_takeover', true]), pmd()],
    WIDE,
  )!;
  assert.is(r.response, 'permessage-deflate; server_no_context_takeover');
  // The first acceptable offer is taken even if a later one looks cheaper for the server.
  r = negotiateDeflate([pmd(), pmd(['client_no_context_takeover', true])], WIDE)!;
  assert.is(r.response, 'permessage-deflate');
  assert.is(r.params.clientNoContextTakeover, false);
  // Other extensions between offers are skipped.
  r = negotiateDeflate([offer('x-webkit-deflate-frame'), pmd(['client_max_window_bits', '11'])], WIDE)!;
  assert.is(r.response, 'permessage-deflate; client_max_window_bits=11');
  // All declined.
  assert.is(negotiateDeflate([pmd(['a', true]), pmd(['server_max_window_bits', true])], {}), undefined);
});

test('RFC 7692 §5 / §7.1.3 examples', () => {
  // "permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits"
  const offers = [
    pmd(['client_max_window_bits', true], ['server_max_window_bits', '10']),
    pmd(['client_max_window_bits', true]),
  ];
  let r = negotiateDeflate(offers, WIDE)!;
  assert.is(r.response, 'permessage-deflate; server_max_window_bits=10');
  assert.equal(r.params, {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 10,
    clientMaxWindowBits: 15,
  });
  // §7.1.3: a server that wants the client to use a 1 KiB window.
  r = negotiateDeflate([pmd(['client_max_window_bits', true])], { clientMaxWindowBits: 10 })!;
  assert.is(r.response, 'permessage-deflate; client_max_window_bits=10');
  // §7.1.3: "permessage-deflate; server_no_context_takeover; client_no_context_takeover" style offer.
  r = negotiateDeflate([pmd(['server_no_context_takeover', true], ['client_no_context_takeover', true])], WIDE)!;
  assert.is(r.response, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover');
  assert.is(r.params.serverNoContextTakeover && r.params.clientNoContextTakeover, true);
  // The simplest: "permessage-deflate" → "permessage-deflate".
  assert.is(negotiateDeflate([pmd()], WIDE)!.response, 'permessage-deflate');
});

test('all four parameters together', () => {
  const r = negotiateDeflate(
    [
      pmd(
        ['client_max_window_bits', '14'],
        ['server_max_window_bits', '11'],
        ['client_no_context_takeover', true],
        ['server_no_context_takeover', true],
      ),
    ],
    { serverMaxWindowBits: 13, clientMaxWindowBits: 12 },
  )!;
  assert.equal(r.params, {
    serverNoContextTakeover: true,
    clientNoContextTakeover: true,
    serverMaxWindowBits: 11,
    clientMaxWindowBits: 12,
  });
  assert.is(
    r.response,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=11; client_max_window_bits=12',
  );
});

test('formatDeflateResponse', () => {
  const params = { serverNoContextTakeover: false, clientNoContextTakeover: true, serverMaxWindowBits: 9, clientMaxWindowBits: 10 };
  assert.is(formatDeflateResponse(params), 'permessage-deflate; client_no_context_takeover');
  assert.is(
    formatDeflateResponse(params, { serverMaxWindowBits: true, clientMaxWindowBits: true }),
    'permessage-deflate; client_no_context_takeover; server_max_window_bits=9; client_max_window_bits=10',
  );
});

test('resolveDeflateOptions: defaults and overrides', () => {
  assert.equal(resolveDeflateOptions(undefined), { ...DEFAULT_DEFLATE_OPTIONS });
  assert.equal(resolveDeflateOptions({}), {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 12,
    clientMaxWindowBits: 15,
    threshold: 1024,
    level: 1,
    memLevel: 4,
  });
  const r = resolveDeflateOptions({ serverMaxWindowBits: 8, level: 0, memLevel: 9, threshold: 0, serverNoContextTakeover: true });
  assert.is(r.serverMaxWindowBits, 8);
  assert.is(r.level, 0);
  assert.is(r.memLevel, 9);
  assert.is(r.threshold, 0);
  assert.is(r.serverNoContextTakeover, true);
});

test('resolveDeflateOptions: out-of-range or mistyped values throw INVALID_OPTION', () => {
  const bad: unknown[] = [
    { serverMaxWindowBits: 7 },
    { serverMaxWindowBits: 16 },
    { clientMaxWindowBits: 12.5 },
    { clientMaxWindowBits: '12' },
    { level: -1 },
    { level: 10 },
    { memLevel: 0 },
    { memLevel: 10 },
    { threshold: -1 },
    { threshold: Infinity },
    { threshold: NaN },
    { serverNoContextTakeover: 'yes' },
    { clientNoContextTakeover: 1 },
    null,
    42,
  ];
  for (const options of bad) {
    try {
      resolveDeflateOptions(options as DeflateOptions);
      assert.unreachable(`accepted ${JSON.stringify(options)}`);
    } catch (error) {
      assert.instance(error, MisuseError);
      assert.is((error as MisuseError).code, 'INVALID_OPTION');
    }
  }
  assert.throws(() => negotiateDeflate([pmd()], { level: 11 }), (e: unknown) => e instanceof MisuseError);
});

test.run();
