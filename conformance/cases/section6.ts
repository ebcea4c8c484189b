/**
 * Section 6: UTF-8 handling of text messages (RFC 6455 §8.1): valid and invalid text, fragmented on and off code
 * point boundaries, fail-fast on the first invalid octet (6.4.x), and the sequences of Markus Kuhn's UTF-8
 * decoder stress test (6.5–6.23), in the suite's order.
 */
import { hex, latin1, toHex, utf8 } from '../client/bytes.ts';
import { CLEAN_CLOSE_BY_ME, CLOSE_INVALID_PAYLOAD, type CaseDef, failedByServer, message, timeout } from './api.ts';

const KOSME = hex('cebae1bdb9cf83cebcceb5');
const HELLO_UTF8 = 'Hello-µ@ßöäüàá-UTF-8!!';
const fatal = new TextDecoder('utf-8', { fatal: true });

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** A valid text message, echoed; the client closes once it is back. */
function echoCase(id: string, description: string, send: (ctx: Parameters<CaseDef['start']>[0]) => void, expected: Uint8Array): CaseDef {
  return {
    id,
    description,
    expectation: "The message is echo'ed back to us.",
    maxSeconds: 3,
    start(ctx) {
      ctx.expect('OK', [message(expected)]);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      send(ctx);
      ctx.closeAfter(1);
    },
  };
}

/** The groups of 6.5–6.23: (title, [valid, payload][]), as in the suite's createUtf8TestSequences. */
export function utf8TestSequences(): Array<[string, Array<[boolean, Uint8Array]>]> {
  const groups: Array<[string, Array<[boolean, Uint8Array]>]> = [];
  const h = hex;
  groups.push(['Some valid UTF-8 sequences', [
    [true, latin1('hello\x24world')],
    [true, latin1('hello\xC2\xA2world')],
    [true, latin1('hello\xE2\x82\xACworld')],
    [true, latin1('hello\xF0\xA4\xAD\xA2world')],
    [true, KOSME],
  ]]);
  const prefixes: Array<[boolean, Uint8Array]> = [];
  for (let i = 1; i <= KOSME.length; i++) prefixes.push([isValidUtf8(KOSME.subarray(0, i)), KOSME.slice(0, i)]);
  groups.push(['All prefixes of a valid UTF-8 string that contains multi-byte code points', prefixes]);
  groups.push(['First possible sequence of a certain length', [[true, h('00')], [true, h('c280')], [true, h('e0a080')], [true, h('f0908080')]]]);
  groups.push(['First possible sequence length 5/6 (invalid codepoints)', [[false, h('f888808080')], [false, h('fc8480808080')]]]);
  groups.push(['Last possible sequence of a certain length', [[true, h('7f')], [true, h('dfbf')], [true, h('efbfbf')], [true, h('f48fbfbf')]]]);
  groups.push(['Last possible sequence length 4/5/6 (invalid codepoints)', [[false, h('f7bfbfbf')], [false, h('fbbfbfbfbf')], [false, h('fdbfbfbfbfbf')]]]);
  groups.push(['Other boundary conditions', [[true, h('ed9fbf')], [true, h('ee8080')], [true, h('efbfbd')], [true, h('f48fbfbf')], [false, h('f4908080')]]]);
  const cont: Array<[boolean, Uint8Array]> = [
    [false, h('80')], [false, h('bf')], [false, h('80bf')], [false, h('80bf80')], [false, h('80bf80bf')],
    [false, h('80bf80bf80')], [false, h('80bf80bf80bf')],
  ];
  cont.push([false, Uint8Array.from({ length: 0xbf - 0x80 }, (_, i) => 0x80 + i)]);
  groups.push(['Unexpected continuation bytes', cont]);
  const lonely: Array<[boolean, Uint8Array]> = [];
  for (const [a, b] of [[0xc0, 0xdf], [0xe0, 0xef], [0xf0, 0xf7], [0xf8, 0xfb], [0xfc, 0xfd]] as const) {
    const bytes: number[] = [];
    for (let i = a; i < b; i++) bytes.push(i, 0x20);
    lonely.push([false, Uint8Array.from(bytes)]);
  }
  groups.push(['Lonely start characters', lonely]);
  const missing = ['c0', 'e080', 'f08080', 'f8808080', 'fc80808080', 'df', 'efbf', 'f7bfbf', 'fbbfbfbf', 'fdbfbfbfbf'].map(h);
  groups.push(['Sequences with last continuation byte missing', missing.map((b): [boolean, Uint8Array] => [false, b])]);
  groups.push(['Concatenation of incomplete sequences', [[false, h(missing.map((b) => toHex(b)).join(''))]]]);
  groups.push(['Impossible bytes', [[false, h('fe')], [false, h('ff')], [false, h('fefeffff')]]]);
  groups.push(['Examples of an overlong ASCII character', ['c0af', 'e080af', 'f08080af', 'f8808080af', 'fc80808080af'].map((x): [boolean, Uint8Array] => [false, h(x)])]);
  groups.push(['Maximum overlong sequences', ['c1bf', 'e09fbf', 'f08fbfbf', 'f887bfbfbf', 'fc83bfbfbfbf'].map((x): [boolean, Uint8Array] => [false, h(x)])]);
  groups.push(['Overlong representation of the NUL character', ['c080', 'e08080', 'f0808080', 'f880808080', 'fc8080808080'].map((x): [boolean, Uint8Array] => [false, h(x)])]);
  groups.push(['Single UTF-16 surrogates', ['eda080', 'edadbf', 'edae80', 'edafbf', 'edb080', 'edbe80', 'edbfbf'].map((x): [boolean, Uint8Array] => [false, h(x)])]);
  groups.push(['Paired UTF-16 surrogates', [
    'eda080edb080', 'eda080edbfbf', 'edadbfedb080', 'edadbfedbfbf', 'edae80edb080', 'edae80edbfbf', 'edafbfedb080', 'edafbfedbfbf',
  ].map((x): [boolean, Uint8Array] => [false, h(x)])]);
  const nonChars: Array<[boolean, Uint8Array]> = [[true, h('efbfbe')], [true, h('efbfbf')]];
  for (const z1 of [0xf0, 0xf1, 0xf2, 0xf3, 0xf4]) {
    for (const z2 of [0x8f, 0x9f, 0xaf, 0xbf]) {
      if (z1 === 0xf4 && z2 !== 0x8f) continue; // those encode code points above U+10FFFF
      for (const z3 of [0xbe, 0xbf]) {
        if (z1 === 0xf0 && z2 === 0x8f) continue; // overlong
        nonChars.push([true, Uint8Array.from([z1, z2, 0xbf, z3])]);
      }
    }
  }
  groups.push(['Non-character code points (valid UTF-8)', nonChars]);
  groups.push(['Unicode specials (i.e. replacement char)', ['efbfb9', 'efbfba', 'efbfbb', 'efbfbc', 'efbfbd', 'efbfbe', 'efbfbf'].map((x): [boolean, Uint8Array] => [true, h(x)])]);
  return groups;
}

