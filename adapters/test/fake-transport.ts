/**
 * A transport without a socket, for the session's unit tests: it records what the session writes and asks of
 * a runtime adapter (pause, resume, drain requests, close, destroy).
 */
import type { Transport } from '../shared/transport.ts';

const decoder = new TextDecoder();

export class FakeTransport implements Transport {
  remoteAddress = '127.0.0.1';
  /** Grows with every write; a test sets it back to 0 to stand for the peer having read. */
  bufferedAmount = 0;
  written: Uint8Array[] = [];
  /** The calls other than `write`, in order. */
  calls: string[] = [];
  write(chunks: readonly Uint8Array[]): void {
    for (const c of chunks) {
      this.written.push(c);
      this.bufferedAmount += c.byteLength;
    }
  }
  flushNow(): void {
    this.calls.push('flushNow');
  }
  requestDrain(): void {
    this.calls.push('requestDrain');
  }
  pause(): void {
    this.calls.push('pause');
  }
  resume(): void {
    this.calls.push('resume');
  }
  close(): void {
    this.calls.push('close');
  }
  destroy(): void {
    this.calls.push('destroy');
  }
  /** Whether the session closed or destroyed the transport. */
  get closed(): boolean {
    return this.calls.includes('close') || this.calls.includes('destroy');
  }
  /** Everything written, decoded as UTF-8. */
  text(): string {
    return this.written.map((w) => decoder.decode(w)).join('');
  }
}
