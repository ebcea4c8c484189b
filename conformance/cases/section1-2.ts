/**
 * Sections 1 (framing: text and binary messages of the length-encoding edge sizes) and 2 (pings and pongs).
 */
import { hex, repeatBytes, utf8 } from '../client/bytes.ts';
import { CLEAN_CLOSE_BY_ME, type CaseDef, failedByServer, message, pong } from './api.ts';

const SIZES = [0, 125, 126, 127, 128, 65535, 65536];

/** Section 1: echo of text (1.1.x) and binary (1.2.x) messages at the 7/16/64-bit length boundaries. */
export function section1(): CaseDef[] {
  const cases: CaseDef[] = [];
  for (const [sub, binary] of [[1, false], [2, true]] as const) {
    const kind = binary ? 'binary' : 'text';
    const fill = binary ? new Uint8Array([0xfe]) : utf8('*');
    const sizes = [...SIZES, 65536];
    sizes.forEach((size, i) => {
      const chop = i === 7 ? 997 : 0;
      const desc = size === 0
        ? `Send ${kind} message with payload 0.`
        : `Send ${kind} message message with payload of length ${size}.${chop ? ` Sent out data in chops of ${chop} octets.` : ''}`;
      cases.push({
        id: `1.${sub}.${i + 1}`,
        description: desc,
        expectation: `Receive echo'ed ${kind} message (with ${size === 0 ? 'empty payload' : 'payload as sent'}). Clean close with normal code.`,
        maxSeconds: 10,
        start(ctx) {
          const payload = repeatBytes(fill, size);
          ctx.expect('OK', [message(payload, binary)]);
          ctx.expectClose(CLEAN_CLOSE_BY_ME);
          ctx.sendFrame({ opcode: binary ? 2 : 1, payload, ...(chop ? { chop } : {}) });
          ctx.killAfter(size > 128 ? 10 : 1);
        },
      });
    });
  }
  return cases;
}

/** Section 2: pings (echoed as pongs), too-long pings, unsolicited pongs, ping bursts. */
export function section2(): CaseDef[] {
  const pingCase = (id: string, description: string, payload: Uint8Array, chop = 0, wait = 1): CaseDef => ({
    id,
    description,
    expectation: 'Pong (with payload echo\'ed) is sent in reply to Ping. Clean close with normal code.',
    maxSeconds: wait + 2,
    start(ctx) {
      ctx.expect('OK', [pong(payload)]);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.sendFrame({ opcode: 9, payload, ...(chop ? { chop } : {}) });
      ctx.closeAfter(wait);
    },
  });
  const fe = (n: number) => repeatBytes(new Uint8Array([0xfe]), n);
  const unsolicited = (id: string, payload: string): CaseDef => ({
    id,
    description: `Send unsolicited pong ${payload ? 'with' : 'without'} payload. Verify nothing is received. Clean close with normal code.`,
    expectation: 'Nothing.',
    maxSeconds: 3,
    start(ctx) {
      ctx.expect('OK', []);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.sendFrame({ opcode: 10, payload });
      ctx.sendClose(1000);
      ctx.closeAfter(1);
    },
  });
  const burst = (id: string, chop: number): CaseDef => ({
    id,
    description: `Send 10 Pings with payload.${chop ? ' Send out octets in octet-wise chops.' : ''}`,
    expectation: 'Pongs for our Pings with all the payloads. Clean close with normal code.',
    maxSeconds: 5,
    start(ctx) {
      const payloads = Array.from({ length: 10 }, (_, i) => `payload-${i}`);
      ctx.expect('OK', payloads.map((p) => pong(p)));
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      for (const p of payloads) ctx.sendFrame({ opcode: 9, payload: p, ...(chop ? { chop } : {}) });
      ctx.closeAfter(3);
    },
  });
  return [
    pingCase('2.1', 'Send ping without payload.', new Uint8Array(0)),
    pingCase('2.2', 'Send ping with small text payload.', utf8('Hello, world!')),
    pingCase('2.3', 'Send ping with small binary (non UTF-8) payload.', hex('00fffefdfcfb00ff')),
    pingCase('2.4', 'Send ping with binary payload of 125 octets.', fe(125)),
    {
      id: '2.5',
      description: 'Send ping with binary payload of 126 octets.',
      expectation: 'Connection is failed immediately (1002/Protocol Error), since control frames are only allowed to have payload up to and including 125 octets..',
      maxSeconds: 2,
      start(ctx) {
        ctx.expect('OK', []);
        ctx.expectClose(failedByServer());
        ctx.sendFrame({ opcode: 9, payload: fe(126) });
        ctx.killAfter(1);
      },
    },
    pingCase('2.6', 'Send ping with binary payload of 125 octets, send in octet-wise chops.', fe(125), 1, 2),
    unsolicited('2.7', ''),
    unsolicited('2.8', 'unsolicited pong payload'),
    {
      id: '2.9',
      description: 'Send unsolicited pong with payload. Send ping with payload. Verify pong for ping is received.',
      expectation: "Nothing in reply to own Pong, but Pong with payload echo'ed in reply to Ping. Clean close with normal code.",
      maxSeconds: 3,
      start(ctx) {
        ctx.expect('OK', [pong('ping payload')]);
        ctx.expectClose(CLEAN_CLOSE_BY_ME);
        ctx.sendFrame({ opcode: 10, payload: 'unsolicited pong payload' });
        ctx.sendFrame({ opcode: 9, payload: 'ping payload' });
        ctx.closeAfter(1);
      },
    },
    burst('2.10', 0),
    burst('2.11', 1),
  ];
}
