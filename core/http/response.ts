// Builders of the two responses the server writes during the opening handshake: 101 (RFC 6455 §4.2.2) and a refusal.
// Header names and values come from the application, so they are validated here: a bad one throws MisuseError rather
// than letting CR/LF split the response (RFC 9110 §5.5).
import { MisuseError } from '../errors.ts';
import { computeAcceptKey } from './accept-key.ts';
import { FIELD_ASCII, FIELD_INVALID, fieldValueKind, isToken, writeLatin1 } from './chars.ts';
import { reasonPhrase } from './status-text.ts';

/** Extra response headers: pairs in order, or a record (own enumerable string keys). */
export type HeaderInput = Iterable<readonly [string, string]> | Readonly<Record<string, string>>;

/** Headers the 101 response owns; the application may not set them (use `protocol`/`extensions` for the last two). */
const ACCEPT_OWNED: ReadonlySet<string> = new Set([
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'content-length', // RFC 9110 §8.6: never in a 1xx response
  'transfer-encoding', // RFC 9112 §6.1: never in a 1xx response
]);

/** Headers a refusal owns: it always closes, and its framing is computed here. */
const REJECT_OWNED: ReadonlySet<string> = new Set(['connection', 'content-length', 'transfer-encoding']);

const encoder = new TextEncoder();

/** Application headers after checking, and whether they are all ASCII. */
interface CheckedHeaders {
  pairs: Array<readonly [string, string]>;
  ascii: boolean;
}

const NO_HEADERS: CheckedHeaders = Object.freeze({ pairs: [], ascii: true }) as CheckedHeaders;

/** Checks and lists application headers; throws MisuseError('INVALID_OPTION') on a bad name, value or owned name. */
function checkedHeaders(input: HeaderInput | undefined, owned: ReadonlySet<string>): CheckedHeaders {
  if (input === undefined) return NO_HEADERS;
  // A number or a string would otherwise pass as no headers (or as one header per character).
  if (input === null || typeof input !== 'object') {
    throw new MisuseError('INVALID_OPTION', `headers must be a record or [name, value] pairs, got ${input === null ? 'null' : typeof input}`);
  }
  const pairs: Iterable<readonly [string, string]> =
    typeof (input as Iterable<unknown>)[Symbol.iterator] === 'function'
      ? (input as Iterable<readonly [string, string]>)
      : Object.entries(input as Record<string, string>);
  const out: Array<readonly [string, string]> = [];
  let ascii = true;
  for (const pair of pairs) {
    const name: unknown = pair[0];
    const value: unknown = pair[1];
    if (typeof name !== 'string' || !isToken(name)) {
      throw new MisuseError('INVALID_OPTION', `header name ${JSON.stringify(String(name))} is not an HTTP token`);
    }
    const kind = typeof value === 'string' ? fieldValueKind(value) : FIELD_INVALID;
    if (kind !== FIELD_ASCII) ascii = false;
    if (typeof value !== 'string' || kind === FIELD_INVALID) {
      throw new MisuseError('INVALID_OPTION', `value of header ${name} must be a string without CR, LF, NUL, controls or characters above U+00FF`);
    }
    if (owned.has(name.toLowerCase())) {
      throw new MisuseError('INVALID_OPTION', `header ${name} is set by the handshake and may not be overridden`);
    }
    out.push([name, value]);
  }
  return { pairs: out, ascii };
}

/** The head as bytes: the native UTF-8 encoder when it is ASCII (the same bytes, and fastest), else Latin-1. */
function headBytes(head: string, ascii: boolean, bodyLength: number): Uint8Array {
  if (ascii && bodyLength === 0) return encoder.encode(head);
  const out = new Uint8Array(head.length + bodyLength);
  if (ascii) encoder.encodeInto(head, out);
  else writeLatin1(out, 0, head);
  return out;
}

function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === 0x20 || s.charCodeAt(start) === 0x09)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0x09)) end--;
  return s.slice(start, end);
}

/** Options of {@link buildAcceptResponse}. */
export interface AcceptResponseOptions {
  /** The selected subprotocol (a token, one the client offered); empty or absent: no `Sec-WebSocket-Protocol`. */
  protocol?: string;
  /** The accepted extensions, formatted (e.g. `permessage-deflate; server_no_context_takeover`); empty: none. */
  extensions?: string;
  /** Extra headers, written last. */
  headers?: HeaderInput;
}

/**
 * The `101 Switching Protocols` response (RFC 6455 §4.2.2 item 5) for a validated `Sec-WebSocket-Key`.
 * Throws MisuseError('INVALID_OPTION') if `protocol` is not a token, `extensions` is not a valid field value, or an
 * extra header is invalid or one the handshake owns (Upgrade, Connection, Sec-WebSocket-*, Content-Length,
 * Transfer-Encoding).
 */
