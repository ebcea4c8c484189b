import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Utf8Validator, isValidUtf8 } from './utf8.ts';
import { seededRandom as prng } from '../bytes.ts';

const fromHex = (h: string): Uint8Array => new Uint8Array((h.match(/../g) ?? []).map((x) => parseInt(x, 16)));
const text = (s: string): Uint8Array => new TextEncoder().encode(s);


/** Validates `bytes` in one push: [first bad index or -1, incomplete]. */
function once(bytes: Uint8Array): [number, boolean] {
  const v = new Utf8Validator();
  return [v.push(bytes, 0, bytes.length), v.incomplete];
}

/** Validates `bytes` pushed in pieces cut at `cuts` (sorted); returns the first bad index in message coordinates. */
function pieces(bytes: Uint8Array, cuts: number[]): [number, boolean] {
  const v = new Utf8Validator();
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    // Copy each piece to a fresh buffer at an odd offset, as fragments arrive in separate chunks.
    const chunk = new Uint8Array(cut - from + 3);
    chunk.set(bytes.subarray(from, cut), 1);
    const bad = v.push(chunk, 1, 1 + cut - from);
    if (bad !== -1) return [from + bad - 1, v.incomplete];
    from = cut;
  }
  return [-1, v.incomplete];
}

/**
 * Reference for the first bad byte: the WHATWG decoder is fail-fast in the same way (it errors at the
 * first byte that cannot continue a valid sequence), so the first bad byte is the last byte of the
 * shortest prefix that a streaming fatal decode rejects.
 */
function referenceFirstBad(bytes: Uint8Array): [number, boolean] {
  for (let k = 1; k <= bytes.length; k++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, k), { stream: true });
    } catch {
      return [k - 1, false];
    }
  }
  let complete = true;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    complete = false;
  }
  return [-1, !complete];
}

const vectors = suite('Autobahn 6.x style vectors');

const valid: [string, Uint8Array][] = [
  ['Hello-µ@ßöäüàá-UTF-8!!', text('Hello-µ@ßöäüàá-UTF-8!!')],
  ['κόσμε', fromHex('cebae1bdb9cf83cebcceb5')],
  ['U+D7FF ed9fbf', fromHex('ed9fbf')],
  ['U+FFFE efbfbe', fromHex('efbfbe')],
  ['U+10FFFF f48fbfbf', fromHex('f48fbfbf')],
  ['U+FFFD efbfbd', fromHex('efbfbd')],
  ['U+0080 c280', fromHex('c280')],
  ['U+0800 e0a080', fromHex('e0a080')],
  ['U+E000 ee8080', fromHex('ee8080')],
  ['U+10000 f0908080', fromHex('f0908080')],
  ['U+7F 7f', fromHex('7f')],
  ['NUL 00', fromHex('00')],
  ['empty', new Uint8Array(0)],
];
for (const [name, bytes] of valid) {
  vectors(`valid: ${name}`, () => {
    assert.equal(once(bytes), [-1, false]);
    assert.ok(isValidUtf8(bytes));
  });
}

// [name, bytes, first bad index (-1: none), incomplete at end]
const invalid: [string, string, number, boolean][] = [
  ['truncated ce', 'ce', -1, true],
  ['truncated e0a0', 'e0a0', -1, true],
  ['truncated f4 8f bf', 'f48fbf', -1, true],
  ['5-byte form f888808080', 'f888808080', 0, false],
  ['F7 BF BF BF above U+10FFFF', 'f7bfbfbf', 0, false],
  ['lone continuation 80', '80', 0, false],
  ['lone continuation bf', 'bf', 0, false],
  ['overlong "/" c0af', 'c0af', 0, false],
  ['overlong c1bf', 'c1bf', 0, false],
  ['overlong NUL c080', 'c080', 0, false],
  ['overlong 3-byte e080af', 'e080af', 1, false],
  ['overlong 3-byte e09fbf', 'e09fbf', 1, false],
  ['overlong 4-byte f08fbfbf', 'f08fbfbf', 1, false],
  ['surrogate U+D800 eda080', 'eda080', 1, false],
  ['surrogate U+DFFF edbfbf', 'edbfbf', 1, false],
  ['surrogate pair eda080edb080', 'eda080edb080', 1, false],
  ['U+110000 f4908080', 'f4908080', 1, false],
  ['fe', 'fe', 0, false],
  ['ff', 'ff', 0, false],
  ['f5', 'f58080', 0, false],
  ['ASCII then missing continuation 41c241', '41c241', 2, false],
  ['3-byte bad third byte e1bd41', 'e1bd41', 2, false],
  ['4-byte bad fourth byte f0908041', 'f0908041', 3, false],
  // Autobahn 6.3.1: "κόσμε" (11 bytes, indices 0-10), then ED A0 80 (ED at 11: fails at the A0, index 12), "edited".
  ['κόσμε + eda080 + "edited"', 'cebae1bdb9cf83cebcceb5eda080656469746564', 12, false],
];
for (const [name, h, bad, incomplete] of invalid) {
  vectors(`invalid: ${name}`, () => {
    const bytes = fromHex(h);
    const [gotBad, gotIncomplete] = once(bytes);
    assert.is(gotBad, bad, 'first bad byte');
    if (bad === -1) assert.is(gotIncomplete, incomplete, 'incomplete');
    assert.not.ok(isValidUtf8(bytes));
    assert.equal(referenceFirstBad(bytes), [bad, incomplete], 'agrees with the WHATWG fatal decoder');
  });
}

