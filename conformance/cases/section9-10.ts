/**
 * Sections 9 (limits and performance: large messages, many fragments, chopped writes, round trips) and
 * 10 (auto-fragmentation). These cases judge themselves: behaviour is FAILED until the echo arrives intact.
 */
import { repeatBytes, utf8 } from '../client/bytes.ts';
import { CLEAN_CLOSE_BY_ME, type CaseDef, type CaseHooks, type CaseContext, message } from './api.ts';

const KB = 1024;
const MB = 1024 * 1024;

/** A case that sends something large once and waits for one echo of the right type and length. */
function echoOnce(id: string, description: string, waitSecs: number, binary: boolean, length: number, send: (ctx: CaseContext) => void): CaseDef {
  const kind = binary ? 'binary' : 'text';
  return {
    id,
    description,
    expectation: `Receive echo'ed ${kind} message (with payload as sent).`,
    heavy: true,
    maxSeconds: waitSecs + 2,
    start(ctx): CaseHooks {
      ctx.setBehavior('FAILED', `Did not receive message within ${waitSecs} seconds.`);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      send(ctx);
      ctx.closeAfter(waitSecs);
      return {
        onMessage(data, isBinary) {
          if (isBinary !== binary) ctx.setBehavior('FAILED', `Expected ${kind} message with payload, but got ${isBinary ? 'binary' : 'text'}.`);
          else if (data.length !== length) ctx.setBehavior('FAILED', `Expected ${kind} message with payload of length ${length}, but got ${data.length}.`);
          else ctx.setBehavior('OK', `Received ${kind} message of length ${data.length}.`);
          ctx.sendClose(1000);
        },
      };
    },
  };
}

function sizeName(n: number): string {
  return n >= MB ? `${n / MB}M` : n >= KB ? `${n / KB}k` : String(n);
}

function sizeDesc(n: number): string {
  return n >= MB ? `${n / MB} * 2**20 (${sizeName(n)})` : `${n / KB} * 2**10 (${sizeName(n)})`;
}

/** Section 9. */
export function section9(): CaseDef[] {
  const cases: CaseDef[] = [];
  const textPattern = utf8('BAsd7&jh23');
  const binPattern = new Uint8Array([0x00, 0xfe, 0x23, 0xfa, 0xf0]);
  const big = [64 * KB, 256 * KB, 1 * MB, 4 * MB, 8 * MB, 16 * MB];
  big.forEach((n, i) => {
    cases.push(echoOnce(`9.1.${i + 1}`, `Send text message message with payload of length ${sizeDesc(n)}.`, i < 2 ? 10 : 100, false, n,
      (ctx) => ctx.sendFrame({ opcode: 1, payload: textPattern, repeatLength: n })));
  });
  big.forEach((n, i) => {
    cases.push(echoOnce(`9.2.${i + 1}`, `Send binary message message with payload of length ${sizeDesc(n)}.`, i < 4 ? 10 : 100, true, n,
      (ctx) => ctx.sendFrame({ opcode: 2, payload: binPattern, repeatLength: n })));
  });
  const frags = [64, 256, 1 * KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, 1 * MB, 4 * MB];
  for (const [sub, binary] of [[3, false], [4, true]] as const) {
    frags.forEach((f, i) => {
      const n = 4 * MB;
      cases.push(echoOnce(`9.${sub}.${i + 1}`,
        `Send fragmented ${binary ? 'binary' : 'text'} message message with message payload of length ${sizeDesc(n)}. Sent out in fragments of ${sizeName(f)}.`,
        100, binary, n, (ctx) => ctx.sendMessage(repeatBytes(binary ? new Uint8Array([0xfe]) : utf8('*'), n), binary, f)));
    });
  }
  const chops = [64, 128, 256, 512, 1024, 2048];
  for (const [sub, binary] of [[5, false], [6, true]] as const) {
    chops.forEach((c, i) => {
      cases.push(echoOnce(`9.${sub}.${i + 1}`,
        `Send ${binary ? 'binary' : 'text'} message message with payload of length 1 * 2**20 (1M). Sent out data in chops of ${c} octets.`,
        1000, binary, MB, (ctx) => ctx.sendFrame({ opcode: binary ? 2 : 1, payload: binary ? binPattern : textPattern, repeatLength: MB, chop: c })));
    });
  }
  const rtt: Array<[number, number, number]> = [[0, 1000, 60], [16, 1000, 60], [64, 1000, 60], [256, 1000, 120], [1024, 1000, 240], [4096, 1000, 480]];
  for (const [sub, binary] of [[7, false], [8, true]] as const) {
    rtt.forEach(([len, count, waitSecs], i) => {
      const kind = binary ? 'binary' : 'text';
      cases.push({
        id: `9.${sub}.${i + 1}`,
        description: `Send ${count} ${kind} messages of payload size ${len} to measure implementation/network RTT (round trip time) / latency.`,
        expectation: `Receive echo'ed ${kind} messages (with payload as sent). Timeout case after ${waitSecs} secs.`,
        heavy: true,
        maxSeconds: waitSecs + 2,
        start(ctx): CaseHooks {
          ctx.setBehavior('FAILED', `Case did not finish within ${waitSecs} seconds.`);
          ctx.expectClose(CLEAN_CLOSE_BY_ME);
          ctx.closeAfter(waitSecs);
          let sent = 0;
          const payload = binary ? new Uint8Array([0xfe]) : utf8('*');
          const sendOne = () => {
            ctx.sendFrame({ opcode: binary ? 2 : 1, payload, repeatLength: len });
            sent++;
          };
          sendOne();
          return {
            onMessage(data, isBinary) {
              if (isBinary !== binary || data.length !== len) {
                ctx.setBehavior('FAILED', `Echo'ed message type or length differs from what I sent (got binary = ${isBinary}, payload length = ${data.length}).`);
                ctx.sendClose(1000);
              } else if (sent < count) sendOne();
              else {
                ctx.setBehavior('OK', "Ok, received all echo'ed messages in time.");
                ctx.sendClose(1000);
              }
            },
          };
        },
      });
    });
  }
  return cases;
}

/** Section 10: a message auto-fragmented by the client must be echoed whole. */
export function section10(): CaseDef[] {
  return [{
    id: '10.1.1',
    description: 'Send text message with payload of length 65536 auto-fragmented with <b>autoFragmentSize = 1300</b>.',
    expectation: "Receive echo'ed text message (with payload as sent and transmitted frame counts as expected). Clean close with normal code.",
    maxSeconds: 11,
    start(ctx): CaseHooks {
      const payload = repeatBytes(utf8('*'), 65536);
      ctx.setAutoFragmentSize(1300);
      ctx.expect('OK', [message(payload)]);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.sendMessage(payload, false);
      ctx.killAfter(10);
      return {
        finish(j, run) {
          const want0 = Math.floor(65536 / 1300), want1 = 65536 % 1300 > 0 ? 1 : 0;
          const got0 = run.txFrames.get(0) ?? 0, got1 = run.txFrames.get(1) ?? 0;
          if (got0 === want0 && got1 === want1) return j;
          return { ...j, behavior: 'FAILED', result: `Frames transmitted {0: ${got0}, 1: ${got1}} does not match what we expected {0: ${want0}, 1: ${want1}}.` };
        },
      };
    },
  }];
}
