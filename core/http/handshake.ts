// Validation of the opening handshake request (RFC 6455 §4.2.1) and the server's responses (re-exported).
//
// Choices (documented for callers):
// - HTTP/1.0 is refused with 400 (code HTTP_VERSION_NOT_SUPPORTED): RFC 6455 §4.2.1 item 1 requires HTTP/1.1 or
//   higher, and 505 would claim the server does not speak major version 1 (RFC 9110 §15.6.6). A major version other
//   than 1 gets 505 (the parser cannot produce one; a pre-parsed request from an HTTP server can).
// - A missing or non-websocket `Upgrade`, and a `Connection` without `upgrade`, both get 426 with `Upgrade: websocket`
//   (RFC 9110 §15.5.22 requires the Upgrade header in a 426). The failure carries `plainHttp: true` when the request
//   has no Upgrade header at all, so a server may answer such plain HTTP requests itself.
// - A request with a body (`Transfer-Encoding`, or a `Content-Length` other than 0) is a 400: the bytes after the head
//   are read as WebSocket frames, so a body would be misread (request-smuggling shape).
// - `Host`, `Sec-WebSocket-Key` and `Sec-WebSocket-Version` must appear exactly once (RFC 9112 §3.2, RFC 6455 §11.3).
// - The request-target must be a path, or an absolute URI that is reduced to its path (its authority then
//   replaces the Host header's value, RFC 9112 §3.2.2); no fragment (request-target.ts). Else 400.
// - Plain HTTP requests (for a server's own answers) get the same checks of version, target and Host, and no
//   body: the application's hook cannot read one, so a request with content is refused with 413.
import type { PeerErrorCode } from '../errors.ts';
import type { HandshakeRequest } from '../events.ts';
import { base64DecodedLength } from './base64.ts';
import { listContainsToken, parseExtensionOffers, parseTokenList } from './header-lists.ts';
import { parseRequestTarget } from './request-target.ts';

export { buildAcceptResponse, buildRejectResponse } from './response.ts';
export type { AcceptResponseOptions, HeaderInput, RejectResponseOptions } from './response.ts';

/** A request head as produced by `RequestHeadParser`, or by an HTTP server that parsed it already. */
export interface RequestHeadInput {
  readonly method: string;
  readonly target: string;
  readonly httpVersion: string;
  readonly rawHeaders: ReadonlyArray<readonly [string, string]>;
}

/** Why a request cannot be upgraded, and the response to send (headers to add to `buildRejectResponse`). */
export interface UpgradeRefusal {
  ok: false;
  status: number;
  code: PeerErrorCode;
  reason: string;
  headers: Array<[string, string]>;
  /** True when the request has no `Upgrade` header: a plain HTTP request rather than a broken WebSocket one. */
  plainHttp?: boolean;
}

/** The result of {@link validateUpgrade}. */
export type UpgradeValidation = { ok: true; request: HandshakeRequest } | UpgradeRefusal;

function refuse(
  status: number,
  code: PeerErrorCode,
  reason: string,
  headers: Array<[string, string]> = [],
  plainHttp = false,
): UpgradeRefusal {
  const refusal: UpgradeRefusal = { ok: false, status, code, reason, headers };
  if (plainHttp) refusal.plainHttp = true;
  return refusal;
}

const BAD_TARGET = 'request-target must be a path or an absolute URI, without a fragment';

/** A plain HTTP request that passed {@link validatePlainRequest}: its target in origin-form and its headers. */
export interface PlainRequestCheck {
  ok: true;
  target: string;
  /** Joined per lower-cased name; `host` is the absolute-form target's authority when there was one. */
  headers: Map<string, string>;
}

/**
 * Checks a request without `Upgrade` that a server answers itself: HTTP/1.x; a valid target (`*` with OPTIONS
 * only); exactly one non-empty Host from HTTP/1.1 on (at most one before, RFC 9112 §3.2); no content (413: the
 * hook cannot read a body, and its bytes must not be taken for anything else). Never throws on peer input.
 */
export function validatePlainRequest(head: RequestHeadInput): PlainRequestCheck | UpgradeRefusal {
  const version = parseVersion(head.httpVersion);
  if (version === undefined) return refuse(400, 'HTTP_BAD_REQUEST', 'malformed HTTP version');
  if (version[0] !== 1) return refuse(505, 'HTTP_VERSION_NOT_SUPPORTED', 'HTTP major version is not 1');
  const target = parseRequestTarget(head.target, head.method);
  if (target === undefined) return refuse(400, 'HTTP_BAD_REQUEST', BAD_TARGET);
  const headers = headerMap(head.rawHeaders);
  let hostCount = 0;
  for (const [rawName] of head.rawHeaders) if (rawName.toLowerCase() === 'host') hostCount++;
  if (hostCount > 1) return refuse(400, 'HTTP_BAD_REQUEST', 'more than one Host header');
  if (version[1] >= 1 && (hostCount === 0 || headers.get('host') === '')) return refuse(400, 'HTTP_MISSING_HOST', 'missing Host header');
  const contentLength = headers.get('content-length');
  if (headers.has('transfer-encoding') || (contentLength !== undefined && contentLength !== '0')) {
    return refuse(413, 'HTTP_CONTENT_NOT_ACCEPTED', 'request content is not accepted');
  }
  if (target.authority !== undefined) headers.set('host', target.authority);
  return { ok: true, target: target.target, headers };
}

/** `major.minor` → [major, minor], or undefined if not two digit runs. */
function parseVersion(v: string): [number, number] | undefined {
  const dot = v.indexOf('.');
  if (dot <= 0 || dot === v.length - 1 || dot > 4 || v.length - dot > 5) return undefined;
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (i !== dot && (c < 0x30 || c > 0x39)) return undefined;
  }
  return [Number(v.slice(0, dot)), Number(v.slice(dot + 1))];
}

