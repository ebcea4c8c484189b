/**
 * Recording: a bounded, pure trace recorder, and a `ServerConnection` that records its own I/O boundary.
 * Writing the text somewhere (a file) is the caller's job: take it with `takeText()` or `serialize()`.
 */
import { concatBytes } from '../bytes.ts';
import {
  ServerConnection,
  type AcceptOptions,
  type ParsedRequest,
  type RejectOptions,
  type SendOptions,
  type ServerConnectionOptions,
} from '../connection.ts';
import type { ConnectionEvent } from '../events.ts';
import { eventToTrace } from './event-form.ts';
import { TRACE_VERSION, type TraceApp, type TraceCommand, type TraceConnectionOptions, type TraceHeader, type TraceHeaderPairs, type TraceRecord } from './format.ts';
import { encodeHeaderLine, encodeRecordLine } from './jsonl.ts';

/** Default bound of one trace: 1 MiB of JSON Lines text. */
export const DEFAULT_TRACE_MAX_BYTES = 1024 * 1024;

/** Options of a {@link TraceRecorder}. */
export interface TraceRecorderOptions {
  /** A case id or name (header `label`). */
  label?: string;
  /** How replay drives the application (default `recorded`: the recorded commands only). */
  app?: TraceApp;
  /** The connection's options; only the JSON-able part is kept (see {@link traceOptions}). */
  options?: ServerConnectionOptions | TraceConnectionOptions;
  /** Free-form header `meta`. */
  meta?: Record<string, unknown>;
  /** Bound of the text, header included (default {@link DEFAULT_TRACE_MAX_BYTES}); the `truncated` marker may pass it by one short line. */
  maxBytes?: number;
  /** The caller's clock when the connection started: record times are relative to it. Default 0. */
  startedAt?: number;
  /** Record events as `ev` lines (default true). Replay compares them when present. */
  events?: boolean;
}

const encoder = new TextEncoder();

/** UTF-8 length of a string without encoding it (traces are mostly ASCII). */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      if (c < 0x800) n += 1;
      else if (c >= 0xd800 && c <= 0xdbff) i++, (n += 1); // a surrogate pair: 2 UTF-16 units, 4 bytes
      else n += 2;
    }
  }
  return n;
}

/** The JSON-able part of connection options (limits, receiveMode, deflate, plainHttp), deep-copied. */
export function traceOptions(options: ServerConnectionOptions | TraceConnectionOptions | undefined): TraceConnectionOptions {
  const out: TraceConnectionOptions = {};
  if (options === undefined) return out;
  if (options.limits !== undefined) out.limits = { ...options.limits };
  if (options.receiveMode !== undefined) out.receiveMode = options.receiveMode;
  if (options.deflate !== undefined) out.deflate = options.deflate === false ? false : { ...options.deflate };
  if (options.plainHttp !== undefined) out.plainHttp = options.plainHttp;
  return out;
}

/**
 * Records one connection's trace as JSON Lines text, bounded by `maxBytes`: once the next line would pass the
 * bound, a `truncated` line is written and every later call is ignored. Bytes are encoded at once, so the caller
 * may reuse or mutate its buffers after each call (record input *before* `receive`, which unmasks in place).
 */
export class TraceRecorder {
  /** The header (line 1). */
  readonly header: TraceHeader;
  private readonly maxBytes: number;
  private readonly startedAt: number;
  private readonly withEvents: boolean;
  private readonly lines: string[] = [];
  private taken = 0;
  private bytes = 0;
  private full = false;

  constructor(options: TraceRecorderOptions = {}) {
    this.header = {
      websockTrace: TRACE_VERSION,
      label: options.label ?? '',
      app: options.app ?? 'recorded',
      options: traceOptions(options.options),
      meta: { ...(options.meta ?? {}) },
    };
    this.maxBytes = options.maxBytes ?? DEFAULT_TRACE_MAX_BYTES;
    this.startedAt = options.startedAt ?? 0;
    this.withEvents = options.events ?? true;
    const line = encodeHeaderLine(this.header);
    this.lines.push(line);
    this.bytes = utf8Length(line) + 1;
  }

  /** Bytes of text recorded so far (header and marker included). */
  get size(): number {
    return this.bytes;
  }

  /** True once the bound was reached. */
  get truncated(): boolean {
    return this.full;
  }

  /** Bytes received, as the chunk arrived. */
  input(data: Uint8Array, now: number): void {
    if (data.length > 0) this.add({ kind: 'in', t: now - this.startedAt, data });
  }

