/**
 * Mutations of a trace's inputs: bit flips, interesting bytes, byte insertion and deletion, frame-header and
 * length-field rewrites, request-head edits, re-chunking, splicing two traces, time jumps, ticks, end of input,
 * and application commands. Inputs stay bounded (bytes and records).
 */
import type { Trace, TraceCommand, TraceRecord } from '../../core/trace/format.ts';
import { requestHeadEnd } from '../../core/trace/oracle.ts';
import type { Rng } from './rng.ts';

/** Bound of a mutated trace's input bytes (all `in` records). */
export const MAX_INPUT_BYTES = 64 * 1024;
/** Bound of a mutated trace's record count. */
export const MAX_RECORDS = 256;

type InRecord = Extract<TraceRecord, { kind: 'in' }>;

const INTERESTING_BYTES = [0x00, 0x01, 0x7d, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0x88, 0x89, 0x8a, 0x8f, 0xc1, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x0d, 0x0a, 0x20, 0x3a];
const INTERESTING_LENGTHS = [0, 1, 2, 3, 4, 124, 125, 126, 127, 128, 255, 256, 65535, 65536, 65537, 2 ** 31, 2 ** 32, 2 ** 53 - 1, 2 ** 63];
const HEAD_LINES = [
  'Sec-WebSocket-Version: 8',
  'Sec-WebSocket-Version: 13, 13',
  'Upgrade: websocket, h2c',
  'Upgrade: WebSocket',
  'Connection: keep-alive, Upgrade',
  'Connection: close',
  'Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA==',
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ',
  'Sec-WebSocket-Extensions: permessage-deflate',
  'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits; server_max_window_bits=8',
  'Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  'Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits=16',
  'Sec-WebSocket-Extensions: permessage-deflate; permessage-deflate, x-webkit-deflate-frame',
  'Sec-WebSocket-Extensions: permessage-deflate; server_max_window_bits="10"; unknown=1',
  'Sec-WebSocket-Protocol: chat, , superchat',
  'Host:',
  'Host: a, b',
  'X-Long: ' + 'x'.repeat(600),
  ' folded: value',
  'Bad Name: x',
  'Content-Length: 5',
  'Transfer-Encoding: chunked',
  '',
];
const REQUEST_LINES = ['GET / HTTP/1.1', 'GET /chat HTTP/1.0', 'GET /chat HTTP/2.0', 'POST /chat HTTP/1.1', 'GET  / HTTP/1.1', 'GET / HTTP/1.1 ', 'GET * HTTP/1.1', 'get / HTTP/1.1'];

const encoder = new TextEncoder();
const latin1 = new TextDecoder('latin1');

function totalInput(records: readonly TraceRecord[]): number {
  let n = 0;
  for (const r of records) if (r.kind === 'in') n += r.data.length;
  return n;
}

function inIndexes(records: readonly TraceRecord[]): number[] {
  const out: number[] = [];
  records.forEach((r, i) => {
    if (r.kind === 'in' && r.data.length > 0) out.push(i);
  });
  return out;
}

/** A random non-empty input record: its index and bytes, or undefined when the trace has none. */
function pickInput(records: readonly TraceRecord[], rng: Rng): { i: number; data: Uint8Array } | undefined {
  const ins = inIndexes(records);
  if (ins.length === 0) return undefined;
  const i = rng.pick(ins);
  return { i, data: (records[i] as InRecord).data };
}

function setData(records: TraceRecord[], index: number, data: Uint8Array): void {
  const r = records[index] as InRecord;
  records[index] = { kind: 'in', t: r.t, data };
}

/** Where each client frame header starts in the concatenated input (a lenient scan after the request head). */
function frameStarts(records: readonly TraceRecord[]): Array<{ record: number; offset: number; length: number }> {
  const map: Array<{ record: number; start: number }> = [];
  const chunks: Uint8Array[] = [];
  let total = 0;
  records.forEach((r, i) => {
    if (r.kind !== 'in') return;
    map.push({ record: i, start: total });
    chunks.push(r.data);
    total += r.data.length;
  });
  const all = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  const head = requestHeadEnd(all);
  const out: Array<{ record: number; offset: number; length: number }> = [];
  let p = head < 0 ? 0 : head;
  for (let guard = 0; guard < 512 && p + 2 <= all.length; guard++) {
    const b1 = all[p + 1] as number;
    const len7 = b1 & 0x7f;
    const extra = len7 === 126 ? 2 : len7 === 127 ? 8 : 0;
    const headerLength = 2 + extra + ((b1 & 0x80) !== 0 ? 4 : 0);
    if (p + headerLength > all.length) break;
    let length = len7;
    if (len7 === 126) length = (all[p + 2]! << 8) | all[p + 3]!;
    else if (len7 === 127) {
      length = 0;
      for (let k = 0; k < 8; k++) length = length * 256 + all[p + 2 + k]!;
    }
    // The record holding the whole header, if one does.
    let owner = -1;
    for (let m = map.length - 1; m >= 0; m--) {
      if (map[m]!.start <= p) {
        const rec = records[map[m]!.record] as InRecord;
        if (p + headerLength <= map[m]!.start + rec.data.length) owner = m;
        break;
      }
    }
    if (owner >= 0) out.push({ record: map[owner]!.record, offset: p - map[owner]!.start, length: headerLength });
    p += headerLength + length;
  }
  return out;
}

