/**
 * The `record` option of `serve()`: one trace file per connection (core/trace format v1), bounded per
 * connection and in total, written when the connection ends. Off by default. File writing uses `node:fs`,
 * which Node, Bun and Deno all provide.
 *
 * The total bounds memory as well as disk: a connection that starts recording reserves its bound from the total
 * (at most `maxBytesPerConnection`, at most what is left), and the part its trace did not use comes back when
 * the trace is saved. So the text held by all recorders at once never passes `maxTotalBytes`.
 */
import { mkdirSync, writeFile } from 'node:fs';
import { join } from 'node:path';
import { pid } from 'node:process';
import { MisuseError } from '../../core/errors.ts';
import { checkKeys } from './option-checks.ts';
import type { TraceRecorder, TraceRecorderOptions } from '../../core/trace/recorder.ts';

/** Where and how much to record. */
export interface RecordOptions {
  /** Directory for the traces (created if missing). */
  dir: string;
  /** Bound of one connection's trace in bytes; past it the trace is marked truncated. Default 1 MiB. */
  maxBytesPerConnection?: number;
  /**
   * Bytes of traces in all, over the server's life, counting the bounds reserved by connections being recorded;
   * connections that open when none is left are not recorded. Default 64 MiB.
   */
  maxTotalBytes?: number;
}

/** Room kept for the `truncated` marker line, which the recorder may write past its bound. */
const MARKER_ROOM = 64;
/** A reservation smaller than this (unless `maxBytesPerConnection` is smaller) would hold little more than a header. */
const MIN_RESERVATION = 1024;
/** How long `flush()` waits for pending writes at most. */
const FLUSH_TIMEOUT_MS = 10_000;

const RECORD_KEYS = ['dir', 'maxBytesPerConnection', 'maxTotalBytes'];

function positiveInteger(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new MisuseError('INVALID_OPTION', `record.${name} must be a positive integer (bytes), got ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  }
  return value;
}

/** Random hex, so that two servers started in the same millisecond by one process name their files apart. */
function randomHex(): string {
  const bytes = new Uint8Array(4);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Collects the traces of one server's connections. */
export class TraceSink {
  /** Bound of one connection's trace (validated). */
  readonly maxBytesPerConnection: number;
  /** Bound of all traces, written and reserved (validated). */
  readonly maxTotalBytes: number;
  private readonly dir: string;
  /** What is neither written nor reserved. */
  private available: number;
  /** Reservation of each trace being recorded, by label. */
  private readonly reserved = new Map<string, number>();
  private readonly pending = new Set<Promise<void>>();
  private sequence = 0;
  private readonly prefix: string;
  private spentLogged = false;

  constructor(options: RecordOptions) {
    checkKeys(options ?? null, 'record', RECORD_KEYS);
    if (typeof options.dir !== 'string' || options.dir === '') throw new MisuseError('INVALID_OPTION', 'record.dir must be a directory path');
    this.maxBytesPerConnection = positiveInteger(options.maxBytesPerConnection, 'maxBytesPerConnection', 1024 * 1024);
    this.maxTotalBytes = positiveInteger(options.maxTotalBytes, 'maxTotalBytes', 64 * 1024 * 1024);
    this.available = this.maxTotalBytes;
    this.dir = options.dir;
    mkdirSync(this.dir, { recursive: true });
    // Start time, process and a random part: names unique across servers sharing the directory, none from the peer.
    this.prefix = `${new Date().toISOString().replace(/[:.]/g, '-')}-${pid}-${randomHex()}`;
  }

  /** Bytes neither written nor reserved by a connection being recorded. */
  get availableBytes(): number {
    return this.available;
  }

  /**
   * Starts recording a connection: reserves its bound from the total and returns the recorder's options
   * (`label`, `maxBytes`, `meta`), or `undefined` when no budget is left (that connection is not recorded).
   * Every call that returns options must be followed by {@link save} with that recorder (the session saves every
   * recorded connection when its transport closes).
   */
  begin(meta: Record<string, unknown>): TraceRecorderOptions | undefined {
    const reservation = Math.min(this.maxBytesPerConnection, this.available);
    if (reservation < Math.min(this.maxBytesPerConnection, MIN_RESERVATION)) {
      this.noteSpent();
      return undefined;
    }
    this.available -= reservation;
    const label = `${this.prefix}-${++this.sequence}`;
    this.reserved.set(label, reservation);
    // The recorder may add one `truncated` line past its bound: keep room for it inside the reservation.
    const maxBytes = reservation > 2 * MARKER_ROOM ? reservation - MARKER_ROOM : reservation;
    return { label, maxBytes, meta };
  }

  /** Writes a finished connection's trace (never over an existing file) and gives back what it did not use. */
  save(recorder: TraceRecorder): void {
    const label = recorder.header.label;
    const reservation = this.reserved.get(label);
    if (reservation === undefined) return; // not begun here, or saved already
    this.reserved.delete(label);
    const bytes = recorder.serializeBytes();
    // A header larger than a small reservation is the one way past it: take the rest from the budget, if any.
    const extra = bytes.length - reservation;
    if (extra > this.available) {
      this.available += reservation;
      this.noteSpent();
      return;
    }
    this.available -= extra;
    const write = new Promise<void>((resolve) => {
      writeFile(join(this.dir, `${label}.jsonl`), bytes, { flag: 'wx' }, (error) => {
        if (error) console.error(`websock: could not write trace ${label}:`, error.message);
        resolve(); // a failed write is done too (it was logged)
      });
    });
    this.pending.add(write);
    void write.then(() => this.pending.delete(write));
  }

  /**
   * Resolves once every trace saved so far is written (or failed, which is logged), or after 10 s at most.
   * `stop()` awaits it, so that a script exiting right after `await server.stop()` keeps its traces.
   */
  async flush(): Promise<void> {
    if (this.pending.size === 0) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.error(`websock: ${this.pending.size} trace file(s) still being written after ${FLUSH_TIMEOUT_MS} ms`);
        resolve();
      }, FLUSH_TIMEOUT_MS);
    });
    // Writes that start while waiting (connections ending meanwhile) are awaited too; a few rounds at most.
    const all = (async () => {
      for (let round = 0; round < 100 && this.pending.size > 0; round++) await Promise.all([...this.pending]);
    })();
    try {
      await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Logged once per server: from here on connections are not recorded while no budget is free. */
  private noteSpent(): void {
    if (this.spentLogged) return;
    this.spentLogged = true;
    console.error(
      `websock: record.maxTotalBytes (${this.maxTotalBytes}) is spent (written or reserved by connections being recorded): new connections are not recorded`,
    );
  }
}