export function buildAcceptResponse(key: string, options: AcceptResponseOptions = {}): Uint8Array {
  const { protocol, extensions } = options;
  if (protocol !== undefined && protocol !== '' && !isToken(protocol)) {
    throw new MisuseError('INVALID_OPTION', 'protocol must be an HTTP token (RFC 6455 §4.1)');
  }
  const extensionsKind = extensions === undefined ? FIELD_ASCII : fieldValueKind(extensions);
  if (extensionsKind === FIELD_INVALID) {
    throw new MisuseError('INVALID_OPTION', 'extensions must be a header value without CR, LF or controls');
  }
  const extra = checkedHeaders(options.headers, ACCEPT_OWNED);
  let head =
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ' +
    computeAcceptKey(key) +
    '\r\n';
  if (protocol) head += 'Sec-WebSocket-Protocol: ' + protocol + '\r\n';
  const trimmedExtensions = extensions === undefined ? '' : trimOws(extensions);
  if (trimmedExtensions !== '') head += 'Sec-WebSocket-Extensions: ' + trimmedExtensions + '\r\n';
  for (const [name, value] of extra.pairs) head += name + ': ' + trimOws(value) + '\r\n';
  head += '\r\n';
  return headBytes(head, extra.ascii && extensionsKind === FIELD_ASCII, 0);
}

/** Options of {@link buildRejectResponse}. */
export interface RejectResponseOptions {
  /** Extra headers (not Connection, Content-Length or Transfer-Encoding). `Upgrade` makes `Connection: Upgrade, close`. */
  headers?: HeaderInput;
  /** The body; a string is sent as UTF-8 with `Content-Type: text/plain; charset=utf-8` unless a Content-Type is given. */
  body?: string | Uint8Array;
  /** The status line's reason phrase, instead of the standard one; also the default body. */
  reason?: string;
  /** A response to HEAD: the same headers (Content-Length included), without the content (RFC 9110 §9.3.2). */
  headOnly?: boolean;
}

/**
 * A complete refusal: status line, `Connection: close`, `Content-Type` (string bodies), `Content-Length`, the extra
 * headers, then the body (default: the reason phrase as text). The transport is to be closed after it.
 * `status` must be an integer 200–599 (a 2xx answers a plain HTTP request). 204 and 304 carry no body and no
 * Content-Length (RFC 9110 §6.4.1); passing a body with them is a misuse.
 * Throws MisuseError('INVALID_OPTION') on a bad status, reason, header, an owned header, or a body that is not a
 * string or a Uint8Array.
 */
export function buildRejectResponse(status: number, options: RejectResponseOptions = {}): Uint8Array {
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new MisuseError('INVALID_OPTION', `reject status must be an integer 200–599, got ${String(status)}`);
  }
  const reason = options.reason ?? reasonPhrase(status);
  const reasonKind = typeof reason === 'string' ? fieldValueKind(reason) : FIELD_INVALID;
  if (reasonKind === FIELD_INVALID) {
    throw new MisuseError('INVALID_OPTION', 'reason must be a string without CR, LF or controls');
  }
  const extra = checkedHeaders(options.headers, REJECT_OWNED);
  // The body comes from the application: anything but text or bytes (an object, a number, an array) would
  // otherwise frame a broken response (Content-Length of a value that has no length).
  const givenBody: unknown = options.body;
  if (givenBody !== undefined && typeof givenBody !== 'string' && !(givenBody instanceof Uint8Array)) {
    const kind = givenBody === null ? 'null' : Array.isArray(givenBody) ? 'an array' : typeof givenBody;
    throw new MisuseError('INVALID_OPTION', `a response body must be a string or a Uint8Array, got ${kind}`);
  }
  const bodyless = status === 204 || status === 304;
  if (bodyless && options.body !== undefined && options.body.length > 0) {
    throw new MisuseError('INVALID_OPTION', `a ${status} response has no body`);
  }
  let hasUpgrade = false;
  let hasContentType = false;
  for (const [name] of extra.pairs) {
    const lower = name.toLowerCase();
    if (lower === 'upgrade') hasUpgrade = true;
    else if (lower === 'content-type') hasContentType = true;
  }
  const rawBody = bodyless ? undefined : (options.body ?? reason);
  const body = rawBody === undefined ? new Uint8Array(0) : typeof rawBody === 'string' ? encoder.encode(rawBody) : rawBody;

  // RFC 9110 §7.8: a sender of Upgrade must also list "Upgrade" in Connection.
  let head = 'HTTP/1.1 ' + status + ' ' + reason + '\r\nConnection: ' + (hasUpgrade ? 'Upgrade, close' : 'close') + '\r\n';
  if (!bodyless) {
    if (typeof rawBody === 'string' && !hasContentType) head += 'Content-Type: text/plain; charset=utf-8\r\n';
    head += 'Content-Length: ' + body.length + '\r\n';
  }
  for (const [name, value] of extra.pairs) head += name + ': ' + trimOws(value) + '\r\n';
  head += '\r\n';
  const contentBytes = options.headOnly === true ? 0 : body.length;
  const out = headBytes(head, extra.ascii && reasonKind === FIELD_ASCII, contentBytes);
  if (contentBytes > 0) out.set(body, head.length);
  return out;
}