  /** Bytes written: one `takeWrites()` result (empty results are not recorded). */
  output(chunks: readonly Uint8Array[] | Uint8Array, now: number): void {
    const data = chunks instanceof Uint8Array ? chunks : concatOrSame(chunks);
    if (data.length > 0) this.add({ kind: 'out', t: now - this.startedAt, data });
  }

  /** The caller called `tick(now)`. */
  tick(now: number): void {
    this.add({ kind: 'tick', t: now - this.startedAt });
  }

  /** The client's byte stream ended. */
  end(now: number): void {
    this.add({ kind: 'end', t: now - this.startedAt });
  }

  /** An application command; `inEvent` is the 1-based index of the event whose handler issued it. */
  command(cmd: TraceCommand, now: number, inEvent?: number): void {
    const t = now - this.startedAt;
    this.add(inEvent === undefined ? { kind: 'cmd', t, cmd } : { kind: 'cmd', t, cmd, inEvent });
  }

  /** An event the connection emitted (ignored when the recorder was made with `events: false`). */
  event(event: ConnectionEvent, now: number): void {
    if (this.withEvents) this.add({ kind: 'ev', t: now - this.startedAt, event: eventToTrace(event) });
  }

  /** The text recorded since the previous call (whole lines, each ending with `\n`), for streaming to a file. */
  takeText(): string {
    const text = this.lines.slice(this.taken).join('\n');
    const fresh = this.lines.length - this.taken;
    this.taken = this.lines.length;
    return fresh > 0 ? text + '\n' : '';
  }

  /** The whole trace so far as JSON Lines text. */
  serialize(): string {
    return this.lines.join('\n') + '\n';
  }

  /** The whole trace so far as UTF-8 bytes. */
  serializeBytes(): Uint8Array {
    return encoder.encode(this.serialize());
  }

  private add(record: TraceRecord): void {
    if (this.full) return;
    const line = encodeRecordLine(record);
    const size = utf8Length(line) + 1;
    if (this.bytes + size > this.maxBytes) {
      this.full = true;
      const marker = encodeRecordLine({ kind: 'truncated', t: record.t });
      this.lines.push(marker);
      this.bytes += utf8Length(marker) + 1;
      return;
    }
    this.lines.push(line);
    this.bytes += size;
  }
}

/** One chunk as is, several concatenated. */
function concatOrSame(chunks: readonly Uint8Array[]): Uint8Array {
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : concatBytes(chunks);
}

function pairs(headers: AcceptOptions['headers']): TraceHeaderPairs | undefined {
  if (headers === undefined) return undefined;
  if (Symbol.iterator in Object(headers)) return Array.from(headers as Iterable<readonly [string, string]>, (h) => [h[0], h[1]] as const);
  return Object.entries(headers as Record<string, string>);
}

/** The request head that `receiveRequest` was given, as the bytes a client would have sent. */
export function requestHeadBytes(request: ParsedRequest): Uint8Array {
  let text = `${request.method} ${request.target} HTTP/${request.httpVersion}\r\n`;
  for (const [name, value] of request.rawHeaders) text += `${name}: ${value}\r\n`;
  const head = text + '\r\n';
  // Header bytes are Latin-1 characters (obs-text); keep them byte for byte.
  const out = new Uint8Array(head.length);
  for (let i = 0; i < head.length; i++) out[i] = head.charCodeAt(i) & 0xff;
  return out;
}

/**
 * A {@link ServerConnection} that records everything crossing its boundary into a {@link TraceRecorder}: input
 * chunks, `takeWrites()` results, ticks, the end of input, application commands (with the event whose handler
 * issued them) and events. Use it in place of `ServerConnection`; take the text from `recorder`.
 * `receiveRequest` is recorded as the equivalent request head bytes.
 */
export class RecordingConnection extends ServerConnection {
  /** The trace being recorded. */
  readonly recorder: TraceRecorder;
  private clock: number;
  private eventCount = 0;
  private readonly handling: number[] = [];

  constructor(options: ServerConnectionOptions = {}, record: TraceRecorderOptions = {}, now = 0) {
    const recorder = new TraceRecorder({ ...record, options: record.options ?? options, startedAt: now });
    const userHandler = options.onEvent;
    // The handler closes over a holder, since `this` is not usable before super().
    const holder: { self?: RecordingConnection } = {};
    const onEvent = userHandler === undefined ? undefined : (event: ConnectionEvent) => (holder.self as RecordingConnection).handle(event, userHandler);
    super({ ...options, onEvent }, now);
    holder.self = this;
    this.recorder = recorder;
    this.clock = now;
  }

