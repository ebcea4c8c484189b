/**
 * Shared vocabulary of the conformance suite: verdicts, observed events, close expectations and case results.
 * The names and meanings follow the Autobahn TestSuite's fuzzing client, so reports can be compared with its own.
 */

/** A behaviour verdict, as the Autobahn TestSuite names it. */
export type BehaviorVerdict = 'OK' | 'NON-STRICT' | 'INFORMATIONAL' | 'UNIMPLEMENTED' | 'FAILED';

/** A close-behaviour verdict, as the Autobahn TestSuite names it. */
export type CloseVerdict = 'OK' | 'FAILED' | 'UNCLEAN' | 'WRONG CODE' | 'FAILED BY CLIENT' | 'INFORMATIONAL';

/** Something the client observed (or a marker a case recorded), compared in order with the expected sequences. */
export type ObservedEvent =
  | { readonly kind: 'message'; readonly data: Uint8Array; readonly binary: boolean }
  | { readonly kind: 'pong'; readonly data: Uint8Array }
  | { readonly kind: 'timeout'; readonly tag: string };

/** How the connection is expected to end (Autobahn's `expectedClose`). */
export interface ExpectedClose {
  /** True if the client is expected to start the closing handshake. */
  readonly closedByMe: boolean;
  /** Close codes accepted from the server (an absent code is always accepted). */
  readonly closeCode: readonly number[];
  /** True if a full closing handshake followed by the server dropping TCP is required. */
  readonly requireClean: boolean;
  /** If the wrong endpoint closed, the behaviour (not only the close) fails: used by the UTF-8 cases. */
  readonly closedByWrongEndpointIsFatal?: boolean;
}

/** Facts about how the connection ended, collected by the client (Autobahn's protocol flags). */
export interface CloseFacts {
  /** The opening handshake completed. */
  readonly opened: boolean;
  /** The client sent the first close frame. */
  readonly closedByMe: boolean;
  /** The client failed the connection (protocol violation seen, or a kill timer fired). */
  readonly failedByMe: boolean;
  /** The client dropped the TCP connection (rather than the server). */
  readonly droppedByMe: boolean;
  /** A close frame was sent and received, and the server dropped TCP afterwards. */
  readonly wasClean: boolean;
  /** The close code the server sent, null if none. */
  readonly remoteCloseCode: number | null;
  /** The close reason the server sent, null if none. */
  readonly remoteCloseReason: string | null;
  /** Why the close was not clean, when it was not. */
  readonly wasNotCleanReason: string | null;
}

/** The verdict pair of one case, with the suite's explanations. */
export interface Judgement {
  readonly behavior: BehaviorVerdict;
  readonly behaviorClose: CloseVerdict;
  readonly result: string;
  readonly resultClose: string;
}

/** Everything recorded about one case run. */
export interface CaseResult extends Judgement {
  readonly id: string;
  readonly description: string;
  readonly expectation: string;
  /** Milliseconds from the opening handshake's completion to the connection's end (virtual time in-process). */
  readonly duration: number;
  readonly remoteCloseCode: number | null;
  readonly facts: CloseFacts;
  /** The permessage-deflate response the server gave, '' if none. */
  readonly extensions: string;
}
