import { MisuseError } from './errors.ts';

/**
 * A byte budget shared by connections: the buffers in which messages are reassembled (and inflated) draw from
 * it while the message is incomplete, and return to it once the message is handed out or dropped. A server
 * gives all its connections one budget, so that many connections each holding a large partial message (cheap
 * to cause with compressed data: 16 KiB on the wire can stand for 16 MiB) cannot exhaust the process's memory;
 * the connection that finds the budget spent is closed with 1013 (Try Again Later, RFC 6455 §11.7).
 */
export class MemoryBudget {
  /** The most bytes held at once. */
  readonly limit: number;
  /** Bytes held now. */
  used = 0;

  /** `limit`: a positive number of bytes (`Infinity`: no bound, only the accounting). Throws {@link MisuseError} otherwise. */
  constructor(limit: number) {
    if (typeof limit !== 'number' || !(limit > 0)) throw new MisuseError('INVALID_OPTION', `a memory budget must be a positive number of bytes, got ${String(limit)}`);
    this.limit = limit;
  }

  /** Takes `bytes` from the budget; false (nothing taken) when that would pass the limit. */
  acquire(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back `bytes` taken earlier. */
  release(bytes: number): void {
    this.used -= bytes;
  }
}
