/**
 * What a case script sees: the operations of the suite's fuzzing client (send frames exactly as told, send
 * messages, close, timers) and the places to declare what it expects. Scripts talk only to this context, so
 * the same catalogue runs over TCP/TLS and in-process with virtual time.
 */
import type { DeflateOffer } from '../client/deflate.ts';
import type { BehaviorVerdict, CloseFacts, ExpectedClose, Judgement, ObservedEvent } from '../types.ts';

/** Protocol state of the client, as the suite names it. */
export type ClientState = 'connecting' | 'open' | 'closing' | 'closed';

/** One frame to send, possibly invalid on purpose. */
export interface SendFrameSpec {
  readonly opcode: number;
  /** Payload; a string is sent as its UTF-8 bytes. */
  readonly payload?: Uint8Array | string;
  /** Default true. */
  readonly fin?: boolean;
  /** RSV bits 0–7 (RSV1 = 4). Default 0. */
  readonly rsv?: number;
  /** Repeat (and cut) the payload to this many octets (the suite's `payload_len`). */
  readonly repeatLength?: number;
  /** Write the frame's octets in chunks of this size, each after the previous one left (octet-wise = 1). */
  readonly chop?: number;
  /** Write the frame as its own chunk, after what is queued (the suite's `sync`). */
  readonly sync?: boolean;
}

/** The client operations and expectation setters available to a case script. */
export interface CaseContext {
  /** The client's protocol state now. */
  readonly state: ClientState;
  /** True if permessage-deflate was agreed in the opening handshake. */
  readonly deflateAgreed: boolean;
  /** Declares an acceptable observed event sequence for a verdict (first declared, first matched). */
  expect(verdict: BehaviorVerdict, events: readonly ObservedEvent[]): void;
  /** Declares how the connection must end. */
  expectClose(close: ExpectedClose): void;
  /** Stops the client from closing by itself once the expected events have been seen. */
  suppressClose(): void;
  /** Appends an event to the received sequence (markers such as timeouts). */
  record(event: ObservedEvent): void;
  /** Sets the behaviour verdict directly (cases that judge themselves, e.g. 9.x, 12.x). */
  setBehavior(verdict: BehaviorVerdict, result: string): void;
  /** Sends one frame exactly as specified (masked with a fresh key). */
  sendFrame(spec: SendFrameSpec): void;
  /**
   * Sends a message: compressed if deflate was agreed, fragmented into `fragmentSize` (or the auto-fragment size)
   * octets if larger.
   */
  sendMessage(payload: Uint8Array | string, binary: boolean, fragmentSize?: number): void;
  /** Starts a message frame of `length` octets with FIN clear (the suite's beginMessage + beginMessageFrame). */
  beginMessageFrame(opcode: number, length: number): void;
  /** Sends the next part of the frame begun with {@link beginMessageFrame}, masked in sequence. */
  sendMessageFrameData(data: Uint8Array): void;
  /** Ends the message begun with {@link beginMessageFrame}: an empty final continuation frame. */
  endMessage(): void;
  /** Fragment size for later messages (0 = none), the suite's `autoFragmentSize`. */
  setAutoFragmentSize(size: number): void;
  /**
   * Starts the closing handshake with this close frame (code and reason are sent as given, even invalid ones).
   * Ignored once closing. Starts the client's close-handshake timeout (1 s).
   */
  sendClose(code?: number, reason?: Uint8Array | string): void;
  /** Fails the connection (drops TCP) after `seconds`, unless it is closed by then. */
  killAfter(seconds: number): void;
  /** Starts the closing handshake (empty close frame) after `seconds`, unless closed by then. */
  closeAfter(seconds: number): void;
  /** Runs `fn` after `seconds`, unless the connection is closed by then. */
  continueLater(seconds: number, fn: () => void): void;
}

/** What a run tells a case's `finish` hook. */
export interface CaseRunInfo {
  readonly facts: CloseFacts;
  /** Frames sent, by opcode. */
  readonly txFrames: ReadonlyMap<number, number>;
}

/** Optional per-run overrides a case returns from `start`. */
export interface CaseHooks {
  /** Replaces the default handling of a received message (record it, close once the expected events are seen). */
  onMessage?(data: Uint8Array, binary: boolean): void;
  /** Adjusts the verdicts after the standard judgement (e.g. INFORMATIONAL cases). */
  finish?(judgement: Judgement, run: CaseRunInfo): Judgement;
}

/** One case of the catalogue. */
export interface CaseDef {
  /** e.g. "6.4.1". */
  readonly id: string;
  readonly description: string;
  readonly expectation: string;
  /** permessage-deflate offers to make in the opening handshake (none if absent). */
  readonly deflateOffers?: readonly DeflateOffer[];
  /**
   * CPU- or memory-heavy (9.x, 12.x, 13.x): run with few others at once, so that neighbours do not stall the
   * event loop of time-judged cases.
   */
  readonly heavy?: boolean;
  /** Upper bound of the case's run time in seconds, after which the client gives up (drops the connection). */
  readonly maxSeconds: number;
  /** Called once the connection is open: send, set expectations and timers. */
  start(ctx: CaseContext): CaseHooks | void;
}

/** A received message, as an expected event. */
export function message(data: Uint8Array | string, binary = false): ObservedEvent {
  return { kind: 'message', data: typeof data === 'string' ? new TextEncoder().encode(data) : data, binary };
}

/** A received pong, as an expected event. */
export function pong(data: Uint8Array | string = ''): ObservedEvent {
  return { kind: 'pong', data: typeof data === 'string' ? new TextEncoder().encode(data) : data };
}

/** A timeout marker a case records itself (6.4.x). */
export function timeout(tag: string): ObservedEvent {
  return { kind: 'timeout', tag };
}

/** RFC 6455 §7.4.1: normal closure. */
export const CLOSE_NORMAL = 1000;
/** RFC 6455 §7.4.1: protocol error. */
export const CLOSE_PROTOCOL_ERROR = 1002;
/** RFC 6455 §7.4.1: payload inconsistent with the message type (e.g. invalid UTF-8). */
export const CLOSE_INVALID_PAYLOAD = 1007;

/** The usual expectation: the client closes with 1000, cleanly. */
export const CLEAN_CLOSE_BY_ME: ExpectedClose = { closedByMe: true, closeCode: [CLOSE_NORMAL], requireClean: true };

/** The usual failure expectation: the server fails the connection with `code` (1002 unless given). */
export function failedByServer(code = CLOSE_PROTOCOL_ERROR, fatal = false): ExpectedClose {
  return fatal
    ? { closedByMe: false, closeCode: [code], requireClean: false, closedByWrongEndpointIsFatal: true }
    : { closedByMe: false, closeCode: [code], requireClean: false };
}
