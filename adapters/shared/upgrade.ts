/**
 * The pieces of the upgrade decision that are policy, not protocol: origin allow-list, subprotocol
 * selection by server preference, and the shapes handed to the user's hooks. The core has already validated
 * the request (RFC 6455 §4.2.1) before any of this runs.
 */
import type { HandshakeRequest, PlainHttpRequest } from '../../core/events.ts';
import type { ServerConfig } from './options.ts';
import type { HttpRequest, UpgradeDecision, UpgradeReject, UpgradeRequest } from './types.ts';

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

/** True if the hook's decision refuses the upgrade. */
export function isRejection<T>(decision: UpgradeDecision<T>): decision is UpgradeReject {
  return typeof decision === 'object' && decision !== null && typeof (decision as { status?: unknown }).status === 'number';
}

/** True for a promise-like value (so that a sync hook costs no microtask). */
export function isThenable<V>(value: unknown): value is PromiseLike<V> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
