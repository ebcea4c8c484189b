/**
 * The JSON Lines form of a trace (see README.md): an encoder of single lines, a streaming decoder, and
 * whole-trace `serializeTrace` / `parseTrace`. Bytes travel as padded standard base64 (RFC 4648 §4).
 */
import { resolveDeflateOptions, type DeflateOptions, type DeflateParams } from '../deflate/options.ts';
import { MisuseError } from '../errors.ts';
import { resolveLimits, type Limits } from '../limits.ts';
import { decodeBase64Strict, encodeBase64 } from '../http/base64.ts';
import {
  TRACE_VERSION,
  TraceFormatError,
  type Trace,
  type TraceApp,
  type TraceCommand,
  type TraceConnectionOptions,
  type TraceEvent,
  type TraceHeader,
  type TraceHeaderPairs,
  type TraceRecord,
} from './format.ts';

type Json = Record<string, unknown>;

/** The header line (no newline). */
export function encodeHeaderLine(header: TraceHeader): string {
  return JSON.stringify({ websockTrace: header.websockTrace, label: header.label, app: header.app, options: header.options, meta: header.meta });
}

/** One record as a line (no newline). */
export function encodeRecordLine(record: TraceRecord): string {
  const t = record.t;
  switch (record.kind) {
    case 'in':
      return `{"t":${num(t)},"in":"${encodeBase64(record.data)}"}`;
    case 'out':
      return `{"t":${num(t)},"out":"${encodeBase64(record.data)}"}`;
    case 'tick':
      return `{"t":${num(t)},"tick":true}`;
    case 'end':
      return `{"t":${num(t)},"end":true}`;
    case 'truncated':
      return `{"t":${num(t)},"truncated":true}`;
    case 'ev':
      return JSON.stringify({ t, ev: record.event });
    case 'cmd': {
      const line: Json = { t, cmd: commandToJson(record.cmd) };
      if (record.inEvent !== undefined) line['inEvent'] = record.inEvent;
      return JSON.stringify(line);
    }
  }
}

function num(t: number): string {
  return JSON.stringify(t); // NaN/Infinity become null, which the decoder refuses
}

function commandToJson(cmd: TraceCommand): Json {
  switch (cmd.type) {
    case 'send': {
      const out: Json = { type: 'send', data: encodeBase64(cmd.data) };
      if (cmd.text !== undefined) out['text'] = cmd.text;
      if (cmd.binary !== undefined) out['binary'] = cmd.binary;
      if (cmd.fin !== undefined) out['fin'] = cmd.fin;
      if (cmd.compress !== undefined) out['compress'] = cmd.compress;
      return out;
    }
    case 'ping':
    case 'pong':
      return { type: cmd.type, data: encodeBase64(cmd.data) };
    case 'reject': {
      const out: Json = { type: 'reject', status: cmd.status };
      if (cmd.headers !== undefined) out['headers'] = cmd.headers;
      if (cmd.body !== undefined) out['body'] = encodeBase64(cmd.body);
      if (cmd.bodyText !== undefined) out['bodyText'] = cmd.bodyText;
      return out;
    }
    default:
      return { ...cmd };
  }
}

/** A whole trace as JSON Lines text (each line ends with `\n`). */
export function serializeTrace(trace: Trace): string {
  let text = encodeHeaderLine(trace.header) + '\n';
  for (const record of trace.records) text += encodeRecordLine(record) + '\n';
  return text;
}

/** Parses a whole trace. Throws {@link TraceFormatError} on malformed input. */
export function parseTrace(text: string | Uint8Array): Trace {
  const decoder = new TraceDecoder();
  const records = decoder.push(text);
  for (const r of decoder.finish()) records.push(r);
  if (decoder.header === undefined) throw new TraceFormatError('empty trace (no header line)', 0);
  return { header: decoder.header, records };
}

/**
 * Streaming decoder: push text or UTF-8 bytes in any pieces; complete lines come back as records. The header
 * (line 1) is available as {@link header} once read. Empty lines are skipped; a trailing `\r` is ignored.
 */
export class TraceDecoder {
  /** The header, once line 1 has been read. */
  header: TraceHeader | undefined = undefined;
  private carry = '';
  private lineNumber = 0;
  private readonly utf8 = new TextDecoder('utf-8', { fatal: true });