  private at(now: number | undefined): number {
    if (now !== undefined && now > this.clock) this.clock = now;
    return this.clock;
  }

  private handle(event: ConnectionEvent, handler: (event: ConnectionEvent) => void): void {
    const index = ++this.eventCount;
    this.recorder.event(event, this.clock);
    this.handling.push(index);
    try {
      handler(event);
    } finally {
      this.handling.pop();
    }
  }

  private cmd(cmd: TraceCommand, now: number | undefined): number {
    const t = this.at(now);
    const inEvent = this.handling.length > 0 ? this.handling[this.handling.length - 1] : undefined;
    this.recorder.command(cmd, t, inEvent);
    return t;
  }

  override receive(chunk: Uint8Array, now?: number): void {
    const t = this.at(now);
    this.recorder.input(chunk, t);
    super.receive(chunk, t);
  }

  override receiveRequest(request: ParsedRequest, now?: number): void {
    const t = this.at(now);
    this.recorder.input(requestHeadBytes(request), t);
    super.receiveRequest(request, t);
  }

  override end(now?: number): void {
    const t = this.at(now);
    this.recorder.end(t);
    super.end(t);
  }

  override tick(now: number): void {
    const t = this.at(now);
    this.recorder.tick(t);
    super.tick(t);
  }

  override takeWrites(): Uint8Array[] {
    const writes = super.takeWrites();
    this.recorder.output(writes, this.clock);
    return writes;
  }

  override takeEvents(): ConnectionEvent[] {
    const events = super.takeEvents();
    for (const event of events) {
      this.eventCount++;
      this.recorder.event(event, this.clock);
    }
    return events;
  }

  override accept(options: AcceptOptions = {}, now?: number): void {
    const cmd: { type: 'accept'; protocol?: string; deflate?: AcceptOptions['deflate']; headers?: TraceHeaderPairs } = { type: 'accept' };
    if (options.protocol !== undefined) cmd.protocol = options.protocol;
    if (options.deflate !== undefined) cmd.deflate = options.deflate === false ? false : { ...options.deflate };
    const headers = pairs(options.headers);
    if (headers !== undefined) cmd.headers = headers;
    super.accept(options, this.cmd(cmd, now));
  }

  override reject(options: RejectOptions, now?: number): void {
    const cmd: { type: 'reject'; status: number; headers?: TraceHeaderPairs; body?: Uint8Array; bodyText?: string } = { type: 'reject', status: options.status };
    const headers = pairs(options.headers);
    if (headers !== undefined) cmd.headers = headers;
    if (typeof options.body === 'string') cmd.bodyText = options.body;
    else if (options.body !== undefined) cmd.body = options.body;
    super.reject(options, this.cmd(cmd, now));
  }

  override send(data: Uint8Array | string, options?: SendOptions, now?: number): number {
    const text = typeof data === 'string';
    const cmd: { type: 'send'; data: Uint8Array; text?: boolean; binary?: boolean; fin?: boolean; compress?: boolean } = {
      type: 'send',
      data: text ? encoder.encode(data) : data,
    };
    if (text) cmd.text = true;
    if (options?.binary !== undefined) cmd.binary = options.binary;
    if (options?.fin !== undefined) cmd.fin = options.fin;
    if (options?.compress !== undefined) cmd.compress = options.compress;
    return super.send(data, options, this.cmd(cmd, now));
  }

  override close(code?: number, reason?: string, now?: number): void {
    const cmd: { type: 'close'; code?: number; reason?: string } = { type: 'close' };
    if (code !== undefined) cmd.code = code;
    if (reason !== undefined) cmd.reason = reason;
    super.close(code, reason, this.cmd(cmd, now));
  }

  override ping(data?: Uint8Array | string, now?: number): number {
    const bytes = data === undefined ? new Uint8Array(0) : typeof data === 'string' ? encoder.encode(data) : data;
    return super.ping(data, this.cmd({ type: 'ping', data: bytes }, now));
  }

  override pong(data?: Uint8Array | string, now?: number): number {
    const bytes = data === undefined ? new Uint8Array(0) : typeof data === 'string' ? encoder.encode(data) : data;
    return super.pong(data, this.cmd({ type: 'pong', data: bytes }, now));
  }
}
