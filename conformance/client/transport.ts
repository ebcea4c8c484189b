/** The byte pipe a case runs over: TCP/TLS to a server, or straight into the core in-process. */

/** Callbacks the transport calls. */
export interface TransportHandlers {
  /** The connection is established; the client may write. */
  onOpen(): void;
  /** Bytes arrived from the server. */
  onData(bytes: Uint8Array): void;
  /** The connection is gone (server closed or dropped it, or the client aborted it). Called once. */
  onClose(reason: string): void;
}

/** A connection to the server under test. */
export interface CaseTransport {
  /** Starts connecting; `handlers` receive everything afterwards. */
  connect(handlers: TransportHandlers): void;
  /** Writes bytes in order; `flushed` is called once they left this process (the pacing of chopped writes). */
  write(bytes: Uint8Array, flushed?: () => void): void;
  /** Drops the connection at once (the suite's "drop TCP"); `onClose` follows. */
  abort(): void;
}

/** Creates a fresh transport per case. */
export type TransportFactory = () => CaseTransport;