/** Rewrites the length field of the frame header at `offset` of `data` (any form; mask key kept). */
function rewriteLength(data: Uint8Array, offset: number, headerLength: number, length: number, form: 7 | 16 | 64): Uint8Array {
  const b1 = data[offset + 1] as number;
  const masked = (b1 & 0x80) !== 0;
  const mask = masked ? data.subarray(offset + headerLength - 4, offset + headerLength) : new Uint8Array(0);
  const header: number[] = [data[offset] as number];
  if (form === 7) header.push((b1 & 0x80) | Math.min(length, 127));
  else if (form === 16) header.push((b1 & 0x80) | 126, (length >>> 8) & 0xff, length & 0xff);
  else {
    header.push((b1 & 0x80) | 127);
    const high = Math.floor(length / 4294967296);
    const low = length >>> 0;
    header.push((high >>> 24) & 0xff, (high >>> 16) & 0xff, (high >>> 8) & 0xff, high & 0xff, (low >>> 24) & 0xff, (low >>> 16) & 0xff, (low >>> 8) & 0xff, low & 0xff);
  }
  header.push(...mask);
  const out = new Uint8Array(data.length - headerLength + header.length);
  out.set(data.subarray(0, offset));
  out.set(header, offset);
  out.set(data.subarray(offset + headerLength), offset + header.length);
  return out;
}

function splice(data: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length - remove + insert.length);
  out.set(data.subarray(0, at));
  out.set(insert, at);
  out.set(data.subarray(at + remove), at + insert.length);
  return out;
}

function randomCommand(rng: Rng): TraceCommand {
  switch (rng.int(7)) {
    case 0:
      return { type: 'close', code: rng.pick([1000, 1001, 1011, 3000, 4999]), reason: rng.chance(0.5) ? 'bye' : '' };
    case 1:
      return { type: 'ping', data: encoder.encode('hb') };
    case 2:
      return { type: 'send', data: rng.bytes(rng.int(300)), binary: true, fin: rng.chance(0.7) };
    case 3:
      return { type: 'send', data: encoder.encode('text '.repeat(rng.int(400))), text: true, compress: rng.chance(0.5) };
    case 4:
      return rng.chance(0.5) ? { type: 'accept' } : { type: 'accept', deflate: false, headers: [['X-A', 'b']] };
    case 5:
      return { type: 'reject', status: rng.pick([200, 400, 403, 503]), bodyText: 'no' };
    default:
      return { type: 'pong', data: new Uint8Array(0) };
  }
}

type Mutator = (records: TraceRecord[], rng: Rng, donor: Trace) => boolean;

const byteMutators: Mutator[] = [
  // Bit flip.
  (records, rng) => {
    const picked = pickInput(records, rng);
    if (picked === undefined) return false;
    const { i } = picked;
    const data = picked.data.slice();
    const at = rng.int(data.length);
    data[at] = (data[at] as number) ^ (1 << rng.int(8));
    setData(records, i, data);
    return true;
  },
  // Interesting byte.
  (records, rng) => {
    const picked = pickInput(records, rng);
    if (picked === undefined) return false;
    const { i } = picked;
    const data = picked.data.slice();
    data[rng.int(data.length)] = rng.chance(0.7) ? rng.pick(INTERESTING_BYTES) : rng.int(256);
    setData(records, i, data);
    return true;
  },
  // Insert bytes.
  (records, rng) => {
    const picked = pickInput(records, rng);
    if (picked === undefined) return false;
    const { i, data } = picked;
    const insert = rng.chance(0.5) ? rng.bytes(1 + rng.int(8)) : new Uint8Array(1 + rng.int(16)).fill(rng.pick(INTERESTING_BYTES));
    setData(records, i, splice(data, rng.int(data.length + 1), 0, insert));
    return true;
  },
  // Delete bytes.
  (records, rng) => {
    const picked = pickInput(records, rng);
    if (picked === undefined) return false;
    const { i, data } = picked;
    const at = rng.int(data.length);
    const count = 1 + rng.int(Math.min(16, data.length - at));
    setData(records, i, splice(data, at, count, new Uint8Array(0)));
    return true;
  },
  // Duplicate a byte range (repeats frames or header lines).
  (records, rng) => {
    const picked = pickInput(records, rng);
    if (picked === undefined) return false;
    const { i, data } = picked;
    const at = rng.int(data.length);
    const count = 1 + rng.int(Math.min(64, data.length - at));
    setData(records, i, splice(data, at, 0, data.slice(at, at + count)));
    return true;
  },
];

