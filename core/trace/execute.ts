/**
 * Runs a trace's inputs (bytes in, ticks, end of input, commands) through a fresh `ServerConnection` and
 * collects what it did. Shared by replay (which compares with the recorded output) and the fuzzer (which
 * checks invariants). Deterministic: the same trace gives the same execution on every runtime.
 */
import { ServerConnection, type ServerConnectionOptions } from '../connection.ts';
import { MisuseError } from '../errors.ts';
import type { ConnectionEvent } from '../events.ts';
import { echo } from '../testing.ts';
import { eventToTrace } from './event-form.ts';
import type { Trace, TraceCommand, TraceEvent } from './format.ts';

/** Options of {@link executeTrace}. */
export interface ExecuteOptions {
  /**
   * When writes are taken: after every input step (`step`), or only where the trace has `out` records
   * (`out-records`, which reproduces the recording's take points, e.g. for pong coalescing). Default:
   * `out-records` when the trace has any `out` record, else `step`.
   */
  takeWrites?: 'step' | 'out-records';
  /**
   * Re-chunks input: cut positions (strictly inside the chunk, ascending) for the `in` record at `recordIndex`.
   * The pieces are received one by one at the record's time; writes are still taken only after the last piece.
   */
  split?: (data: Uint8Array, recordIndex: number) => readonly number[];
  /** Aborts a run that emits more events than this (a runaway guard). Default 1,000,000. */
  maxEvents?: number;
  /**
   * Overwrites each input piece right after `receive` when the connection says nothing refers to it any more
   * (`retainsInput` false), as a transport that reuses its read buffer does. Events are then put in their trace
   * form only after that, so a delivered view that still pointed into the piece shows the overwritten bytes (as
   * does an echoed payload, which goes out uncopied).
   */
  reuseInput?: boolean;
  /** Replaces the connection (the fuzzer's injected-bug experiments); default `new ServerConnection`. */
  createConnection?: (options: ServerConnectionOptions, now: number) => ServerConnection;
}

/** What the connection looked like after one input step. */
export interface ExecutedStep {
  /** Index of the record in `trace.records`. */
  readonly recordIndex: number;
  readonly kind: 'in' | 'tick' | 'end' | 'cmd';
  readonly t: number;
  /** Output length (bytes written so far, all takes) after the step. */
  readonly outputLength: number;
  /** Number of events after the step. */
  readonly eventCount: number;
  readonly state: string;
  readonly transportShouldClose: boolean;
  /** Bytes the core holds while the application decides (its `pending` chunks), if observable. */
  readonly pendingBytes: number;
  /** Bytes of a message being reassembled, if observable. */
  readonly bufferedMessageBytes: number;
}

/** An exception that escaped the core (never expected: peer input must not throw). */
export interface ExecutionFailure {
  readonly recordIndex: number;
  readonly error: unknown;
  readonly message: string;
}

/** Everything an execution produced. */
export interface Execution {
  /** The connection, after the run (for inspection). */
  readonly conn: ServerConnection;
  /** All bytes written, in order. */
  readonly output: Uint8Array;
  /** Each take of writes (concatenated per take), in order; empty takes left out. */
  readonly takes: readonly Uint8Array[];
  /** Events in canonical form. */
  readonly events: readonly TraceEvent[];
  readonly steps: readonly ExecutedStep[];
  /** Set when something escaped the core (the run stops there). */
  readonly failure: ExecutionFailure | undefined;
  /** Commands refused with `MisuseError` (a trace may ask for a command the state does not allow). */
  readonly commandErrors: ReadonlyArray<{ readonly recordIndex: number; readonly message: string }>;
  /** Input bytes fed. */
  readonly inputBytes: number;
  /** True if the trace ends with a `truncated` marker (the run stopped there). */
  readonly truncated: boolean;
  /** Event count when the application started the closing handshake (a `close` command succeeded), if it did. */
  readonly closeCommandAtEvent: number | undefined;
  /** True if an `end` record was fed (the transport's read side died). */
  readonly ended: boolean;
}

class RunawayError extends Error {}

