/**
 * Sections 3 (reserved bits), 4 (reserved opcodes) and 5 (fragmentation).
 */
import { hex } from '../client/bytes.ts';
import { CLEAN_CLOSE_BY_ME, type CaseDef, type SendFrameSpec, failedByServer, message, pong } from './api.ts';

const HELLO = 'Hello, world!';

/** How a case writes its frames: in one go, one write per frame (sync), or one octet per write. */
type Chopping = 'none' | 'sync' | 'octets';

function chopped(spec: SendFrameSpec, how: Chopping): SendFrameSpec {
  return how === 'sync' ? { ...spec, sync: true } : how === 'octets' ? { ...spec, chop: 1 } : spec;
}

/** A case whose frames must make the server fail the connection (1002), maybe after echoing a first message. */
function failCase(id: string, description: string, frames: SendFrameSpec[], echoedFirst: string | null, how: Chopping = 'none'): CaseDef {
  return {
    id,
    description,
    expectation: echoedFirst === null
      ? 'The connection is failed immediately, since the frame is not allowed here.'
      : 'Echo for first message is received, but then connection is failed immediately. The Pong is not received.',
    maxSeconds: 2,
    start(ctx) {
      if (echoedFirst === null) ctx.expect('OK', []);
      else {
        ctx.expect('OK', [message(echoedFirst)]);
        ctx.expect('NON-STRICT', []);
      }
      ctx.expectClose(failedByServer());
      for (const f of frames) ctx.sendFrame(chopped(f, how));
      ctx.killAfter(1);
    },
  };
}

/** Section 3: RSV bits set without a negotiated extension (RFC 6455 §5.2). */
export function section3(): CaseDef[] {
  const trio = (rsv: number): SendFrameSpec[] => [
    { opcode: 1, payload: HELLO },
    { opcode: 1, payload: HELLO, rsv },
    { opcode: 9 },
  ];
  return [
    failCase('3.1', 'Send small text message with <b>RSV = 1</b>.', [{ opcode: 1, payload: HELLO, rsv: 1 }], null),
    failCase('3.2', 'Send small text message, then send again with <b>RSV = 2</b>, then send Ping.', trio(2), HELLO),
    failCase('3.3', 'Send small text message, then send again with <b>RSV = 3</b>, then send Ping. Octets are sent in frame-wise chops.', trio(3), HELLO, 'sync'),
    failCase('3.4', 'Send small text message, then send again with <b>RSV = 4</b>, then send Ping. Octets are sent in octet-wise chops.', trio(4), HELLO, 'octets'),
    failCase('3.5', 'Send small binary message with <b>RSV = 5</b>.', [{ opcode: 2, payload: hex('00fffefdfcfb00ff'), rsv: 5 }], null),
    failCase('3.6', 'Send Ping with <b>RSV = 6</b>.', [{ opcode: 2, payload: HELLO, rsv: 6 }], null),
    failCase('3.7', 'Send Close with <b>RSV = 7</b>.', [{ opcode: 8, rsv: 7 }], null),
  ];
}

/** Section 4: reserved non-control (3–7) and control (11–15) opcodes (RFC 6455 §5.2). */
export function section4(): CaseDef[] {
  const cases: CaseDef[] = [];
  for (const [sub, base, kind] of [[1, 3, 'non-control'], [2, 11, 'control']] as const) {
    const op = (k: number) => base + k;
    cases.push(
      failCase(`4.${sub}.1`, `Send frame with reserved ${kind} <b>Opcode = ${op(0)}</b>.`, [{ opcode: op(0) }], null),
      failCase(`4.${sub}.2`, `Send frame with reserved ${kind} <b>Opcode = ${op(1)}</b> and non-empty payload.`,
        [{ opcode: op(1), payload: 'reserved opcode payload' }], null),
      failCase(`4.${sub}.3`, `Send small text message, then send frame with reserved ${kind} <b>Opcode = ${op(2)}</b>, then send Ping.`,
        [{ opcode: 1, payload: HELLO }, { opcode: op(2) }, { opcode: 9 }], HELLO),
      failCase(`4.${sub}.4`, `Send small text message, then send frame with reserved ${kind} <b>Opcode = ${op(3)}</b> and non-empty payload, then send Ping.`,
        [{ opcode: 1, payload: HELLO }, { opcode: op(3), payload: HELLO }, { opcode: 9 }], HELLO),
      failCase(`4.${sub}.5`, `Send small text message, then send frame with reserved ${kind} <b>Opcode = ${op(4)}</b> and non-empty payload, then send Ping.`,
        [{ opcode: 1, payload: HELLO }, { opcode: op(4), payload: HELLO }, { opcode: 9 }], HELLO, 'octets'),
    );
  }
  return cases;
}

