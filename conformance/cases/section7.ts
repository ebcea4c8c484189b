/**
 * Section 7: the closing handshake (RFC 6455 §5.5.1, §7): data after close, close payload sizes, invalid UTF-8
 * in the reason, valid and invalid close codes.
 */
import { hex, repeatBytes, utf8 } from '../client/bytes.ts';
import { CLEAN_CLOSE_BY_ME, type CaseDef, type CaseContext, message } from './api.ts';
import type { ExpectedClose } from '../types.ts';

function closeCase(id: string, description: string, expectation: string, close: ExpectedClose, run: (ctx: CaseContext) => void, informational = false): CaseDef {
  return {
    id,
    description,
    expectation,
    maxSeconds: 3,
    start(ctx) {
      ctx.expect('OK', []);
      ctx.expectClose(close);
      run(ctx);
      ctx.killAfter(1);
      if (!informational) return;
      return {
        finish: (j) => ({ ...j, behavior: 'INFORMATIONAL', behaviorClose: 'INFORMATIONAL', result: 'Actual events are undefined by the spec.' }),
      };
    },
  };
}

/** Section 7. */
export function section7(): CaseDef[] {
  const cases: CaseDef[] = [];
  // 7.1: what is sent around the close frame.
  cases.push({
    id: '7.1.1',
    description: 'Send a message followed by a close frame',
    expectation: "Echoed message followed by clean close with normal code.",
    maxSeconds: 3,
    start(ctx) {
      ctx.expect('OK', [message('Hello World!')]);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.sendFrame({ opcode: 1, payload: 'Hello World!' });
      ctx.killAfter(1);
    },
  });
  cases.push(
    closeCase('7.1.2', 'Send two close frames', 'Clean close with normal code. Second close frame ignored.', CLEAN_CLOSE_BY_ME, (ctx) => {
      ctx.sendClose(1000);
      ctx.sendFrame({ opcode: 8 });
    }),
    closeCase('7.1.3', 'Send a ping after close message', 'Clean close with normal code, no pong.', CLEAN_CLOSE_BY_ME, (ctx) => {
      ctx.sendClose(1000);
      ctx.sendFrame({ opcode: 9 });
    }),
    closeCase('7.1.4', 'Send text message after sending a close frame.', 'Clean close with normal code. Text message ignored.', CLEAN_CLOSE_BY_ME, (ctx) => {
      ctx.sendClose(1000);
      ctx.sendFrame({ opcode: 1, payload: 'Hello World!' });
    }),
  );
  cases.push({
    id: '7.1.5',
    description: 'Send message fragment1 followed by close then fragment',
    expectation: 'Clean close with normal code.',
    maxSeconds: 3,
    start(ctx) {
      ctx.suppressClose();
      ctx.expect('OK', []);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.sendFrame({ opcode: 1, payload: 'fragment1', fin: false });
      ctx.sendClose(1000);
      ctx.sendFrame({ opcode: 0, payload: 'fragment2' });
      ctx.killAfter(1);
      // A wrong close code here means the server did not handle the close at all: a behaviour failure too.
      return { finish: (j) => (j.behaviorClose === 'WRONG CODE' ? { ...j, behavior: 'FAILED', result: j.resultClose } : j) };
    },
  });
  cases.push({
    id: '7.1.6',
    description: 'Send 256K message followed by close then a ping',
    expectation: 'Case outcome depends on implementation defined close behavior. Message and close frame are sent back to back. If the close frame is processed before the text message write is complete (as can happen in asynchronous processing models) the close frame is processed first and the text message may not be received or may only be partially received.',
    maxSeconds: 3,
    start(ctx) {
      ctx.suppressClose();
      ctx.expect('OK', [message('Hello World!')]);
      ctx.expect('NON-STRICT', []);
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.sendFrame({ opcode: 1, payload: 'BAsd7&jh23', repeatLength: 256 * 1024 });
      ctx.sendFrame({ opcode: 1, payload: 'Hello World!' });
      ctx.sendClose(1000);
      ctx.sendFrame({ opcode: 9 });
      ctx.killAfter(1);
      return {
        finish: (j) => ({
          ...j,
          behavior: 'INFORMATIONAL',
          behaviorClose: 'INFORMATIONAL',
          result: j.behavior === 'OK' ? 'Text message was processed before close.'
            : j.behavior === 'NON-STRICT' ? 'Close was processed before text message could be returned.' : j.result,
        }),
      };
    },
  });
  // 7.3: close frame payload sizes.
  const clean1000: ExpectedClose = CLEAN_CLOSE_BY_ME;
  const failed1002: ExpectedClose = { closedByMe: true, closeCode: [1002], requireClean: false };
  cases.push(
    closeCase('7.3.1', 'Send a close frame with payload length 0 (no close code, no close reason)', 'Clean close with normal code.', clean1000,
      (ctx) => ctx.sendClose()),
    closeCase('7.3.2', 'Send a close frame with payload length 1', 'Clean close with protocol error or drop TCP.', failed1002,
      (ctx) => ctx.sendClose(undefined, 'a')),
    closeCase('7.3.3', 'Send a close frame with payload length 2 (regular close with a code)', 'Clean close with normal code.', clean1000,
      (ctx) => ctx.sendClose(1000)),
    closeCase('7.3.4', 'Send a close frame with close code and close reason', 'Clean close with normal code.', clean1000,
      (ctx) => ctx.sendClose(1000, 'Hello World!')),
    closeCase('7.3.5', 'Send a close frame with close code and close reason of maximum length (123)', 'Clean close with normal code.', clean1000,
      (ctx) => ctx.sendClose(1000, repeatBytes(utf8('*'), 123))),
    closeCase('7.3.6', 'Send a close frame with close code and close reason which is too long (124) - total frame payload 126 octets',
      'Clean close with protocol error code or dropped TCP connection.', failed1002,
      (ctx) => ctx.sendClose(1000, repeatBytes(utf8('*'), 124))),
  );
  // 7.5.1: the reason is not UTF-8.
  cases.push(closeCase('7.5.1', 'Send a close frame with invalid UTF8 payload', 'Clean close with protocol error or invalid utf8 code or dropped TCP.',
    { closedByMe: true, closeCode: [1002, 1007], requireClean: false },
    (ctx) => ctx.sendClose(1000, hex('cebae1bdb9cf83cebcceb5eda080656469746564'))));
  // 7.7: codes a peer may send (RFC 6455 §7.4.1, §7.4.2); 7.9: codes it must not.
  [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999].forEach((code, i) => {
    cases.push(closeCase(`7.7.${i + 1}`, `Send close with valid close code ${code}`, `Clean close with normal or echoed code`,
      { closedByMe: true, closeCode: [1000, code], requireClean: true }, (ctx) => ctx.sendClose(code)));
  });
  [0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999].forEach((code, i) => {
    cases.push(closeCase(`7.9.${i + 1}`, `Send close with invalid close code ${code}`, 'Clean close with protocol error code or drop TCP',
      failed1002, (ctx) => ctx.sendClose(code)));
  });
  [5000, 65535].forEach((code, i) => {
    cases.push(closeCase(`7.13.${i + 1}`, `Send close with close code ${code}`, 'Actual events are undefined by the spec.',
      { closedByMe: true, closeCode: [1000, code, 1002], requireClean: false }, (ctx) => ctx.sendClose(code), true));
  });
  return cases;
}