const structureMutators: Mutator[] = [
  // Frame header fields: FIN, RSV, opcode, MASK.
  (records, rng) => {
    const frames = frameStarts(records);
    if (frames.length === 0) return false;
    const f = rng.pick(frames);
    const data = (records[f.record] as InRecord).data.slice();
    const choice = rng.int(5);
    if (choice === 0) data[f.offset] = (data[f.offset] as number) ^ 0x80;
    else if (choice === 1) data[f.offset] = (data[f.offset] as number) ^ (0x10 << rng.int(3));
    else if (choice === 2) data[f.offset] = ((data[f.offset] as number) & 0xf0) | rng.int(16);
    else if (choice === 3) data[f.offset + 1] = (data[f.offset + 1] as number) ^ 0x80;
    else data[f.offset] = ((data[f.offset] as number) & 0xf0) | rng.pick([0, 1, 2, 8, 9, 10]);
    setData(records, f.record, data);
    return true;
  },
  // Length field: another value, another form.
  (records, rng) => {
    const frames = frameStarts(records);
    if (frames.length === 0) return false;
    const f = rng.pick(frames);
    const data = (records[f.record] as InRecord).data;
    const length = rng.chance(0.7) ? rng.pick(INTERESTING_LENGTHS) : rng.int(1 << rng.int(20));
    const form: 7 | 16 | 64 = length > 65535 ? 64 : length > 125 ? rng.pick([16, 64] as const) : rng.pick([7, 7, 16, 64] as const);
    setData(records, f.record, rewriteLength(data, f.offset, f.length, Math.min(length, 2 ** 64 - 1), form));
    return true;
  },
  // Request head: replace, insert or delete a line.
  (records, rng) => {
    const ins = inIndexes(records);
    if (ins.length === 0) return false;
    const i = ins[0] as number;
    const data = (records[i] as InRecord).data;
    const end = requestHeadEnd(data);
    if (end < 0) return false;
    const lines = latin1.decode(data.subarray(0, end - 4)).split('\r\n');
    const at = rng.int(lines.length);
    const choice = rng.int(4);
    if (choice === 0 && at === 0) lines[0] = rng.pick(REQUEST_LINES);
    else if (choice === 0 || choice === 1) lines.splice(Math.max(1, at), choice === 0 ? 1 : 0, rng.pick(HEAD_LINES));
    else if (choice === 2 && lines.length > 1) lines.splice(Math.max(1, at), 1);
    else lines.push(rng.pick(HEAD_LINES));
    const head = lines.join('\r\n') + '\r\n\r\n';
    const headBytes = new Uint8Array(head.length);
    for (let k = 0; k < head.length; k++) headBytes[k] = head.charCodeAt(k) & 0xff;
    setData(records, i, splice(data, 0, end, headBytes));
    return true;
  },
  // Re-chunk: split an input record in two, or merge two adjacent ones.
  (records, rng) => {
    const ins = inIndexes(records);
    if (ins.length === 0) return false;
    const i = rng.pick(ins);
    const r = records[i] as InRecord;
    const next = records[i + 1];
    if (rng.chance(0.5) && next !== undefined && next.kind === 'in') {
      const merged = new Uint8Array(r.data.length + next.data.length);
      merged.set(r.data);
      merged.set(next.data, r.data.length);
      records.splice(i, 2, { kind: 'in', t: next.t, data: merged });
      return true;
    }
    if (r.data.length < 2) return false;
    const cut = 1 + rng.int(r.data.length - 1);
    records.splice(i, 1, { kind: 'in', t: r.t, data: r.data.slice(0, cut) }, { kind: 'in', t: r.t, data: r.data.slice(cut) });
    return true;
  },
  // Splice: this trace's records up to a point, then another trace's records from a point.
  (records, rng, donor) => {
    if (records.length === 0 || donor.records.length === 0) return false;
    const keep = 1 + rng.int(records.length);
    const from = rng.int(donor.records.length);
    const tail = donor.records.slice(from).filter((r) => r.kind !== 'out' && r.kind !== 'ev' && r.kind !== 'truncated');
    const last = records[keep - 1]!.t;
    records.splice(keep, records.length - keep, ...tail.map((r) => ({ ...r, t: Math.max(r.t, last) })));
    return true;
  },
  // Time: jump a record (and the rest) forward, or insert a tick.
  (records, rng) => {
    if (records.length === 0) return false;
    const i = rng.int(records.length);
    const jump = rng.pick([1, 10, 100, 1000, 5000, 10_000, 30_000, 60_000, 0.5]);
    if (rng.chance(0.5)) {
      for (let k = i; k < records.length; k++) records[k] = { ...records[k]!, t: records[k]!.t + jump } as TraceRecord;
    } else {
      records.splice(i + 1, 0, { kind: 'tick', t: records[i]!.t + jump });
    }
    return true;
  },
  // End of input somewhere, or remove one.
  (records, rng) => {
    const ends = records.map((r, i) => (r.kind === 'end' ? i : -1)).filter((i) => i >= 0);
    if (ends.length > 0 && rng.chance(0.5)) {
      records.splice(rng.pick(ends), 1);
      return true;
    }
    const i = rng.int(records.length + 1);
    records.splice(i, 0, { kind: 'end', t: i > 0 ? records[i - 1]!.t : 0 });
    return true;
  },
  // An application command between I/O calls, or from inside an event handler (re-entrancy).
  (records, rng) => {
    const i = rng.int(records.length + 1);
    const t = i > 0 ? records[i - 1]!.t : 0;
    const cmd = randomCommand(rng);
    if (rng.chance(0.5)) records.splice(i, 0, { kind: 'cmd', t, cmd, inEvent: 1 + rng.int(16) });
    else records.splice(i, 0, { kind: 'cmd', t, cmd });
    return true;
  },
  // Drop or duplicate a record.
  (records, rng) => {
    if (records.length === 0) return false;
    const i = rng.int(records.length);
    if (rng.chance(0.5)) records.splice(i, 1);
    else records.splice(i, 0, records[i]!);
    return true;
  },
];