/** Header fields by lower-cased name, repeated fields joined with `, ` (RFC 9110 §5.3); a `Map`, so any name is a plain key. */
export function headerMap(rawHeaders: ReadonlyArray<readonly [string, string]>): Map<string, string> {
  const headers = new Map<string, string>();
  for (const [rawName, value] of rawHeaders) {
    const name = rawName.toLowerCase();
    const previous = headers.get(name);
    headers.set(name, previous === undefined ? value : previous + ', ' + value);
  }
  return headers;
}

/**
 * Checks a request head against RFC 6455 §4.2.1 and, if it is a valid upgrade, builds the {@link HandshakeRequest}
 * (headers joined per lower-cased name with `, `, RFC 9110 §5.3). Never throws on peer input.
 * Refusals: 405 (+`Allow: GET`) not GET; 400/505 version; 400 Host missing, repeated or empty; 400 request body;
 * 426 (+`Upgrade: websocket`) Upgrade/Connection; 426 (+`Sec-WebSocket-Version: 13`) version not 13; 400 key;
 * 400 malformed `Sec-WebSocket-Protocol` or `Sec-WebSocket-Extensions`.
 */
export function validateUpgrade(head: RequestHeadInput): UpgradeValidation {
  const version = parseVersion(head.httpVersion);
  if (version === undefined) return refuse(400, 'HTTP_BAD_REQUEST', 'malformed HTTP version');
  if (version[0] !== 1) return refuse(505, 'HTTP_VERSION_NOT_SUPPORTED', 'HTTP major version is not 1');
  if (version[1] < 1) return refuse(400, 'HTTP_VERSION_NOT_SUPPORTED', 'WebSocket requires HTTP/1.1 (RFC 6455 §4.2.1)');
  const target = parseRequestTarget(head.target, head.method);
  if (target === undefined) return refuse(400, 'HTTP_BAD_REQUEST', BAD_TARGET);

  const headers = headerMap(head.rawHeaders);
  let hostCount = 0;
  let keyCount = 0;
  let versionCount = 0;
  for (const [rawName] of head.rawHeaders) {
    const name = rawName.toLowerCase();
    if (name === 'host') hostCount++;
    else if (name === 'sec-websocket-key') keyCount++;
    else if (name === 'sec-websocket-version') versionCount++;
  }

  const hostHeader = headers.get('host');
  if (hostCount === 0 || hostHeader === undefined || hostHeader === '') return refuse(400, 'HTTP_MISSING_HOST', 'missing Host header');
  if (hostCount > 1) return refuse(400, 'HTTP_BAD_REQUEST', 'more than one Host header');
  const host = target.authority ?? hostHeader;
  if (target.authority !== undefined) headers.set('host', host);

  const contentLength = headers.get('content-length');
  if (headers.has('transfer-encoding') || (contentLength !== undefined && contentLength !== '0')) {
    return refuse(400, 'HTTP_BAD_REQUEST', 'an upgrade request must not have a body');
  }

  const upgrade = headers.get('upgrade');
  const plainHttp = upgrade === undefined;
  if (head.method !== 'GET') {
    return refuse(405, 'HTTP_METHOD_NOT_ALLOWED', 'method must be GET', [['Allow', 'GET']], plainHttp);
  }
  if (upgrade === undefined || !listContainsToken(upgrade, 'websocket')) {
    return refuse(426, 'HTTP_UPGRADE_REQUIRED', 'Upgrade header must contain websocket', [['Upgrade', 'websocket']], plainHttp);
  }
  const connection = headers.get('connection');
  if (connection === undefined || !listContainsToken(connection, 'upgrade')) {
    return refuse(426, 'HTTP_UPGRADE_REQUIRED', 'Connection header must contain upgrade', [['Upgrade', 'websocket']]);
  }

  // RFC 6455 §4.2.2 /version/: answer an unsupported version with the ones we support.
  if (versionCount > 1) return refuse(400, 'HTTP_BAD_VERSION', 'more than one Sec-WebSocket-Version header');
  if (headers.get('sec-websocket-version') !== '13') {
    return refuse(426, 'HTTP_BAD_VERSION', 'Sec-WebSocket-Version must be 13', [
      ['Upgrade', 'websocket'],
      ['Sec-WebSocket-Version', '13'],
    ]);
  }

  const key = headers.get('sec-websocket-key');
  if (keyCount !== 1 || key === undefined || base64DecodedLength(key) !== 16) {
    return refuse(400, 'HTTP_BAD_KEY', 'Sec-WebSocket-Key must be base64 of 16 bytes, sent once');
  }

  const protocolHeader = headers.get('sec-websocket-protocol');
  const protocols = protocolHeader === undefined ? [] : parseTokenList(protocolHeader);
  if (protocols === undefined) return refuse(400, 'HTTP_BAD_REQUEST', 'malformed Sec-WebSocket-Protocol');

  const extensionHeader = headers.get('sec-websocket-extensions');
  const extensions = extensionHeader === undefined ? [] : parseExtensionOffers(extensionHeader);
  if (extensions === undefined) return refuse(400, 'HTTP_BAD_REQUEST', 'malformed Sec-WebSocket-Extensions');

  const request: HandshakeRequest = {
    method: head.method,
    target: target.target,
    httpVersion: head.httpVersion,
    headers,
    rawHeaders: head.rawHeaders,
    host,
    origin: headers.get('origin'),
    key,
    protocols,
    extensions,
  };
  return { ok: true, request };
}
