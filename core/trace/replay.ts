/**
 * Replay: feeds a recorded trace into a fresh `ServerConnection` with the recorded timing and commands, and
 * compares what the core writes (as one byte stream) and, when recorded, the events it emits.
 */
import { eventKey } from './event-form.ts';
import { executeTrace, type ExecuteOptions, type Execution } from './execute.ts';
import type { Trace, TraceEvent } from './format.ts';

/** Where a replay first differs from the recording. */
export type ReplayDivergence =
  | {
      readonly kind: 'writes';
      /** Offset of the first differing byte in the concatenated output (or where one stream ended). */
      readonly offset: number;
      readonly expectedLength: number;
      readonly actualLength: number;
      /** Hex of the bytes around `offset` (from `windowStart`), with `[..]` marking the first differing byte. */
      readonly expected: string;
      readonly actual: string;
      readonly windowStart: number;
    }
  | {
      readonly kind: 'events';
      /** 0-based index of the first differing event. */
      readonly index: number;
      readonly expected: TraceEvent | undefined;
      readonly actual: TraceEvent | undefined;
    }
  | { readonly kind: 'threw'; readonly recordIndex: number; readonly message: string };

/** The outcome of {@link replayTrace}. */
export interface ReplayResult {
  /** True when the output (and the events, when recorded) match. */
  readonly ok: boolean;
  /** The first divergence (an exception, then writes, then events); undefined when `ok`. */
  readonly divergence: ReplayDivergence | undefined;
  /** Every divergence found (at most one of each kind). */
  readonly divergences: readonly ReplayDivergence[];
  /** The concatenated `out` records. */
  readonly expectedOutput: Uint8Array;
  /**
   * Whether writes were compared: the trace has `out` or `ev` records (a recording). An input-only trace (hand-made,
   * or a fuzzer's regression) is only executed.
   */
  readonly comparedWrites: boolean;
  /** Whether the trace had `ev` records (and events were compared). */
  readonly comparedEvents: boolean;
  /** The trace was truncated: the recording is compared as a prefix of the replay. */
  readonly truncated: boolean;
  readonly execution: Execution;
}

const WINDOW_BEFORE = 16;
const WINDOW_AFTER = 32;

function hexWindow(bytes: Uint8Array, start: number, mark: number): string {
  const parts: string[] = [];
  const end = Math.min(bytes.length, mark + WINDOW_AFTER);
  for (let i = start; i < end; i++) {
    const h = (bytes[i] as number).toString(16).padStart(2, '0');
    parts.push(i === mark ? `[${h}]` : h);
  }
  if (mark >= bytes.length) parts.push('[end]');
  return parts.join(' ');
}

/** Compares two byte streams; `prefix`: `expected` only needs to be a prefix of `actual`. */
export function compareBytes(expected: Uint8Array, actual: Uint8Array, prefix = false): ReplayDivergence | undefined {
  const n = Math.min(expected.length, actual.length);
  let offset = 0;
  while (offset < n && expected[offset] === actual[offset]) offset++;
  if (offset === expected.length && (prefix || offset === actual.length)) return undefined;
  const windowStart = Math.max(0, offset - WINDOW_BEFORE);
  return {
    kind: 'writes',
    offset,
    expectedLength: expected.length,
    actualLength: actual.length,
    expected: hexWindow(expected, windowStart, offset),
    actual: hexWindow(actual, windowStart, offset),
    windowStart,
  };
}

/** Compares event lists by canonical form; `prefix`: `expected` only needs to be a prefix of `actual`. */
export function compareEvents(expected: readonly TraceEvent[], actual: readonly TraceEvent[], prefix = false): ReplayDivergence | undefined {
  const n = Math.min(expected.length, actual.length);
  for (let i = 0; i < n; i++) {
    if (eventKey(expected[i] as TraceEvent) !== eventKey(actual[i] as TraceEvent)) return { kind: 'events', index: i, expected: expected[i], actual: actual[i] };
  }
  if (expected.length === actual.length || (prefix && expected.length < actual.length)) return undefined;
  return { kind: 'events', index: n, expected: expected[n], actual: actual[n] };
}

/**
 * Replays `trace` deterministically (on Node, Bun and Deno alike) and compares the core's writes, and the events
 * if the trace recorded any, with the recording. Throws only for a trace whose options the core refuses
 * (`MisuseError`); an exception escaping the core during the run is reported as a `threw` divergence.
 */
export function replayTrace(trace: Trace, options: ExecuteOptions = {}): ReplayResult {
  const execution = executeTrace(trace, options);
  const outs: Uint8Array[] = [];
  const expectedEvents: TraceEvent[] = [];
  let truncated = false;
  for (const r of trace.records) {
    if (r.kind === 'truncated') {
      truncated = true;
      break;
    }
    if (r.kind === 'out') outs.push(r.data);
    else if (r.kind === 'ev') expectedEvents.push(r.event);
  }
  let total = 0;
  for (const o of outs) total += o.length;
  const expectedOutput = new Uint8Array(total);
  let at = 0;
  for (const o of outs) {
    expectedOutput.set(o, at);
    at += o.length;
  }
  const comparedEvents = expectedEvents.length > 0;
  const comparedWrites = outs.length > 0 || comparedEvents;
  const divergences: ReplayDivergence[] = [];
  if (execution.failure !== undefined) divergences.push({ kind: 'threw', recordIndex: execution.failure.recordIndex, message: execution.failure.message });
  const writes = comparedWrites ? compareBytes(expectedOutput, execution.output, truncated) : undefined;
  if (writes !== undefined) divergences.push(writes);
  if (comparedEvents) {
    const events = compareEvents(expectedEvents, execution.events, truncated);
    if (events !== undefined) divergences.push(events);
  }
  return { ok: divergences.length === 0, divergence: divergences[0], divergences, expectedOutput, comparedWrites, comparedEvents, truncated, execution };
}

/** A human-readable description of a divergence. */
export function formatDivergence(d: ReplayDivergence): string {
  switch (d.kind) {
    case 'threw':
      return `the core threw at record ${d.recordIndex}: ${d.message}`;
    case 'writes':
      return (
        `writes differ at byte ${d.offset} (expected ${d.expectedLength} bytes, got ${d.actualLength})\n` +
        `  expected @${d.windowStart}: ${d.expected}\n` +
        `  actual   @${d.windowStart}: ${d.actual}`
      );
    case 'events':
      return `event ${d.index} differs\n  expected: ${d.expected ? JSON.stringify(d.expected) : '(none)'}\n  actual:   ${d.actual ? JSON.stringify(d.actual) : '(none)'}`;
  }
}