/** Converts a recorded command into the call. Throws what the call throws. */
export function applyCommand(conn: ServerConnection, cmd: TraceCommand, t: number): void {
  switch (cmd.type) {
    case 'accept': {
      const options: { protocol?: string; deflate?: typeof cmd.deflate; headers?: Array<readonly [string, string]> } = {};
      if (cmd.protocol !== undefined) options.protocol = cmd.protocol;
      if (cmd.deflate !== undefined) options.deflate = cmd.deflate;
      if (cmd.headers !== undefined) options.headers = [...cmd.headers];
      conn.accept(options, t);
      return;
    }
    case 'reject': {
      const options: { status: number; headers?: Array<readonly [string, string]>; body?: string | Uint8Array } = { status: cmd.status };
      if (cmd.headers !== undefined) options.headers = [...cmd.headers];
      if (cmd.bodyText !== undefined) options.body = cmd.bodyText;
      else if (cmd.body !== undefined) options.body = cmd.body.slice();
      conn.reject(options, t);
      return;
    }
    case 'send': {
      const options: { binary: boolean; fin?: boolean; compress?: boolean } = { binary: cmd.binary ?? cmd.text !== true };
      if (cmd.fin !== undefined) options.fin = cmd.fin;
      if (cmd.compress !== undefined) options.compress = cmd.compress;
      conn.send(cmd.data.slice(), options, t);
      return;
    }
    case 'close':
      conn.close(cmd.code, cmd.reason, t);
      return;
    case 'ping':
      conn.ping(cmd.data.slice(), t);
      return;
    case 'pong':
      conn.pong(cmd.data.slice(), t);
      return;
  }
}

/** Reads a private numeric field for instrumentation; 0 when it is not there (the core may rename it). */
function probe(target: unknown, ...path: string[]): number {
  let value: unknown = target;
  for (const key of path) {
    if (value === null || typeof value !== 'object') return 0;
    value = (value as Record<string, unknown>)[key];
  }
  return typeof value === 'number' ? value : 0;
}

/** Total length of a private array of byte chunks, for instrumentation; 0 when absent. */
function heldBytes(target: unknown, field: string): number {
  const value = (target as Record<string, unknown>)[field];
  if (!Array.isArray(value)) return 0;
  let total = 0;
  for (const chunk of value) if (chunk instanceof Uint8Array) total += chunk.length;
  return total;
}