/**
 * A mutated copy of `trace` (1–4 stacked mutations; `donor` feeds splicing). Returns undefined when the result
 * would pass the size bounds.
 */
export function mutateTrace(trace: Trace, donor: Trace, rng: Rng): Trace | undefined {
  const records = trace.records.filter((r) => r.kind !== 'out' && r.kind !== 'ev' && r.kind !== 'truncated');
  const count = 1 + rng.int(rng.chance(0.3) ? 8 : 3);
  let applied = 0;
  for (let k = 0; k < count * 3 && applied < count; k++) {
    const mutator = rng.chance(0.55) ? rng.pick(byteMutators) : rng.pick(structureMutators);
    if (mutator(records, rng, donor)) applied++;
  }
  if (applied === 0 || records.length > MAX_RECORDS || totalInput(records) > MAX_INPUT_BYTES) return undefined;
  return { header: trace.header, records };
}

/** A few option variants to run a trace under (limits small and large, stream mode, deflate on, the other app). */
export function mutateOptions(trace: Trace, rng: Rng): Trace {
  const options = { ...trace.header.options };
  const choice = rng.int(6);
  if (choice === 5) {
    // The application decides itself (accepting from the request handler, or later), nothing echoed.
    const records: TraceRecord[] = trace.records.slice();
    if (trace.header.app === 'echo') records.unshift({ kind: 'cmd', t: 0, cmd: { type: 'accept' }, inEvent: 1 });
    return { header: { ...trace.header, app: trace.header.app === 'echo' ? 'recorded' : 'echo' }, records };
  }
  if (choice === 0) options.limits = { ...options.limits, maxMessageSize: rng.pick([16, 125, 256, 1024]), maxFrameSize: rng.pick([8, 125, 126, 512]) };
  else if (choice === 1) options.receiveMode = options.receiveMode === 'stream' ? 'message' : 'stream';
  else if (choice === 2) options.deflate = options.deflate ? false : { threshold: rng.pick([0, 16, 1024]) };
  else if (choice === 3) options.limits = { ...options.limits, maxPendingBytes: rng.pick([0, 8, 64]), maxHeaderBytes: rng.pick([64, 200, 400]), maxHeaderCount: rng.pick([2, 5]) };
  else options.limits = { ...options.limits, pingIntervalMs: rng.pick([0, 10, 100]), pongTimeoutMs: rng.pick([5, 50]), closeTimeoutMs: rng.pick([1, 100]), handshakeTimeoutMs: rng.pick([1, 100, 5000]) };
  return { header: { ...trace.header, options }, records: trace.records };
}