vectors('every split point (1 and 2 cuts) gives the same result as one push', () => {
  const all = [...valid.map(([, b]) => b), ...invalid.map(([, h]) => fromHex(h))];
  all.push(text('a€𐍈b\u00e9\u4e2d\u{1F600}xyz'));
  for (const bytes of all) {
    const expected = once(bytes);
    for (let a = 0; a <= bytes.length; a++) {
      assert.equal(pieces(bytes, [a]), expected, `${bytes.length} bytes cut at ${a}`);
      for (let b = a; b <= bytes.length; b++) {
        assert.equal(pieces(bytes, [a, b]), expected, `cut at ${a},${b}`);
      }
    }
  }
});

vectors('one byte per push (Autobahn 6.3.2 / 6.4.x style)', () => {
  const bytes = fromHex('cebae1bdb9cf83cebcceb5eda080656469746564');
  const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
  assert.equal(pieces(bytes, cuts), [12, false]);
});

vectors.run();

const api = suite('Utf8Validator API');

api('stays failed until reset; reset starts a new message', () => {
  const v = new Utf8Validator();
  const bad = fromHex('41ff41');
  assert.is(v.push(bad, 0, 3), 1);
  assert.is(v.push(text('ok'), 0, 2), 0, 'after failure, push returns start');
  assert.is(v.incomplete, false);
  v.reset();
  assert.is(v.push(text('ok'), 0, 2), -1);
});

api('incomplete carries across pushes and clears when the sequence completes', () => {
  const v = new Utf8Validator();
  const euro = fromHex('e282ac');
  assert.is(v.push(euro, 0, 1), -1);
  assert.ok(v.incomplete);
  assert.is(v.push(euro, 1, 2), -1);
  assert.ok(v.incomplete);
  assert.is(v.push(euro, 2, 3), -1);
  assert.not.ok(v.incomplete);
  v.push(euro, 0, 2);
  v.reset();
  assert.not.ok(v.incomplete);
});

api('respects start/end (bytes outside the range are ignored)', () => {
  const bytes = fromHex('ff41c3a9ff');
  const v = new Utf8Validator();
  assert.is(v.push(bytes, 1, 4), -1);
  assert.ok(isValidUtf8(bytes, 1, 4));
  assert.not.ok(isValidUtf8(bytes, 1, 5));
  assert.not.ok(isValidUtf8(bytes, 1, 3), 'incomplete is invalid for a one-shot check');
  assert.is(v.push(bytes, 4, 5), 4, 'index is in the coordinates of bytes');
});

api('empty push keeps state', () => {
  const v = new Utf8Validator();
  v.push(fromHex('c3'), 0, 1);
  assert.is(v.push(new Uint8Array(0), 0, 0), -1);
  assert.ok(v.incomplete);
  assert.is(v.push(fromHex('a9'), 0, 1), -1);
  assert.not.ok(v.incomplete);
});

api.run();

const random = suite('random input against TextDecoder({ fatal: true })');

