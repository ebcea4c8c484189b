/**
 * The contract between the runtime-neutral pump (session.ts) and a runtime adapter. An adapter moves bytes
 * only: it implements {@link Transport} over one socket and calls the {@link TransportSink} methods of the
 * session it created. No protocol logic lives behind this interface.
 */

/** One accepted byte stream (TCP or TLS), as implemented by each runtime adapter. */
export interface Transport {
  /** The peer's IP address ('' if unknown). */
  readonly remoteAddress: string;
  /** Bytes accepted by {@link write} and not yet handed to the OS. */
  readonly bufferedAmount: number;
  /**
   * Queues bytes in order. Never blocks and never throws; writes after {@link close}/{@link destroy} are
   * discarded. Implementations coalesce the writes of one tick (cork / one syscall or TLS record) where they can.
   */
  write(chunks: readonly Uint8Array[]): void;
  /**
   * Hands the writes coalesced so far in this tick to the OS now, rather than at the end of the tick. Called
   * when they pass the high-water mark, which then measures what the OS refused. A transport whose writes are
   * asynchronous (Deno) does nothing.
   */
  flushNow(): void;
  /** Asks for one {@link TransportSink.onWritable} call once {@link bufferedAmount} has decreased (at the latest when empty). */
  requestDrain(): void;
  /** Stops delivering data (backpressure on the peer). */
  pause(): void;
  /** Resumes delivering data. */
  resume(): void;
  /** Flushes what is queued, then closes. {@link TransportSink.onClosed} follows. */
  close(): void;
  /** Closes now, discarding what is queued. {@link TransportSink.onClosed} follows. */
  destroy(): void;
}

/** What a transport reports to its session. Every method is safe to call in any state. */
export interface TransportSink {
  /**
   * Bytes from the peer. The core may unmask the chunk in place and hand out or keep views of it. Returns
   * whether it did (the chunk may still be referenced): only when this returns false may the transport reuse
   * the chunk's memory.
   */
  onData(chunk: Uint8Array): boolean;
  /** The read side ended (EOF) or failed; no more data will come. */
  onEnd(): void;
  /** {@link Transport.bufferedAmount} decreased (see {@link Transport.requestDrain}). */
  onWritable(): void;
  /** The transport is fully closed; release everything. */
  onClosed(): void;
}