/** Section 6. */
export function section6(): CaseDef[] {
  const cases: CaseDef[] = [];
  // 6.1: empty text in one and in three frames.
  cases.push(
    echoCase('6.1.1', 'Send text message of length 0.', (ctx) => ctx.sendFrame({ opcode: 1, payload: '' }), new Uint8Array(0)),
    echoCase('6.1.2', 'Send fragmented text message, 3 fragments each of length 0.', (ctx) => {
      ctx.sendFrame({ opcode: 1, payload: '', fin: false });
      ctx.sendFrame({ opcode: 0, payload: '', fin: false });
      ctx.sendFrame({ opcode: 0, payload: '' });
    }, new Uint8Array(0)),
    echoCase('6.1.3', 'Send fragmented text message, 3 fragments, first and last of length 0, middle non-empty.', (ctx) => {
      ctx.sendFrame({ opcode: 1, payload: '', fin: false });
      ctx.sendFrame({ opcode: 0, payload: 'middle frame payload', fin: false });
      ctx.sendFrame({ opcode: 0, payload: '' });
    }, utf8('middle frame payload')),
  );
  // 6.2: valid UTF-8, whole, split on a code point boundary, and octet by octet.
  const hello = utf8(HELLO_UTF8);
  cases.push(
    echoCase('6.2.1', `Send a valid UTF-8 text message in one fragment.<br><br>MESSAGE:<br>${HELLO_UTF8}<br>${toHex(hello)}`,
      (ctx) => ctx.sendFrame({ opcode: 1, payload: hello }), hello),
    echoCase('6.2.2', 'Send a valid UTF-8 text message in two fragments, fragmented on UTF-8 code point boundary.', (ctx) => {
      ctx.sendFrame({ opcode: 1, payload: hello.subarray(0, 15), fin: false });
      ctx.sendFrame({ opcode: 0, payload: hello.subarray(15) });
    }, hello),
    echoCase('6.2.3', 'Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.',
      (ctx) => ctx.sendMessage(hello, false, 1), hello),
    echoCase('6.2.4', `Send a valid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.<br><br>MESSAGE:<br>κόσμε<br>${toHex(KOSME)}`,
      (ctx) => ctx.sendMessage(KOSME, false, 1), KOSME),
  );
  // 6.3: invalid UTF-8 (a surrogate), whole and octet by octet.
  const invalid = hex('cebae1bdb9cf83cebcceb5eda080656469746564');
  for (const [id, frag] of [['6.3.1', 0], ['6.3.2', 1]] as const) {
    cases.push({
      id,
      description: frag
        ? 'Send invalid UTF-8 text message in fragments of 1 octet, resulting in frames ending on positions which are not code point ends.'
        : 'Send invalid UTF-8 text message unfragmented.',
      expectation: 'The connection is failed immediately, since the payload is not valid UTF-8.',
      maxSeconds: 2,
      start(ctx) {
        ctx.expect('OK', []);
        ctx.expectClose(failedByServer(CLOSE_INVALID_PAYLOAD, true));
        if (frag) ctx.sendMessage(invalid, false, 1);
        else ctx.sendFrame({ opcode: 1, payload: invalid });
        ctx.killAfter(1);
      },
    });
  }
  // 6.4: fail fast. The invalid part comes one second after a valid start; a conforming server fails at once.
  const p1 = KOSME, p2 = hex('f4908080'), p3 = utf8('edited');
  const whole = new Uint8Array([...p1, ...p2, ...p3]);
  const parts: Array<[Uint8Array, Uint8Array, Uint8Array]> = [
    [p1, p2, p3],
    [whole.subarray(0, 12), whole.subarray(12, 13), whole.subarray(13)],
  ];
  for (let k = 0; k < 4; k++) {
    const [a, b, c] = parts[k % 2]!;
    const inOneFrame = k >= 2;
    cases.push({
      id: `6.4.${k + 1}`,
      description: `${inOneFrame ? `Same as Case 6.4.${k - 1}, but we send message not in 3 frames, but in 3 chops of the same message frame.` : k === 0
        ? 'Send invalid UTF-8 text message in 3 fragments (frames). First frame payload is valid, then wait, then 2nd frame which contains the payload making the sequence invalid, then wait, then 3rd frame with rest.'
        : 'Same as Case 6.4.1, but in 2nd frame, we send only up to and including the octet making the complete payload invalid.'}<br><br>MESSAGE PARTS:<br>PART1 = ${toHex(a)}<br>PART2 = ${toHex(b)}<br>PART3 = ${toHex(c)}<br>`,
      expectation: 'The first frame is accepted, we expect to timeout on the first wait. The 2nd frame should be rejected immediately (fail fast on UTF-8). If we timeout, we expect the connection is failed at least then, since the complete message payload is not valid UTF-8.',
      maxSeconds: 4,
      start(ctx) {
        ctx.expect('OK', [timeout('A')]);
        ctx.expect('NON-STRICT', [timeout('A'), timeout('B')]);
        ctx.expectClose(failedByServer(CLOSE_INVALID_PAYLOAD, true));
        if (inOneFrame) {
          ctx.beginMessageFrame(1, a.length + b.length + c.length);
          ctx.sendMessageFrameData(a);
        } else ctx.sendFrame({ opcode: 1, payload: a, fin: false });
        ctx.continueLater(1, () => {
          if (ctx.state !== 'open') return;
          ctx.record(timeout('A'));
          if (inOneFrame) ctx.sendMessageFrameData(b);
          else ctx.sendFrame({ opcode: 0, payload: b, fin: false });
          ctx.continueLater(1, () => {
            if (ctx.state !== 'open') return;
            ctx.record(timeout('B'));
            if (inOneFrame) {
              ctx.sendMessageFrameData(c);
              ctx.endMessage();
            } else ctx.sendFrame({ opcode: 0, payload: c });
            ctx.killAfter(1);
          });
        });
      },
    });
  }
  // 6.5–6.23: one text message per test sequence; valid ones are echoed, invalid ones fail with 1007.
  utf8TestSequences().forEach(([, seqs], g) => {
    seqs.forEach(([valid, payload], j) => {
      cases.push({
        id: `6.${g + 5}.${j + 1}`,
        description: `Send a text message with payload which is ${valid ? '' : 'not '}valid UTF-8 in one fragment.<br><br>Payload: 0x${toHex(payload)}`,
        expectation: valid ? "The message is echo'ed back to us." : 'The connection is failed immediately, since the payload is not valid UTF-8.',
        maxSeconds: 2,
        start(ctx) {
          if (valid) {
            ctx.expect('OK', [message(payload)]);
            ctx.expectClose(CLEAN_CLOSE_BY_ME);
          } else {
            ctx.expect('OK', []);
            ctx.expectClose(failedByServer(CLOSE_INVALID_PAYLOAD, true));
          }
          ctx.sendMessage(payload, false);
          ctx.killAfter(0.5);
        },
      });
    });
  });
  return cases;
}