random('random short byte strings biased towards UTF-8 structure', () => {
  const rand = prng(2024);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec,
    0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf7, 0xf8, 0xfe, 0xff];
  for (let iter = 0; iter < 4000; iter++) {
    const len = (rand() * 12) | 0;
    const bytes = new Uint8Array(len);
    for (let i = 0; i < len; i++) {
      bytes[i] = rand() < 0.6 ? interesting[(rand() * interesting.length) | 0]! : (rand() * 256) | 0;
    }
    const expected = referenceFirstBad(bytes);
    assert.equal(once(bytes), expected, `bytes ${Array.from(bytes, (b) => b.toString(16)).join(' ')}`);
    const cut = (rand() * (len + 1)) | 0;
    assert.equal(pieces(bytes, [cut]), expected, `cut at ${cut}`);
  }
});

random('long valid texts with one corrupted byte, word path and misaligned offsets', () => {
  const rand = prng(77);
  const alphabet = ['a', 'Z', ' ', '0', 'é', 'ß', '€', '中', '𐍈', '😀', '\u07ff', '\uffff', '\ud7ff', '\ue000'];
  for (let iter = 0; iter < 300; iter++) {
    let s = '';
    const n = 50 + ((rand() * 400) | 0);
    const asciiRun = rand() < 0.5;
    for (let i = 0; i < n; i++) s += asciiRun && rand() < 0.9 ? 'x' : alphabet[(rand() * alphabet.length) | 0];
    const clean = text(s);
    const bytes = clean.slice();
    if (iter % 3 !== 0) bytes[(rand() * bytes.length) | 0] = (rand() * 256) | 0;
    const decoderSaysValid = (() => {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        return true;
      } catch {
        return false;
      }
    })();
    const shift = (rand() * 8) | 0;
    const buf = new Uint8Array(bytes.length + 8);
    buf.set(bytes, shift);
    const v = new Utf8Validator();
    const bad = v.push(buf, shift, shift + bytes.length);
    assert.is(bad === -1 && !v.incomplete, decoderSaysValid, `iter ${iter}`);
    assert.is(isValidUtf8(buf, shift, shift + bytes.length), decoderSaysValid);
    if (!decoderSaysValid && bad !== -1) {
      assert.is(bad - shift, referenceFirstBad(bytes)[0], `iter ${iter} first bad byte`);
    }
    const cuts = [(rand() * bytes.length) | 0, (rand() * bytes.length) | 0].sort((x, y) => x - y);
    assert.equal(pieces(bytes, cuts), once(bytes), `iter ${iter} cuts ${cuts}`);
  }
});

random('1 MiB of ASCII with a bad byte near the end, and a 1 MiB valid mixed text', () => {
  const size = 1 << 20;
  const ascii = new Uint8Array(size).fill(0x61);
  assert.ok(isValidUtf8(ascii));
  ascii[size - 5] = 0x80;
  assert.is(once(ascii)[0], size - 5);
  const mixed = text('Hello-µ@ßöäüàá-UTF-8!! κόσμε 中文 😀 '.repeat(Math.ceil(size / 50)));
  assert.ok(isValidUtf8(mixed));
  assert.equal(pieces(mixed, [12345, 500001, 500002]), [-1, false]);
});

random.run();

const bulk = suite('a native bulk check gives the same verdicts and positions');

bulk('long runs, cut anywhere, with and without the bulk check', () => {
  const strict = new TextDecoder('utf-8', { fatal: true });
  let calls = 0;
  const check = (b: Uint8Array): boolean => {
    calls++;
    try {
      strict.decode(b);
      return true;
    } catch {
      return false;
    }
  };
  const random = prng(99);
  const base = text('ascii and ünïcödé and 漢字 and 😀 '.repeat(200));
  for (let round = 0; round < 200; round++) {
    const input = base.slice();
    if (round % 2 === 1) input[Math.floor(random() * input.length)] = Math.floor(random() * 256);
    const cuts = [Math.floor(random() * input.length), Math.floor(random() * input.length)].sort((a, b) => a - b);
    const run = (validator: Utf8Validator): [number, boolean] => {
      let at = 0;
      for (const cut of [...cuts, input.length]) {
        const bad = validator.push(input, at, cut);
        if (bad >= 0) return [bad, false];
        at = cut;
      }
      return [-1, validator.incomplete];
    };
    assert.equal(run(new Utf8Validator(check)), run(new Utf8Validator()));
  }
  assert.ok(calls > 0, 'the bulk check was used');
});

bulk.run();
