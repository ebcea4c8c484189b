/**
 * The verdicts of one case, computed the way the Autobahn TestSuite's fuzzing client computes them:
 * `behavior` from the observed events against each expected sequence, `behaviorClose` from how the
 * connection ended against the expected close.
 */
import type { BehaviorVerdict, CloseFacts, ExpectedClose, Judgement, ObservedEvent } from './types.ts';

/** Inputs of {@link judge}. */
export interface JudgeInput {
  /** Expected event sequences per verdict, in the order the case declared them. */
  readonly expected: ReadonlyArray<readonly [BehaviorVerdict, readonly ObservedEvent[]]>;
  /** What the client observed, in order. */
  readonly received: readonly ObservedEvent[];
  /** The behaviour the case set itself (cases without expected sequences, e.g. 9.x, 12.x); FAILED if unset. */
  readonly presetBehavior?: BehaviorVerdict;
  /** The explanation of the preset behaviour. */
  readonly presetResult?: string;
  readonly expectedClose: ExpectedClose;
  readonly facts: CloseFacts;
}

/** True if two observed events are the same (kind, payload bytes, message type). */
export function sameEvent(a: ObservedEvent, b: ObservedEvent): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'timeout') return a.tag === (b as typeof a).tag;
  if (a.kind === 'message' && a.binary !== (b as typeof a).binary) return false;
  return sameBytes(a.data, (b as { data: Uint8Array }).data);
}

/** True if the two sequences are equal event by event. */
export function sameEvents(a: readonly ObservedEvent[], b: readonly ObservedEvent[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!sameEvent(a[i]!, b[i]!)) return false;
  return true;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Computes both verdicts.
 * - behavior: the first verdict whose expected sequence equals the received events; else the preset (FAILED).
 * - behaviorClose, first rule that applies: handshake never completed → FAILED; the wrong endpoint started the
 *   close → FAILED; a clean close was required but did not happen → UNCLEAN; the server's close code is not an
 *   accepted one → WRONG CODE; the client had to drop TCP → FAILED BY CLIENT; else OK.
 * - closedByWrongEndpointIsFatal: the wrong endpoint closing also fails the behaviour (the server did not detect
 *   the invalid input at all).
 */
export function judge(input: JudgeInput): Judgement {
  let behavior: BehaviorVerdict = input.presetBehavior ?? 'FAILED';
  let result = input.presetResult ?? 'Actual events differ from any expected.';
  for (const [verdict, events] of input.expected) {
    if (sameEvents(input.received, events)) {
      behavior = verdict;
      result = 'Actual events match at least one expected.';
      break;
    }
  }
  const f = input.facts;
  const ec = input.expectedClose;
  if (!f.opened) {
    return { behavior, behaviorClose: 'FAILED', result, resultClose: 'The WebSocket opening handshake was never completed!' };
  }
  let behaviorClose: Judgement['behaviorClose'];
  let resultClose: string;
  if (ec.closedByMe !== f.closedByMe) {
    behaviorClose = 'FAILED';
    resultClose = 'The connection was failed by the wrong endpoint';
  } else if (ec.requireClean && !f.wasClean) {
    behaviorClose = 'UNCLEAN';
    resultClose = 'The spec requires the connection to be failed cleanly here';
  } else if (f.remoteCloseCode !== null && !ec.closeCode.includes(f.remoteCloseCode)) {
    behaviorClose = 'WRONG CODE';
    resultClose = `The close code should have been ${ec.closeCode.join(',')} or empty`;
  } else if (f.droppedByMe) {
    behaviorClose = 'FAILED BY CLIENT';
    resultClose = 'It is preferred that the server close the TCP connection';
  } else {
    behaviorClose = 'OK';
    resultClose = 'Connection was properly closed';
  }
  if (ec.closedByWrongEndpointIsFatal === true && ec.closedByMe !== f.closedByMe) {
    behavior = 'FAILED';
  }
  return { behavior, behaviorClose, result, resultClose };
}
