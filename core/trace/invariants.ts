/**
 * The invariants every execution of the core must satisfy, whatever the peer sent (the fuzzer's oracle and the
 * regression suite's check):
 * - nothing escapes the core (peer input never throws), and the run terminates within a bounded number of events;
 * - nothing buffered passes the limits (messages, pending bytes, control payloads);
 * - the output is well formed: an HTTP response head, then (after 101) valid unmasked server frames with minimal
 *   lengths, at most one close frame, last, with a code a server may send; a refusal is a complete response;
 * - a connection that closed while its transport was alive sent a close frame first (or an HTTP refusal);
 * - no output once the transport should close, and `transportShouldClose` iff the state is `closed`;
 * - events are well ordered (request, open, traffic, closed last) and what they carry is valid;
 * - the frame-level events equal those of an independent reference decoder of the client's bytes (oracle.ts);
 * - under `app: "echo"`, the server echoes exactly the messages it reported, and pongs answer pings;
 * - the output is bounded by a function of the input and the limits;
 * - any re-chunking of the input gives the same events and the same bytes (split-invariance.ts).
 */
import { concatBytes } from '../bytes.ts';
import { resolveLimits, type Limits } from '../limits.ts';
import type { Execution } from './execute.ts';
import type { Trace } from './format.ts';
import { bytesOf, equalBytes, frameEventKey } from './event-keys.ts';
import { isValidReceivedCloseCode, predictEvents, requestHeadEnd, utf8Check, type OracleEvent, type OracleInflater } from './oracle.ts';
import { parseServerOutput, type ServerFrame } from './server-output.ts';

/** One broken invariant. `kind` is stable (used to group and minimize failures); `message` explains. */
export interface Violation {
  readonly kind: string;
  readonly message: string;
}

/** Makes inflaters for compressed messages: client → server (the oracle) and server → client (echo checks). */
export type InflaterFactory = (windowBits: number, noContextTakeover: boolean) => OracleInflater;

/** Options of {@link checkInvariants}. */
export interface InvariantOptions {
  /** Without it, compressed messages are not compared (only counted). */
  readonly inflaters?: InflaterFactory | undefined;
}

function limitsOf(trace: Trace): Readonly<Limits> {
  return resolveLimits(trace.header.options.limits);
}

/** Close codes the server itself may put in a close frame (RFC 6455 §7.4.1: never 1005, 1006, 1015). */
function isSendableCloseCode(code: number): boolean {
  return isValidReceivedCloseCode(code);
}

