import { MisuseError } from './errors.ts';

/**
 * The states of a server connection, and the one table of allowed transitions (as in h11: every transition
 * is decided here; the connection asks before it moves).
 *
 * - `handshake`: reading the HTTP request head.
 * - `deciding`: the request is complete and valid; the application has not yet accepted or rejected it.
 * - `open`: the 101 response was written; messages flow both ways.
 * - `closing`: we sent a close frame and wait for the peer's (RFC 6455 §7.1.2); incoming data is discarded.
 * - `closed`: nothing more is read or written; the transport should be closed once the writes are flushed.
 */
export type ConnectionState = 'handshake' | 'deciding' | 'open' | 'closing' | 'closed';

/** Why the connection moves; documents each edge of the table below. */
export type Transition =
  | 'request-complete' // handshake → deciding
  | 'accept' // deciding → open
  | 'reject' // handshake | deciding → closed (HTTP response written)
  | 'close-sent' // open → closing
  | 'close-received' // open → closed (reply written) | closing → closed (handshake complete)
  | 'fail' // any → closed (close frame or HTTP error written)
  | 'timeout' // any but closed → closed
  | 'transport-ended'; // any → closed

const TABLE: Readonly<Record<ConnectionState, Partial<Record<Transition, ConnectionState>>>> = {
  handshake: { 'request-complete': 'deciding', reject: 'closed', fail: 'closed', timeout: 'closed', 'transport-ended': 'closed' },
  deciding: { accept: 'open', reject: 'closed', fail: 'closed', timeout: 'closed', 'transport-ended': 'closed' },
  open: { 'close-sent': 'closing', 'close-received': 'closed', fail: 'closed', timeout: 'closed', 'transport-ended': 'closed' },
  closing: { 'close-received': 'closed', fail: 'closed', timeout: 'closed', 'transport-ended': 'closed' },
  closed: {},
};

/** The state after `transition` from `from`; throws {@link MisuseError} when the table has no such edge. */
export function nextState(from: ConnectionState, transition: Transition): ConnectionState {
  const to = TABLE[from][transition];
  if (to === undefined) throw new MisuseError('INVALID_STATE', `cannot ${transition} in state ${from}`);
  return to;
}

/** Whether `transition` is allowed from `from`. */
export function canTransition(from: ConnectionState, transition: Transition): boolean {
  return TABLE[from][transition] !== undefined;
}
