/**
 * The pieces of the upgrade decision that are policy, not protocol: origin allow-list, subprotocol
 * selection by server preference, and the shapes handed to the user's hooks. The core has already validated
 * the request (RFC 6455 §4.2.1) before any of this runs.
 */
import type { HandshakeRequest, PlainHttpRequest } from '../../core/events.ts';
import { MisuseError } from '../../core/errors.ts';
import type { ServerConfig } from './options.ts';
import type { HttpRequest, UpgradeAccept, UpgradeDecision, UpgradeReject, UpgradeRequest } from './types.ts';

/**
 * Applies the `origins` option. The Origin header is what protects browser users from cross-site WebSocket
 * hijacking (RFC 6455 §10.2); non-browser clients do not send it, so a list refuses them and a predicate decides.
 */
export function isOriginAllowed<T>(config: ServerConfig<T>, origin: string | undefined): boolean {
  const rule = config.origins;
  if (rule === undefined) return true;
  if (typeof rule === 'function') return rule(origin) === true;
  return origin !== undefined && rule.has(origin.toLowerCase());
}

/**
 * The first protocol of the server's preference list that the client offered (RFC 6455 §4.2.2 lets the
 * server pick any one offered), or undefined: an unknown or missing offer never fails the upgrade here.
 */
export function selectProtocol(preference: readonly string[], offered: readonly string[]): string | undefined {
  if (preference.length === 0 || offered.length === 0) return undefined;
  for (const candidate of preference) {
    if (offered.includes(candidate)) return candidate;
  }
  return undefined;
}

function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

/** The request as handed to the `upgrade` hook. */
export function toUpgradeRequest(request: HandshakeRequest, remoteAddress: string, secure: boolean): UpgradeRequest {
  return {
    method: request.method,
    url: request.target,
    path: pathOf(request.target),
    headers: request.headers,
    protocols: request.protocols,
    extensions: request.extensions,
    origin: request.origin,
    remoteAddress,
    secure,
  };
}

/** The request as handed to the `fetch` hook. */
export function toHttpRequest(request: PlainHttpRequest, remoteAddress: string, secure: boolean): HttpRequest {
  return {
    method: request.method,
    url: request.target,
    path: pathOf(request.target),
    headers: request.headers,
    remoteAddress,
    secure,
  };
}

function invalid(message: string): MisuseError {
  return new MisuseError('INVALID_OPTION', `upgrade hook: ${message}`);
}

function kindOf(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}

/**
 * The upgrade hook's result checked against {@link UpgradeDecision}: `undefined` (accept as is), an object with a
 * `status` (a refusal: an integer 400–599, since a 2xx or 3xx is no answer to an upgrade request), or an object
 * without one (an accept: `protocol` a string, if given). Headers and bodies are checked where the response is
 * built (core/http/response.ts). Throws MisuseError('INVALID_OPTION') otherwise: the caller answers 500 and reports
 * it, as for a hook that throws, rather than taking `'yes'` or `42` for an accept.
 */
export function checkUpgradeDecision<T>(decision: unknown): UpgradeAccept<T> | UpgradeReject | undefined {
  if (decision === undefined) return undefined;
  if (decision === null || typeof decision !== 'object' || Array.isArray(decision)) {
    throw invalid(`the result must be undefined, an accept object or a { status } refusal, got ${kindOf(decision)}`);
  }
  const d = decision as { status?: unknown; protocol?: unknown };
  if (d.status !== undefined) {
    const status = d.status;
    if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
      throw invalid(`a refusal's status must be an integer 400–599, got ${typeof status === 'number' ? status : kindOf(status)}`);
    }
    return decision as UpgradeReject;
  }
  if (d.protocol !== undefined && typeof d.protocol !== 'string') {
    throw invalid(`protocol must be a string, got ${kindOf(d.protocol)}`);
  }
  return decision as UpgradeAccept<T>;
}

/** True if the hook's decision refuses the upgrade. */
export function isRejection<T>(decision: UpgradeDecision<T>): decision is UpgradeReject {
  return typeof decision === 'object' && decision !== null && typeof (decision as { status?: unknown }).status === 'number';
}

/** True for a promise-like value (so that a sync hook costs no microtask). */
export function isThenable<V>(value: unknown): value is PromiseLike<V> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
