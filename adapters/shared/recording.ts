/**
 * The `record` option of `serve()`: one trace file per connection (core/trace format v1), bounded per
 * connection and in total, written when the connection ends. Off by default. File writing uses `node:fs`,
 * which Node, Bun and Deno all provide.
 */
import { mkdirSync, writeFile } from 'node:fs';
import { join } from 'node:path';
import { MisuseError } from '../../core/errors.ts';
import type { TraceRecorder } from '../../core/trace/recorder.ts';

/** Where and how much to record. */
export interface RecordOptions {
  /** Directory for the traces (created if missing). */
  dir: string;
  /** Bound of one connection's trace in bytes; past it the trace is marked truncated. Default 1 MiB. */
  maxBytesPerConnection?: number;
  /** Bytes written in all, over the server's life; later connections are not recorded. Default 64 MiB. */
  maxTotalBytes?: number;
}

/** Collects the traces of one server's connections. */
export class TraceSink {
  readonly maxBytesPerConnection: number;
  private readonly dir: string;
  private remaining: number;
  private sequence = 0;
  private readonly prefix: string;

  constructor(options: RecordOptions) {
    if (typeof options.dir !== 'string' || options.dir === '') throw new MisuseError('INVALID_OPTION', 'record.dir must be a directory path');
    this.maxBytesPerConnection = options.maxBytesPerConnection ?? 1024 * 1024;
    this.remaining = options.maxTotalBytes ?? 64 * 1024 * 1024;
    if (!(this.maxBytesPerConnection > 0) || !(this.remaining >= 0)) {
      throw new MisuseError('INVALID_OPTION', 'record.maxBytesPerConnection must be > 0 and record.maxTotalBytes >= 0');
    }
    this.dir = options.dir;
    mkdirSync(this.dir, { recursive: true });
    this.prefix = new Date().toISOString().replace(/[:.]/g, '-');
  }

  /** Whether a new connection should be recorded (the total budget is not spent). */
  get accepting(): boolean {
    return this.remaining > 0;
  }

  /** A label for the next connection's trace. */
  nextLabel(): string {
    return `${this.prefix}-${++this.sequence}`;
  }

  /** Writes a finished connection's trace, if the total budget allows. */
  save(label: string, recorder: TraceRecorder): void {
    const bytes = recorder.serializeBytes();
    if (bytes.length > this.remaining) {
      this.remaining = 0;
      return;
    }
    this.remaining -= bytes.length;
    writeFile(join(this.dir, `${label}.jsonl`), bytes, (error) => {
      if (error) console.error(`websock: could not write trace ${label}:`, error.message);
    });
  }
}
