/**
 * Sections 12 and 13: permessage-deflate (RFC 7692). 1000 compressed messages per case, each sent after the
 * previous echo arrived, every echo checked byte for byte. 12.x uses the default offer over five corpora;
 * 13.x varies the client's offers over one corpus. A server that declines compression gets UNIMPLEMENTED.
 */
import type { DeflateOffer } from '../client/deflate.ts';
import { DEFAULT_OFFER } from '../client/deflate.ts';
import { CLEAN_CLOSE_BY_ME, type CaseDef, type CaseHooks } from './api.ts';
import { type Corpus, corpus } from './testdata.ts';

/** (payload length, message count, case timeout in s, auto-fragment size), as in the suite. */
const MSG_SIZES: ReadonlyArray<readonly [number, number, number, number]> = [
  [16, 1000, 60, 0], [64, 1000, 60, 0], [256, 1000, 120, 0], [1024, 1000, 240, 0], [4096, 1000, 480, 0],
  [8192, 1000, 480, 0], [16384, 1000, 480, 0], [32768, 1000, 480, 0], [65536, 1000, 480, 0], [131072, 1000, 480, 0],
  [8192, 1000, 480, 256], [16384, 1000, 480, 256], [32768, 1000, 480, 256], [65536, 1000, 480, 256], [131072, 1000, 480, 256],
  [131072, 1000, 480, 1024], [131072, 1000, 480, 4096], [131072, 1000, 480, 32768],
];

/** Client offers of 13.1–13.7: (requestNoContextTakeover, requestMaxWindowBits) lists. */
const OFFERS_13: ReadonlyArray<readonly DeflateOffer[]> = [
  [DEFAULT_OFFER],
  [{ requestNoContextTakeover: true, requestMaxWindowBits: 0 }],
  [{ requestNoContextTakeover: false, requestMaxWindowBits: 8 }],
  [{ requestNoContextTakeover: false, requestMaxWindowBits: 15 }],
  [{ requestNoContextTakeover: true, requestMaxWindowBits: 8 }],
  [{ requestNoContextTakeover: true, requestMaxWindowBits: 15 }],
  [{ requestNoContextTakeover: true, requestMaxWindowBits: 8 }, { requestNoContextTakeover: true, requestMaxWindowBits: 0 }, DEFAULT_OFFER],
];

function offerText(offers: readonly DeflateOffer[]): string {
  return `[${offers.map((o) => `(${o.requestNoContextTakeover ? 'True' : 'False'}, ${o.requestMaxWindowBits})`).join(', ')}]`;
}

function compressionCase(id: string, description: string, offers: readonly DeflateOffer[], getData: () => Corpus,
  [len, count, waitSecs, autoFrag]: readonly [number, number, number, number]): CaseDef {
  return {
    id,
    description,
    expectation: `Receive echo'ed messages (with payload as sent). Timeout case after ${waitSecs} secs.`,
    deflateOffers: offers,
    heavy: true,
    maxSeconds: waitSecs + 2,
    start(ctx): CaseHooks | void {
      ctx.expectClose(CLEAN_CLOSE_BY_ME);
      ctx.setAutoFragmentSize(autoFrag);
      if (!ctx.deflateAgreed) {
        ctx.setBehavior('UNIMPLEMENTED', 'The server did not accept permessage-deflate.');
        ctx.sendClose(1000);
        return;
      }
      ctx.setBehavior('FAILED', `Case did not finish within ${waitSecs} seconds.`);
      ctx.closeAfter(waitSecs);
      const { data, binary } = getData();
      let ptr = 0;
      let sent = 0;
      let expected: Uint8Array = new Uint8Array(0);
      const sendOne = () => {
        // Consecutive slices of the corpus, wrapping around at its end.
        const end = (ptr + len) % data.length;
        if (end > ptr) expected = data.subarray(ptr, end);
        else {
          expected = new Uint8Array(len);
          expected.set(data.subarray(ptr));
          expected.set(data.subarray(0, end), data.length - ptr);
        }
        ptr = end;
        ctx.sendMessage(expected, binary);
        sent++;
      };
      sendOne();
      return {
        onMessage(msg, isBinary) {
          let problem: string | null = null;
          if (isBinary !== binary) problem = `Echo'ed message type differs from what I sent (got binary ${isBinary}, expected binary ${binary}).`;
          else if (msg.length !== len) problem = `Echo'ed message length differs from what I sent (got length ${msg.length}, expected length ${len}).`;
          else if (!same(msg, expected)) problem = "Echo'ed message contents differs from what I sent.";
          if (problem !== null) {
            ctx.setBehavior('FAILED', problem);
            ctx.sendClose(1000);
          } else if (sent < count) sendOne();
          else {
            ctx.setBehavior('OK', "Ok, received all echo'ed messages in time.");
            ctx.sendClose(1000);
          }
        },
      };
    },
  };
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NAMES_12 = ['gutenberg_faust', 'lena512', 'ooms', 'json_data1', 'html_data1'];

/** Section 12: the default offer over five corpora. */
export function section12(): CaseDef[] {
  const cases: CaseDef[] = [];
  NAMES_12.forEach((name, j) => {
    MSG_SIZES.forEach((s, i) => {
      cases.push(compressionCase(`12.${j + 1}.${i + 1}`,
        `Send ${s[1]} compressed messages each of payload size ${s[0]}, auto-fragment to ${s[3]} octets. Use default permessage-deflate offer.`,
        [DEFAULT_OFFER], () => corpus(name), s));
    });
  });
  return cases;
}

/** Section 13: the offers of the client vary; the JSON corpus. */
export function section13(): CaseDef[] {
  const cases: CaseDef[] = [];
  OFFERS_13.forEach((offers, j) => {
    MSG_SIZES.forEach((s, i) => {
      cases.push(compressionCase(`13.${j + 1}.${i + 1}`,
        `Send ${s[1]} compressed messages each of payload size ${s[0]}, auto-fragment to ${s[3]} octets. Use permessage-deflate client offers (requestNoContextTakeover, requestMaxWindowBits): ${offerText(offers)}`,
        offers, () => corpus('json_data1'), s));
    });
  });
  return cases;
}