/** Section 5: fragmented control frames, valid fragmentation with interleaved pings, broken continuation. */
export function section5(): CaseDef[] {
  const cases: CaseDef[] = [];
  cases.push(
    failCase('5.1', 'Send Ping fragmented into 2 fragments.', [
      { opcode: 9, payload: 'fragment1', fin: false }, { opcode: 0, payload: 'fragment2' }], null),
    failCase('5.2', 'Send Pong fragmented into 2 fragments.', [
      { opcode: 10, payload: 'fragment1', fin: false }, { opcode: 0, payload: 'fragment2' }], null),
  );
  const chops: Array<[Chopping, string]> = [['none', ''], ['sync', ', octets are sent in frame-wise chops'], ['octets', ', octets are sent in octet-wise chops']];
  chops.forEach(([how, note], i) => {
    cases.push({
      id: `5.${3 + i}`,
      description: `Send text Message fragmented into 2 fragments${note}.`,
      expectation: "Message is processed and echo'ed back to us. Clean close with normal code.",
      maxSeconds: 3,
      start(ctx) {
        ctx.expect('OK', [message('fragment1fragment2')]);
        ctx.expectClose(CLEAN_CLOSE_BY_ME);
        ctx.sendFrame(chopped({ opcode: 1, payload: 'fragment1', fin: false }, how));
        ctx.sendFrame(chopped({ opcode: 0, payload: 'fragment2' }, how));
        ctx.closeAfter(1);
      },
    });
  });
  chops.forEach(([how, note], i) => {
    cases.push({
      id: `5.${6 + i}`,
      description: `Send text Message fragmented into 2 fragments, one ping with payload in-between${note ? `. ${note.slice(2, 3).toUpperCase()}${note.slice(3)}` : ''}.`,
      expectation: "A pong is received, then the message is echo'ed back to us. Clean close with normal code.",
      maxSeconds: 3,
      start(ctx) {
        ctx.expect('OK', [pong('ping payload'), message('fragment1fragment2')]);
        ctx.expectClose(CLEAN_CLOSE_BY_ME);
        ctx.sendFrame(chopped({ opcode: 1, payload: 'fragment1', fin: false }, how));
        ctx.sendFrame(chopped({ opcode: 9, payload: 'ping payload' }, how));
        ctx.sendFrame(chopped({ opcode: 0, payload: 'fragment2' }, how));
        ctx.closeAfter(1);
      },
    });
  });
  const howText: Record<Chopping, string> = { none: 'sent in one chop', sync: 'sent in per-frame chops', octets: 'sent in octet-wise chops' };
  let n = 9;
  for (const fin of [true, false]) {
    for (const [how] of chops) {
      cases.push(failCase(`5.${n++}`,
        `Send unfragmented Text Message after Continuation Frame with FIN = ${fin}, where there is nothing to continue, ${howText[how]}.`,
        [{ opcode: 0, payload: 'non-continuation payload', fin }, { opcode: 1, payload: HELLO }], null, how));
    }
  }
  cases.push(failCase('5.15',
    'Send text Message fragmented into 2 fragments, then Continuation Frame with FIN = false where there is nothing to continue, then unfragmented Text Message, all sent in one chop.',
    [
      { opcode: 1, payload: 'fragment1', fin: false },
      { opcode: 0, payload: 'fragment2' },
      { opcode: 0, payload: 'fragment3', fin: false },
      { opcode: 1, payload: 'fragment4' },
    ], 'fragment1fragment2'));
  for (const [id, fin] of [['5.16', false], ['5.17', true]] as const) {
    const round: SendFrameSpec[] = [
      { opcode: 0, payload: 'fragment1', fin },
      { opcode: 1, payload: 'fragment2', fin: false },
      { opcode: 0, payload: 'fragment3' },
    ];
    cases.push(failCase(id,
      `Repeated 2x: Continuation Frame with FIN = ${fin} (where there is nothing to continue), then text Message fragmented into 2 fragments.`,
      [...round, ...round], null));
  }
  cases.push(failCase('5.18', 'Send text Message fragmented into 2 fragments, with both frame opcodes set to text, sent in one chop.',
    [{ opcode: 1, payload: 'fragment1', fin: false }, { opcode: 1, payload: 'fragment2' }], null));
  for (const [id, sync] of [['5.19', false], ['5.20', true]] as const) {
    cases.push({
      id,
      description: sync
        ? 'Same as Case 5.19, but send all frames with SYNC = True. Note, this does not change the octets sent in any way, only how the stream is chopped up on the wire.'
        : 'A fragmented text message is sent in multiple frames. After sending the first 2 frames of the text message, a Ping is sent. Then we wait 1s, then we send 2 more text fragments, another Ping and then the final text fragment. Everything is legal.',
      expectation: "The peer immediately answers the first Ping before it has received the last text message fragment. The peer pong's back the Ping's payload exactly, and echo's the payload of the fragmented message back to us.",
      maxSeconds: 4,
      start(ctx) {
        const frags = ['fragment1', 'fragment2', 'fragment3', 'fragment4', 'fragment5'];
        const pings = ['pongme 1!', 'pongme 2!'];
        ctx.expect('OK', [pong(pings[0]!), pong(pings[1]!), message(frags.join(''))]);
        ctx.expectClose(CLEAN_CLOSE_BY_ME);
        ctx.sendFrame({ opcode: 1, payload: frags[0]!, fin: false, sync });
        ctx.sendFrame({ opcode: 0, payload: frags[1]!, fin: false, sync });
        ctx.sendFrame({ opcode: 9, payload: pings[0]!, sync });
        ctx.continueLater(1, () => {
          ctx.sendFrame({ opcode: 0, payload: frags[2]!, fin: false, sync });
          ctx.sendFrame({ opcode: 0, payload: frags[3]!, fin: false, sync });
          ctx.sendFrame({ opcode: 9, payload: pings[1]!, sync });
          ctx.sendFrame({ opcode: 0, payload: frags[4]!, sync });
          ctx.closeAfter(1);
        });
      },
    });
  }
  return cases;
}