/** Checks every invariant of one execution of `trace`. Returns the violations (empty when all hold). */
export function checkInvariants(trace: Trace, execution: Execution, options: InvariantOptions = {}): Violation[] {
  const violations: Violation[] = [];
  const add = (kind: string, message: string): void => {
    if (violations.length < 20) violations.push({ kind, message });
  };
  if (execution.failure !== undefined) {
    add('threw', `an exception escaped the core at record ${execution.failure.recordIndex}: ${execution.failure.message}`);
    return violations;
  }
  const limits = limitsOf(trace);
  const events = execution.events;
  const conn = execution.conn;
  const finalState = conn.state;

  // ---- termination: a bounded number of events for the input.
  let fragmentBytes = 0;
  for (const e of events) if (e.type === 'fragment') fragmentBytes += bytesOf(e).length;
  const eventBound = 16 + 4 * trace.records.length + execution.inputBytes + fragmentBytes / 1024;
  if (events.length > eventBound) add('runaway', `${events.length} events for ${execution.inputBytes} input bytes`);

  // ---- step-wise: limits on what is held, transportShouldClose, no output after it.
  let closedStep = -1;
  let shouldCloseAt = -1;
  for (let i = 0; i < execution.steps.length; i++) {
    const s = execution.steps[i]!;
    if (s.pendingBytes > limits.maxPendingBytes) add('limit-pending', `holds ${s.pendingBytes} pending bytes > maxPendingBytes ${limits.maxPendingBytes}`);
    if (s.bufferedMessageBytes > limits.maxMessageSize) add('limit-buffer', `buffers ${s.bufferedMessageBytes} message bytes > maxMessageSize ${limits.maxMessageSize}`);
    if (s.transportShouldClose !== (s.state === 'closed')) add('should-close', `transportShouldClose ${s.transportShouldClose} in state ${s.state} (step ${i})`);
    if (s.state === 'closed' && closedStep < 0) closedStep = i;
    if (shouldCloseAt >= 0 && s.outputLength > execution.steps[shouldCloseAt]!.outputLength) {
      add('write-after-close', `output grew after transportShouldClose (step ${i}, ${s.kind})`);
    }
    if (s.transportShouldClose && shouldCloseAt < 0) shouldCloseAt = i;
  }
  const closedBy = closedStep >= 0 ? execution.steps[closedStep]!.kind : undefined;

  // ---- events: order and content.
  let seenRequest = 0;
  let seenOpen = 0;
  let closedEvents = 0;
  let messageBytes = 0;
  const pings: Uint8Array[] = [];
  const messages: Array<{ binary: boolean; data: Uint8Array }> = [];
  for (let i = 0; i < events.length; i++) {
    const e = events[i]!;
    if (closedEvents > 0) add('event-after-closed', `${e.type} after closed`);
    switch (e.type) {
      case 'request':
      case 'http-request':
        seenRequest++;
        if (seenRequest > 1) add('event-order', 'two requests');
        break;
      case 'open':
        seenOpen++;
        if (seenOpen > 1 || seenRequest !== 1) add('event-order', 'open without exactly one request before it');
        break;
      case 'message': {
        if (seenOpen !== 1) add('event-order', 'message before open');
        const data = bytesOf(e);
        if (data.length > limits.maxMessageSize) add('limit-message', `message of ${data.length} bytes > maxMessageSize ${limits.maxMessageSize}`);
        if (e['binary'] === false) {
          const check = utf8Check(data);
          if (check.bad >= 0 || check.incomplete) add('invalid-text', 'text message with invalid UTF-8');
        }
        messages.push({ binary: e['binary'] === true, data });
        break;
      }
      case 'fragment': {
        if (seenOpen !== 1) add('event-order', 'fragment before open');
        if (e['first'] === true) messageBytes = 0;
        messageBytes += bytesOf(e).length;
        if (messageBytes > limits.maxMessageSize) add('limit-message', `streamed message of ${messageBytes} bytes > maxMessageSize`);
        break;
      }
      case 'ping':
      case 'pong': {
        if (seenOpen !== 1) add('event-order', `${e.type} before open`);
        const data = bytesOf(e);
        if (data.length > 125) add('limit-control', `${e.type} payload of ${data.length} bytes`);
        if (e.type === 'ping') pings.push(data);
        break;
      }
      case 'peer-close':
        if (seenOpen !== 1) add('event-order', 'peer-close before open');
        break;
      case 'error':
        if (e['closeCode'] === undefined && e['status'] === undefined && e['code'] !== 'CLOSE_TIMEOUT' && e['code'] !== 'TRANSPORT_ENDED') {
          add('event-content', `error ${String(e['code'])} without closeCode or status`);
        }
        break;
      case 'closed':
        closedEvents++;
        break;
      default:
        add('event-content', `unknown event type ${e.type}`);
    }
  }
  if ((finalState === 'closed') !== (closedEvents === 1)) add('event-order', `${closedEvents} closed events in final state ${finalState}`);

  // ---- output: well formed, and consistent with the events.
  const out = parseServerOutput(execution.output);
  for (const p of out.problems) add('malformed-output', p);
  const opened = seenOpen === 1;
  if (execution.output.length === 0) {
    if (finalState === 'closed' && closedBy !== 'end' && !execution.truncated) add('silent-close', `closed (by ${closedBy}) without writing anything`);
  } else if (out.status !== undefined) {
    if ((out.status === 101) !== opened) add('status-vs-open', `status ${out.status} but ${opened ? 'an' : 'no'} open event`);
    if (out.status !== 101 && (finalState !== 'closed' || !conn.transportShouldClose)) add('refusal-open', `HTTP ${out.status} but the connection is ${finalState}`);
  }
  const deflate = conn.deflate;
  const frameViolations = checkFrames(out.frames, deflate !== undefined, add);
  if (opened && finalState === 'closed' && closedBy !== 'end' && !frameViolations.hasClose && !execution.truncated) {
    add('no-close-frame', `the connection closed (by ${closedBy}) with its transport alive but sent no close frame`);
  }

  // ---- oracle: frame-level events equal those of the reference decoder.
  if (opened && !execution.truncated) {
    compareWithOracle(trace, execution, limits, closedStep, options, add);
  }

  // ---- echo: what was sent back is what was received.
  const sendCommands = trace.records.some((r) => r.kind === 'cmd' && (r.cmd.type === 'send' || r.cmd.type === 'pong' || r.cmd.type === 'ping'));
  if (opened && trace.header.app === 'echo' && !sendCommands && trace.header.options.receiveMode !== 'stream') {
    checkEcho(frameViolations.dataMessages, messages, pings, frameViolations.pongs, deflate, options, add);
  }

  // ---- bounded output.
  let cmdBytes = 0;
  let ticks = 0;
  for (const r of trace.records) {
    if (r.kind === 'tick') ticks++;
    if (r.kind === 'cmd') {
      cmdBytes += 256;
      const cmd = r.cmd;
      if (cmd.type === 'send' || cmd.type === 'ping' || cmd.type === 'pong') cmdBytes += Math.ceil(cmd.data.length * 1.01) + 16;
      if (cmd.type === 'reject') cmdBytes += (cmd.body?.length ?? 0) + 3 * (cmd.bodyText?.length ?? 0) + JSON.stringify(cmd.headers ?? []).length;
      if (cmd.type === 'accept') cmdBytes += JSON.stringify(cmd.headers ?? []).length;
    }
  }
  let echoed = 0;
  for (const m of messages) echoed += Math.ceil(m.data.length * 1.01) + 32;
  const bound = 4096 + 2 * execution.inputBytes + echoed + 16 * ticks + cmdBytes;
  if (execution.output.length > bound) add('output-bound', `${execution.output.length} bytes written > bound ${bound}`);
  return violations;
}