  /** Decodes what `chunk` completes. Throws {@link TraceFormatError} on a malformed line. */
  push(chunk: string | Uint8Array): TraceRecord[] {
    let text: string;
    if (typeof chunk === 'string') {
      text = chunk;
    } else {
      try {
        text = this.utf8.decode(chunk, { stream: true });
      } catch {
        throw new TraceFormatError('invalid UTF-8', this.lineNumber + 1);
      }
    }
    const out: TraceRecord[] = [];
    let start = 0;
    let lf = text.indexOf('\n');
    if (lf < 0) {
      this.carry += text;
      return out;
    }
    let pending = this.carry;
    this.carry = '';
    while (lf >= 0) {
      this.line(pending + text.slice(start, lf), out);
      pending = '';
      start = lf + 1;
      lf = text.indexOf('\n', start);
    }
    this.carry = text.slice(start);
    return out;
  }

  /** The end of input: decodes a last line without a newline. */
  finish(): TraceRecord[] {
    const out: TraceRecord[] = [];
    let rest = this.carry;
    this.carry = '';
    try {
      rest += this.utf8.decode();
    } catch {
      throw new TraceFormatError('invalid UTF-8 at the end', this.lineNumber + 1);
    }
    this.line(rest, out);
    return out;
  }

  private line(raw: string, out: TraceRecord[]): void {
    this.lineNumber++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TraceFormatError('not JSON', this.lineNumber);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TraceFormatError('not a JSON object', this.lineNumber);
    const json = value as Json;
    if (this.header === undefined) {
      this.header = parseHeader(json, this.lineNumber);
      return;
    }
    out.push(parseRecord(json, this.lineNumber));
  }
}

function parseHeader(json: Json, line: number): TraceHeader {
  if (!('websockTrace' in json)) throw new TraceFormatError('line 1 must be the header (websockTrace)', line);
  if (json['websockTrace'] !== TRACE_VERSION) throw new TraceFormatError(`unsupported trace version ${String(json['websockTrace'])} (this reader knows ${TRACE_VERSION})`, line);
  const label = json['label'] ?? '';
  const app = json['app'] ?? 'echo';
  const options = json['options'] ?? {};
  const meta = json['meta'] ?? {};
  if (typeof label !== 'string') throw new TraceFormatError('label must be a string', line);
  if (app !== 'echo' && app !== 'recorded') throw new TraceFormatError(`app must be "echo" or "recorded", got ${JSON.stringify(app)}`, line);
  if (!isObject(options)) throw new TraceFormatError('options must be an object', line);
  if (!isObject(meta)) throw new TraceFormatError('meta must be an object', line);
  checkOptions(options, line);
  return { websockTrace: TRACE_VERSION, label, app: app as TraceApp, options: options as TraceConnectionOptions, meta };
}

const OPTION_KEYS = ['limits', 'receiveMode', 'deflate', 'plainHttp'];

/**
 * Header `options` must be options a `ServerConnection` accepts: replay would otherwise throw `MisuseError` where
 * a malformed trace should be a {@link TraceFormatError}. Limits and deflate ranges are the core's own checks.
 */
function checkOptions(options: Json, line: number): void {
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.includes(key)) throw new TraceFormatError(`options.${key} is not a connection option (known: ${OPTION_KEYS.join(', ')})`, line);
  }
  const { limits, receiveMode, deflate, plainHttp } = options;
  if (receiveMode !== undefined && receiveMode !== 'message' && receiveMode !== 'stream') {
    throw new TraceFormatError(`options.receiveMode must be "message" or "stream", got ${JSON.stringify(receiveMode)}`, line);
  }
  if (plainHttp !== undefined && typeof plainHttp !== 'boolean') throw new TraceFormatError('options.plainHttp must be a boolean', line);
  if (limits !== undefined && !isObject(limits)) throw new TraceFormatError('options.limits must be an object', line);
  if (deflate !== undefined && deflate !== false && !isObject(deflate)) throw new TraceFormatError('options.deflate must be false or an object', line);
  try {
    if (limits !== undefined) resolveLimits(limits as Partial<Limits>);
    if (isObject(deflate)) resolveDeflateOptions(deflate as DeflateOptions);
  } catch (error) {
    if (error instanceof MisuseError) throw new TraceFormatError(`options: ${error.message}`, line);
    throw error;
  }
}

