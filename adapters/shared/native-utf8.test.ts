import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { seededRandom } from '../../core/bytes.ts';
import { isValidUtf8 } from '../../core/text/utf8.ts';
import { nativeUtf8Check } from './native-utf8.ts';

// utf-8-validate is installed here (an optional dependency), and this suite runs on Deno with -A.
const check = nativeUtf8Check();

test("utf-8-validate's native binary loads on this runtime (Node-API: Node, Bun, and Deno with --allow-ffi)", () => {
  assert.type(check, 'function');
});

test('the same verdict as the core on every 1- and 2-byte string, and on every 3-byte string led by E0–EF or F0–F4', () => {
  const one = new Uint8Array(1);
  const two = new Uint8Array(2);
  for (let a = 0; a < 256; a++) {
    one[0] = a;
    assert.is(check!(one), isValidUtf8(one), `${a.toString(16)}`);
    for (let b = 0; b < 256; b++) {
      two[0] = a;
      two[1] = b;
      if (check!(two) !== isValidUtf8(two)) assert.unreachable(`${a.toString(16)} ${b.toString(16)}`);
    }
  }
  const three = new Uint8Array(3);
  for (let a = 0xe0; a <= 0xf4; a++) {
    for (let b = 0x70; b < 0xd0; b++) {
      for (let c = 0x70; c < 0xd0; c++) {
        three[0] = a;
        three[1] = b;
        three[2] = c;
        if (check!(three) !== isValidUtf8(three)) assert.unreachable(`${a.toString(16)} ${b.toString(16)} ${c.toString(16)}`);
      }
    }
  }
});

test('the same verdict as the core on long random text, with one byte broken anywhere (past the SIMD blocks too), and cut anywhere', () => {
  const rand = seededRandom(41);
  const pieces = ['a', 'z', ' ', '{', 'é', 'ß', '€', '中', '𝄞', '😀'].map((s) => new TextEncoder().encode(s));
  for (let round = 0; round < 300; round++) {
    const parts: number[] = [];
    const n = 1 + ((rand() * 600) | 0);
    for (let i = 0; i < n; i++) parts.push(...pieces[(rand() * pieces.length) | 0]!);
    const text = Uint8Array.from(parts);
    assert.ok(check!(text), 'valid text');
    const broken = text.slice();
    broken[(rand() * broken.length) | 0] = (rand() * 256) | 0;
    assert.is(check!(broken), isValidUtf8(broken), `round ${round}`);
    // Cut anywhere: a sequence cut at the end is invalid on its own.
    const cut = text.subarray(0, (rand() * text.length) | 0);
    assert.is(check!(cut), isValidUtf8(cut), `round ${round}, cut at ${cut.length}`);
  }
});

test.run();