interface FrameSummary {
  hasClose: boolean;
  dataMessages: Array<{ binary: boolean; compressed: boolean; data: Uint8Array }>;
  pongs: Uint8Array[];
}

function checkFrames(frames: readonly ServerFrame[], deflate: boolean, add: (kind: string, message: string) => void): FrameSummary {
  const summary: FrameSummary = { hasClose: false, dataMessages: [], pongs: [] };
  let inMessage: { binary: boolean; compressed: boolean; parts: Uint8Array[] } | undefined;
  for (const f of frames) {
    if (summary.hasClose) add('frame-after-close', `frame (opcode ${f.opcode}) after the close frame at ${f.offset}`);
    if ((f.rsv & 3) !== 0) add('bad-frame', `RSV2/RSV3 set at ${f.offset}`);
    if ((f.rsv & 4) !== 0 && (!deflate || (f.opcode !== 1 && f.opcode !== 2))) add('bad-frame', `RSV1 set on opcode ${f.opcode} (deflate ${deflate}) at ${f.offset}`);
    if (f.opcode >= 8) {
      if (f.opcode > 10) add('bad-frame', `reserved opcode ${f.opcode}`);
      if (!f.fin || f.payload.length > 125) add('bad-frame', `invalid control frame at ${f.offset}`);
      if (f.opcode === 8) {
        summary.hasClose = true;
        if (f.payload.length === 1) add('bad-close', 'close payload of 1 byte');
        if (f.payload.length >= 2) {
          const code = (f.payload[0]! << 8) | f.payload[1]!;
          if (!isSendableCloseCode(code)) add('bad-close', `close code ${code} a server must not send`);
          const check = utf8Check(f.payload.subarray(2));
          if (check.bad >= 0 || check.incomplete) add('bad-close', 'close reason not UTF-8');
        }
      } else if (f.opcode === 10) summary.pongs.push(f.payload);
      continue;
    }
    if (f.opcode === 0) {
      if (inMessage === undefined) add('bad-frame', `continuation without a message at ${f.offset}`);
      else inMessage.parts.push(f.payload);
    } else if (f.opcode === 1 || f.opcode === 2) {
      if (inMessage !== undefined) add('bad-frame', `new message inside a message at ${f.offset}`);
      inMessage = { binary: f.opcode === 2, compressed: (f.rsv & 4) !== 0, parts: [f.payload] };
    } else {
      add('bad-frame', `reserved opcode ${f.opcode}`);
      continue;
    }
    if (f.fin && inMessage !== undefined) {
      let total = 0;
      for (const p of inMessage.parts) total += p.length;
      const data = new Uint8Array(total);
      let at = 0;
      for (const p of inMessage.parts) {
        data.set(p, at);
        at += p.length;
      }
      summary.dataMessages.push({ binary: inMessage.binary, compressed: inMessage.compressed, data });
      inMessage = undefined;
    }
  }
  return summary;
}