/** Runs `trace` (its `in`/`tick`/`end`/`cmd` records; `out`/`ev` are expectations and only mark take points). */
export function executeTrace(trace: Trace, options: ExecuteOptions = {}): Execution {
  const records = trace.records;
  const hasOut = records.some((r) => r.kind === 'out');
  const takeMode = options.takeWrites ?? (hasOut ? 'out-records' : 'step');
  const maxEvents = options.maxEvents ?? 1_000_000;
  const echoApp = trace.header.app === 'echo';

  // Commands issued from an event handler, by event index.
  const inEventCommands = new Map<number, Array<{ cmd: TraceCommand; t: number; recordIndex: number }>>();
  records.forEach((r, recordIndex) => {
    if (r.kind === 'cmd' && r.inEvent !== undefined) {
      let list = inEventCommands.get(r.inEvent);
      if (list === undefined) inEventCommands.set(r.inEvent, (list = []));
      list.push({ cmd: r.cmd, t: r.t, recordIndex });
    }
  });

  const events: TraceEvent[] = [];
  // With reuseInput: events not yet in trace form (see ExecuteOptions.reuseInput).
  const unsettled: ConnectionEvent[] = [];
  const settle = (): void => {
    for (const event of unsettled) events.push(eventToTrace(event));
    unsettled.length = 0;
  };
  const takes: Uint8Array[] = [];
  const steps: ExecutedStep[] = [];
  const commandErrors: Array<{ recordIndex: number; message: string }> = [];
  let outputLength = 0;
  let inputBytes = 0;
  let closeCommandAtEvent: number | undefined;
  let ended = false;
  let truncated = false;
  let failure: ExecutionFailure | undefined;
  // The time of the I/O call in progress: a command issued from an event handler happens at that time (a recorder
  // writes the same; a hand-made or mutated trace may say otherwise, which would move the core's clock mid-call).
  let callTime = 0;

  const runCommand = (conn: ServerConnection, cmd: TraceCommand, t: number, recordIndex: number): void => {
    try {
      applyCommand(conn, cmd, t);
      if (cmd.type === 'close' && closeCommandAtEvent === undefined && conn.state === 'closing') closeCommandAtEvent = events.length + unsettled.length;
    } catch (error) {
      if (!(error instanceof MisuseError)) throw error;
      commandErrors.push({ recordIndex, message: error.message });
    }
  };

  const connOptions: ServerConnectionOptions = { ...(trace.header.options as ServerConnectionOptions) };
  let conn!: ServerConnection;
  connOptions.onEvent = (event: ConnectionEvent) => {
    if (options.reuseInput === true) unsettled.push(event);
    else events.push(eventToTrace(event));
    const index = events.length + unsettled.length;
    if (index > maxEvents) throw new RunawayError(`more than ${maxEvents} events`);
    if (echoApp) {
      try {
        echo(event, conn);
      } catch (error) {
        if (!(error instanceof MisuseError)) throw error;
        commandErrors.push({ recordIndex: -1, message: `echo: ${error.message}` });
      }
    }
    const list = inEventCommands.get(index);
    if (list !== undefined) for (const c of list) runCommand(conn, c.cmd, callTime, c.recordIndex);
  };

  const take = (): void => {
    const chunks = conn.takeWrites();
    if (chunks.length === 0) return;
    let total = 0;
    for (const c of chunks) total += c.length;
    const data = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      data.set(c, at);
      at += c.length;
    }
    if (total === 0) return;
    takes.push(data);
    outputLength += total;
  };

  // Bad options are a problem of the trace, not of peer input: MisuseError propagates to the caller.
  conn = options.createConnection ? options.createConnection(connOptions, 0) : new ServerConnection(connOptions, 0);
  let recordIndex = -1;
  try {
    run: for (recordIndex = 0; recordIndex < records.length; recordIndex++) {
      const r = records[recordIndex]!;
      if (r.kind === 'in' || r.kind === 'tick' || r.kind === 'end' || (r.kind === 'cmd' && r.inEvent === undefined)) callTime = r.t;
      switch (r.kind) {
        case 'in': {
          inputBytes += r.data.length;
          const cuts = options.split ? options.split(r.data, recordIndex) : [];
          const feed = (piece: Uint8Array): void => {
            conn.receive(piece, r.t);
            if (options.reuseInput === true && !conn.retainsInput) piece.fill(0xee);
            settle();
          };
          let from = 0;
          for (const cut of cuts) {
            if (cut <= from || cut >= r.data.length) continue;
            feed(r.data.slice(from, cut));
            from = cut;
          }
          feed(r.data.slice(from));
          break;
        }
        case 'tick':
          conn.tick(r.t);
          break;
        case 'end':
          ended = true;
          conn.end(r.t);
          break;
        case 'cmd':
          if (r.inEvent !== undefined) continue;
          runCommand(conn, r.cmd, r.t, recordIndex);
          break;
        case 'out':
          if (takeMode === 'out-records') take();
          continue;
        case 'ev':
          continue;
        case 'truncated':
          truncated = true;
          break run;
      }
      settle();
      if (takeMode === 'step') take();
      const receiver = (conn as unknown as Record<string, unknown>)['receiver'];
      steps.push({
        recordIndex,
        kind: r.kind,
        t: r.t,
        outputLength,
        eventCount: events.length,
        state: conn.state,
        transportShouldClose: conn.transportShouldClose,
        pendingBytes: heldBytes(conn, 'pending'),
        bufferedMessageBytes: probe(receiver, 'message', 'length'),
      });
    }
    take();
  } catch (error) {
    failure = { recordIndex, error, message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    try {
      take();
    } catch {
      // the connection is broken; what was taken stands
    }
  }
  settle();

  let total = 0;
  for (const t of takes) total += t.length;
  const output = new Uint8Array(total);
  let at = 0;
  for (const t of takes) {
    output.set(t, at);
    at += t.length;
  }
  return { conn, output, takes, events, steps, failure, commandErrors, inputBytes, truncated, closeCommandAtEvent, ended };
}