function parseRecord(json: Json, line: number): TraceRecord {
  const t = json['t'];
  if (typeof t !== 'number' || !Number.isFinite(t)) throw new TraceFormatError('t must be a finite number', line);
  if ('in' in json) return { kind: 'in', t, data: bytes(json['in'], 'in', line) };
  if ('out' in json) return { kind: 'out', t, data: bytes(json['out'], 'out', line) };
  if (json['tick'] === true) return { kind: 'tick', t };
  if (json['end'] === true) return { kind: 'end', t };
  if (json['truncated'] === true) return { kind: 'truncated', t };
  if ('ev' in json) {
    const ev = json['ev'];
    if (!isObject(ev) || typeof ev['type'] !== 'string') throw new TraceFormatError('ev must be an object with a type', line);
    return { kind: 'ev', t, event: ev as TraceEvent };
  }
  if ('cmd' in json) {
    const inEvent = json['inEvent'];
    if (inEvent !== undefined && (typeof inEvent !== 'number' || !Number.isInteger(inEvent) || inEvent < 1)) {
      throw new TraceFormatError('inEvent must be a positive integer', line);
    }
    const cmd = parseCommand(json['cmd'], line);
    return inEvent === undefined ? { kind: 'cmd', t, cmd } : { kind: 'cmd', t, cmd, inEvent: inEvent as number };
  }
  throw new TraceFormatError(`unknown record (keys: ${Object.keys(json).join(', ')})`, line);
}

function parseCommand(value: unknown, line: number): TraceCommand {
  if (!isObject(value)) throw new TraceFormatError('cmd must be an object', line);
  const type = value['type'];
  const opt = <T>(name: string, kind: 'string' | 'number' | 'boolean'): T | undefined => {
    const v = value[name];
    if (v === undefined) return undefined;
    if (typeof v !== kind) throw new TraceFormatError(`cmd.${name} must be a ${kind}`, line);
    return v as T;
  };
  switch (type) {
    case 'accept': {
      const cmd: { type: 'accept'; protocol?: string; deflate?: DeflateParams | false; headers?: TraceHeaderPairs } = { type: 'accept' };
      const protocol = opt<string>('protocol', 'string');
      if (protocol !== undefined) cmd.protocol = protocol;
      const deflate = value['deflate'];
      if (deflate !== undefined) {
        if (deflate !== false && !isObject(deflate)) throw new TraceFormatError('cmd.deflate must be false or an object', line);
        cmd.deflate = deflate as DeflateParams | false;
      }
      const headers = headerPairs(value['headers'], line);
      if (headers !== undefined) cmd.headers = headers;
      return cmd;
    }
    case 'reject': {
      const status = value['status'];
      if (typeof status !== 'number') throw new TraceFormatError('cmd.status must be a number', line);
      const cmd: { type: 'reject'; status: number; headers?: TraceHeaderPairs; body?: Uint8Array; bodyText?: string } = { type: 'reject', status };
      const headers = headerPairs(value['headers'], line);
      if (headers !== undefined) cmd.headers = headers;
      if (value['body'] !== undefined) cmd.body = bytes(value['body'], 'cmd.body', line);
      const bodyText = opt<string>('bodyText', 'string');
      if (bodyText !== undefined) cmd.bodyText = bodyText;
      return cmd;
    }
    case 'send': {
      const cmd: { type: 'send'; data: Uint8Array; text?: boolean; binary?: boolean; fin?: boolean; compress?: boolean } = {
        type: 'send',
        data: bytes(value['data'], 'cmd.data', line),
      };
      for (const name of ['text', 'binary', 'fin', 'compress'] as const) {
        const v = opt<boolean>(name, 'boolean');
        if (v !== undefined) cmd[name] = v;
      }
      return cmd;
    }
    case 'close': {
      const cmd: { type: 'close'; code?: number; reason?: string } = { type: 'close' };
      const code = opt<number>('code', 'number');
      if (code !== undefined) cmd.code = code;
      const reason = opt<string>('reason', 'string');
      if (reason !== undefined) cmd.reason = reason;
      return cmd;
    }
    case 'ping':
    case 'pong':
      return { type, data: value['data'] === undefined ? new Uint8Array(0) : bytes(value['data'], 'cmd.data', line) };
    default:
      throw new TraceFormatError(`unknown command ${JSON.stringify(type)}`, line);
  }
}

function headerPairs(value: unknown, line: number): TraceHeaderPairs | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) throw new TraceFormatError('headers must be an array of [name, value] pairs', line);
  return value.map((pair) => {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new TraceFormatError('headers must be an array of [name, value] pairs', line);
    }
    return [pair[0], pair[1]] as const;
  });
}

function bytes(value: unknown, name: string, line: number): Uint8Array {
  if (typeof value !== 'string') throw new TraceFormatError(`${name} must be a base64 string`, line);
  const out = decodeBase64Strict(value);
  if (out === undefined) throw new TraceFormatError(`${name} is not canonical padded base64`, line);
  return out;
}

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