function compareWithOracle(
  trace: Trace,
  execution: Execution,
  limits: Limits,
  closedStep: number,
  options: InvariantOptions,
  add: (kind: string, message: string) => void,
): void {
  // The input the core had to process: every chunk up to the step that closed it (that chunk included).
  const lastRecord = closedStep >= 0 ? execution.steps[closedStep]!.recordIndex : trace.records.length - 1;
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (let i = 0; i <= lastRecord && i < trace.records.length; i++) {
    const r = trace.records[i]!;
    if (r.kind === 'in') {
      chunks.push(r.data);
      total += r.data.length;
    }
  }
  const input = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    input.set(c, at);
    at += c.length;
  }
  const headEnd = requestHeadEnd(input);
  if (headEnd < 0) {
    add('oracle', 'the connection opened but the input has no complete request head');
    return;
  }
  const deflate = execution.conn.deflate;
  const inflater = deflate !== undefined && options.inflaters ? options.inflaters(deflate.clientMaxWindowBits, deflate.clientNoContextTakeover) : undefined;
  const expected = predictEvents(input.subarray(headEnd), { limits, deflate: deflate !== undefined, inflater });

  // The core's frame-level events, with streamed fragments joined into messages.
  const actual: Array<{ index: number; key: string; type: string }> = [];
  let parts: Uint8Array[] = [];
  execution.events.forEach((e, index) => {
    switch (e.type) {
      case 'message':
        actual.push({ index, type: 'message', key: frameEventKey({ type: 'message', binary: e['binary'] === true, data: bytesOf(e) }) });
        break;
      case 'fragment': {
        if (e['first'] === true) parts = [];
        parts.push(bytesOf(e));
        if (e['fin'] === true) {
          const data = concatBytes(parts);
          actual.push({ index, type: 'message', key: frameEventKey({ type: 'message', binary: e['binary'] === true, data }) });
          parts = [];
        }
        break;
      }
      case 'ping':
      case 'pong':
        actual.push({ index, type: e.type, key: frameEventKey({ type: e.type, data: bytesOf(e) }) });
        break;
      case 'peer-close':
        actual.push({ index, type: e.type, key: frameEventKey({ type: e.type, code: e['code'] as number, reason: e['reason'] as string }) });
        break;
      case 'error':
        if (e['closeCode'] !== undefined && e['code'] !== 'IDLE_TIMEOUT') {
          actual.push({ index, type: 'error', key: frameEventKey({ type: 'error', closeCode: e['closeCode'] as number }) });
        }
        break;
      default:
        break;
    }
  });

  const closingFrom = execution.closeCommandAtEvent;
  let j = 0;
  const describe = (e: OracleEvent | undefined): string =>
    e === undefined ? '(nothing)' : e.type === 'error' ? `${frameEventKey(e)} (${e.why})` : e.type === 'unknown' ? `unknown (${e.why})` : frameEventKey(e);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    // After the application's close, messages are discarded (RFC 6455 §7.1.2): skip the oracle's.
    while (closingFrom !== undefined && a.index >= closingFrom && expected[j]?.type === 'message') j++;
    const e = expected[j];
    if (e?.type === 'unknown') return;
    if (e === undefined || frameEventKey(e) !== a.key) {
      add('oracle', `frame event ${i}: the core reported ${a.key}, the reference decoder expects ${describe(e)}`);
      return;
    }
    j++;
  }
  // Everything the oracle predicts for the input the core processed must have been reported.
  while (closingFrom !== undefined && expected[j]?.type === 'message') j++;
  const next = expected[j];
  if (next !== undefined && next.type !== 'unknown') {
    add('oracle', `the core did not report ${describe(next)} (after ${actual.length} frame events)`);
  }
}

function checkEcho(
  sent: FrameSummary['dataMessages'],
  received: ReadonlyArray<{ binary: boolean; data: Uint8Array }>,
  pings: readonly Uint8Array[],
  pongs: readonly Uint8Array[],
  deflate: { serverMaxWindowBits: number; serverNoContextTakeover: boolean } | undefined,
  options: InvariantOptions,
  add: (kind: string, message: string) => void,
): void {
  if (sent.length !== received.length) {
    add('echo', `${received.length} messages received but ${sent.length} echoed`);
    return;
  }
  // Inflate server messages with the largest window: it decodes anything a smaller window produced.
  const inflater = deflate !== undefined && options.inflaters ? options.inflaters(15, deflate.serverNoContextTakeover) : undefined;
  for (let i = 0; i < sent.length; i++) {
    const s = sent[i]!;
    const r = received[i]!;
    if (s.binary !== r.binary) add('echo', `message ${i} echoed as ${s.binary ? 'binary' : 'text'}`);
    let data = s.data;
    if (s.compressed) {
      if (inflater === undefined) continue;
      const result = inflater.push(s.data, true, Number.MAX_SAFE_INTEGER);
      if (!result.ok) {
        add('echo', `echoed message ${i} does not inflate: ${result.reason}`);
        return;
      }
      data = result.data;
    }
    if (!equalBytes(data, r.data)) add('echo', `message ${i} echoed with different bytes`);
  }
  // Pongs answer pings, in order (some may be coalesced: RFC 6455 §5.5.3 allows answering only the latest).
  let p = 0;
  for (const pong of pongs) {
    while (p < pings.length && !equalBytes(pings[p]!, pong)) p++;
    if (p === pings.length) {
      add('echo', 'a pong that answers no ping');
      return;
    }
    p++;
  }
}
